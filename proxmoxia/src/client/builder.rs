//! `ClientBuilder`: where to connect, how to trust the server, timeouts, credentials.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use super::{Client, Inner};
use crate::auth::ApiToken;
use crate::client::session::AuthManager;
use crate::error::{Error, Result};
use crate::retry_policy::RetryPolicy;
use crate::tls::{self, Fingerprint, TlsOptions};
use crate::version::PveVersion;

/// PVE's API port.
pub const DEFAULT_PORT: u16 = 8006;

/// The default of [`ClientBuilder::max_body_bytes`]: 256 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

/// The default of [`ClientBuilder::max_answer_values`]: 1,000,000.
pub const DEFAULT_MAX_ANSWER_VALUES: u64 = 1_000_000;

/// The default of [`ClientBuilder::transfer_inactivity_timeout`]: 2 minutes.
pub const DEFAULT_TRANSFER_INACTIVITY_TIMEOUT: Duration = Duration::from_secs(120);

/// Builds a [`Client`]. Created by [`Client::builder`].
///
/// Certificate verification is on unless [`danger_accept_invalid_certs`] is called. A
/// self-signed node is trusted by pinning its fingerprint ([`fingerprint`]) or adding its CA
/// ([`add_ca_pem`]).
///
/// [`danger_accept_invalid_certs`]: ClientBuilder::danger_accept_invalid_certs
/// [`fingerprint`]: ClientBuilder::fingerprint
/// [`add_ca_pem`]: ClientBuilder::add_ca_pem
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder {
    host: String,
    port: Option<u16>,
    tls: TlsOptions,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    user_agent: String,
    token: Option<ApiToken>,
    renew_after: Duration,
    renew_backoff: Duration,
    pve_version: Option<PveVersion>,
    version_guard: bool,
    retry: Option<RetryPolicy>,
    max_body_bytes: u64,
    max_answer_values: u64,
    transfer_inactivity: Option<Duration>,
    // The first configuration error, reported by build() so the chain stays infallible.
    error: Option<Error>,
}

impl ClientBuilder {
    pub(super) fn new(host: &str) -> ClientBuilder {
        ClientBuilder {
            host: host.trim().to_owned(),
            port: None,
            tls: TlsOptions {
                builtin_roots: true,
                ..TlsOptions::default()
            },
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(60)),
            user_agent: concat!("proxmoxia/", env!("CARGO_PKG_VERSION")).to_owned(),
            token: None,
            renew_after: Duration::from_secs(60 * 60),
            renew_backoff: Duration::from_secs(60),
            pve_version: None,
            version_guard: true,
            retry: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_answer_values: DEFAULT_MAX_ANSWER_VALUES,
            transfer_inactivity: Some(DEFAULT_TRANSFER_INACTIVITY_TIMEOUT),
            error: None,
        }
    }

    fn fail(mut self, err: Error) -> ClientBuilder {
        self.error.get_or_insert(err);
        self
    }

    /// The port (default 8006, or the one in the host URL).
    pub fn port(mut self, port: u16) -> ClientBuilder {
        self.port = Some(port);
        self
    }

    /// How long connecting (TCP and TLS) may take. Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// How long one request may take, from sending to the end of the answer. Default 60 s;
    /// `None` waits for ever. Uploads are not bound by it. Long PVE operations return a task
    /// id at once: wait for those with [`Client::task`].
    pub fn timeout(mut self, timeout: Option<Duration>) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header. Default `proxmoxia/<version>`.
    pub fn user_agent(mut self, agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = agent.into();
        self
    }

    /// Trusts the CA certificates in this PEM text (e.g. `/etc/pve/pve-root-ca.pem`), in
    /// addition to the system's roots.
    pub fn add_ca_pem(mut self, pem: &[u8]) -> ClientBuilder {
        match tls::parse_pem_certs(pem) {
            Ok(certs) => {
                self.tls.extra_roots.extend(certs);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Whether the operating system's CA roots are trusted too (default `true`). With `false`,
    /// only the CAs given by [`add_ca_pem`](ClientBuilder::add_ca_pem) are.
    pub fn builtin_roots(mut self, enabled: bool) -> ClientBuilder {
        self.tls.builtin_roots = enabled;
        self
    }

    /// Trusts exactly the certificate with this SHA-256 fingerprint, in the colon-hex form PVE
    /// shows (`Node > System > Certificates`, or `pvenode cert info`), whoever signed it.
    /// Can be given more than once (e.g. during a certificate change). A certificate with
    /// another fingerprint fails with [`Error::Tls`].
    pub fn fingerprint(mut self, fingerprint: &str) -> ClientBuilder {
        match Fingerprint::parse(fingerprint) {
            Ok(fp) => {
                self.tls.fingerprints.push(fp);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Accepts any server certificate. **Anyone on the network path can then read and change
    /// the traffic, including passwords and tickets.** Prefer
    /// [`fingerprint`](ClientBuilder::fingerprint) for self-signed nodes. A pinned fingerprint
    /// is always enforced: with one, this switch has no effect.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> ClientBuilder {
        self.tls.danger_accept_invalid_certs = accept;
        self
    }

    /// Authenticates every request with this API token (`user@realm!tokenid`, secret).
    pub fn api_token(self, id: impl Into<String>, secret: impl Into<String>) -> ClientBuilder {
        match ApiToken::new(id, secret) {
            Ok(token) => self.token(token),
            Err(e) => self.fail(e),
        }
    }

    /// Authenticates every request with this API token.
    pub fn token(mut self, token: ApiToken) -> ClientBuilder {
        self.token = Some(token);
        self
    }

    /// Renew a login ticket once it is this old (default 1 hour; PVE tickets last 2 hours).
    pub fn ticket_renew_after(mut self, age: Duration) -> ClientBuilder {
        self.renew_after = age;
        self
    }

    /// After a failed renewal or re-login, how long the current ticket is used without trying
    /// again (default 1 minute). While a ticket is still valid a failed renewal is not an
    /// error: calls go on with it, and all of them share at most one attempt per period.
    pub fn ticket_renew_backoff(mut self, period: Duration) -> ClientBuilder {
        self.renew_backoff = period;
        self
    }

    /// The cluster's PVE version (`8.4.17`), when known: typed calls are checked against it
    /// without asking the cluster (see [`Client::pve_version`]).
    pub fn pve_version(self, version: &str) -> ClientBuilder {
        match PveVersion::parse(version) {
            Ok(v) => ClientBuilder {
                pve_version: Some(v),
                ..self
            },
            Err(e) => self.fail(e),
        }
    }

    /// Whether typed calls refuse what the cluster's PVE version lacks (default: on). Off,
    /// the client never asks for the version and sends every call; PVE then answers with
    /// its own error (501 for a method it does not have, 400 for a parameter).
    pub fn version_guard(mut self, enabled: bool) -> ClientBuilder {
        self.version_guard = enabled;
        self
    }

    // ------------------------------------------------------------------------ retries

    /// Sends failed requests again as `policy` says: transient, retry-safe failures (a held
    /// lock, lost quorum, an offline node, a timed-out read, ...) with backoff, within a
    /// deadline. Default: no retries. A write whose fate is unknown is never repeated; see
    /// [`RetryPolicy`].
    pub fn retry(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = Some(policy);
        self
    }

    // ------------------------------------------------------------------------ answers

    /// The largest answer body the client reads, in bytes (default 256 MiB, far above any PVE
    /// answer): a larger one fails with a [`TransportError`](crate::TransportError) of kind
    /// [`BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge) as soon as it passes the
    /// limit, so a server cannot make the client buffer gigabytes. Error answers keep at
    /// most their first 64 KiB.
    pub fn max_body_bytes(mut self, limit: u64) -> ClientBuilder {
        self.max_body_bytes = limit;
        self
    }

    /// The most JSON values an answer may hold (default 1,000,000, several times the largest
    /// PVE answers: `/cluster/resources` of 10,000 guests and nodes holds about 210,000).
    /// Every object, array, member and element counts, as the answer's text arrives (one per
    /// `{`, `[` and `,` outside strings, plus one); a larger answer fails with a
    /// [`TransportError`](crate::TransportError) of kind
    /// [`BodyTooLarge`](crate::TransportErrorKind::BodyTooLarge) as soon as it passes the
    /// limit, before anything of it is decoded. It applies to every answer read whole:
    /// typed, raw, and [`RawRequest::bytes`](crate::RawRequest::bytes).
    ///
    /// Decoded, a value takes memory whatever the length of its text: up to about 360 bytes
    /// (a one-key object read as a `serde_json::Value`), 260 in a typed answer. The body
    /// limit alone does not bound that: 64 MiB of such objects took 5.7 GiB as `Value`s, 2
    /// GiB typed. With this limit, a decoded answer stays under about 350 MiB (plus its
    /// text), whatever its shape; lower it to bound it further.
    pub fn max_answer_values(mut self, limit: u64) -> ClientBuilder {
        self.max_answer_values = limit;
        self
    }

    // ------------------------------------------------------------------------ transfers

    /// How long an upload or a download may make no progress before it fails (default 2
    /// minutes; `None`: for ever): no byte of a download arrives (its answer included), no
    /// chunk of an upload is taken by the connection, or no answer comes after the upload's
    /// last byte. The failure is a [`TransportError`](crate::TransportError) of kind
    /// [`Timeout`](crate::TransportErrorKind::Timeout). Transfers have no overall timeout
    /// unless one is set ([`Download::timeout`](crate::Download::timeout),
    /// [`Upload::timeout`](crate::Upload::timeout)), as a large file takes long; this one
    /// ends one that stalled.
    pub fn transfer_inactivity_timeout(mut self, timeout: Option<Duration>) -> ClientBuilder {
        self.transfer_inactivity = timeout;
        self
    }

    /// The client, or the first configuration error.
    pub fn build(self) -> Result<Client> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let base = base_url(&self.host, self.port)?;
        let tls = tls::client_config(&self.tls)?;
        // Consoles open their websocket with the very same TLS settings (pins, CAs).
        #[cfg(feature = "console")]
        let console_tls = Arc::new(tls.clone());
        let mut http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent.clone())
            // PVE never redirects API calls; a redirect would carry credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(timeout) = self.timeout {
            // The default of every request (see `Inner::prepare`).
            http = http.timeout(timeout);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("HTTP client set-up: {e}")))?;
        let auth = AuthManager::new(self.token, self.renew_after, self.renew_backoff);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                timeout: self.timeout,
                auth,
                pve_version: match self.pve_version {
                    Some(v) => tokio::sync::OnceCell::new_with(Some(v)),
                    None => tokio::sync::OnceCell::new(),
                },
                version_guard: self.version_guard,
                retry: self.retry,
                max_body_bytes: self.max_body_bytes,
                max_answer_values: self.max_answer_values,
                transfer_inactivity: self.transfer_inactivity,
                #[cfg(feature = "console")]
                console: super::ConsoleSettings {
                    tls: console_tls,
                    connect_timeout: self.connect_timeout,
                    user_agent: self.user_agent.clone(),
                },
            }),
        })
    }
}

/// `https://host:port/api2/json` from `host`, `host:port`, `[v6]:port`, a bare IPv6
/// address or an `https://` URL with nothing after the port but `/`.
fn base_url(host: &str, port: Option<u16>) -> Result<String> {
    if host.is_empty() {
        return Err(Error::Config("no host given".into()));
    }
    // A bare IPv6 address (`::1`) has colons a URL would read as a port.
    let bracketed;
    let host = match host.parse::<std::net::Ipv6Addr>() {
        Ok(_) => {
            bracketed = format!("[{host}]");
            bracketed.as_str()
        }
        Err(_) => host,
    };
    let with_scheme = if host.contains("://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    };
    let invalid = |why: &str| Error::Config(format!("invalid host {host:?}: {why}"));
    let url = Url::parse(&with_scheme).map_err(|e| {
        let hint = if host.matches(':').count() > 1 && !host.contains('[') {
            " (write an IPv6 address with a port as [address]:port)"
        } else {
            ""
        };
        invalid(&format!("{e}{hint}"))
    })?;
    if url.scheme() != "https" {
        return Err(Error::Config(format!(
            "PVE's API is served over https, not {}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host name"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "put credentials in login() or api_token(), not in the URL".into(),
        ));
    }
    // The client builds every path itself: anything more would be dropped, so refuse it.
    if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "give only the host and port, without a path, query or fragment",
        ));
    }
    // Url hides a port equal to the scheme's default, so look for an explicit `:443` too.
    let authority = with_scheme
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
    let explicit_443 = authority
        .rsplit_once(':')
        .is_some_and(|(h, p)| p == "443" && (!h.contains(':') || h.ends_with(']')));
    let port = port
        .or(url.port())
        .or(explicit_443.then_some(443))
        .unwrap_or(DEFAULT_PORT);
    let host = url.host_str().unwrap_or_default();
    // Written out by hand: Url would drop an explicit :443.
    Ok(format!("https://{host}:{port}/api2/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_accepts_hosts_and_urls() {
        assert_eq!(
            base_url("pve1", None).unwrap(),
            "https://pve1:8006/api2/json"
        );
        assert_eq!(
            base_url("pve1:443", None).unwrap(),
            "https://pve1:443/api2/json"
        );
        assert_eq!(
            base_url("https://10.0.0.1:8006/", None).unwrap(),
            "https://10.0.0.1:8006/api2/json"
        );
        assert_eq!(
            base_url("[::1]", Some(9000)).unwrap(),
            "https://[::1]:9000/api2/json"
        );
        assert!(base_url("http://pve1", None).is_err());
        assert!(base_url("", None).is_err());
        assert!(base_url("https://root:pw@pve1", None).is_err());
    }

    #[test]
    fn bare_ipv6_addresses_are_hosts() {
        assert_eq!(
            base_url("::1", None).unwrap(),
            "https://[::1]:8006/api2/json"
        );
        assert_eq!(
            base_url("fd00::10", Some(443)).unwrap(),
            "https://[fd00::10]:443/api2/json"
        );
        assert_eq!(
            base_url("[::1]:8443", None).unwrap(),
            "https://[::1]:8443/api2/json"
        );
        let err = base_url("fd00::10::8006", None).unwrap_err().to_string();
        assert!(err.contains("[address]:port"), "{err}");
    }

    #[test]
    fn hosts_with_a_path_query_or_fragment_are_refused() {
        for host in [
            "pve1/x",
            "pve1?x",
            "pve1#x",
            "pve1:8006/api2/json",
            "https://pve1/x",
            "https://pve1:8006/?a=b",
            "https://pve1:8006/#top",
        ] {
            let err = base_url(host, None).expect_err(host).to_string();
            assert!(
                err.contains("without a path, query or fragment") && err.contains(host),
                "{host}: {err}"
            );
        }
        assert!(base_url("https://pve1:8006/", None).is_ok());
    }

    #[test]
    fn builder_reports_the_first_bad_option() {
        let err = Client::builder("pve1")
            .fingerprint("nope")
            .add_ca_pem(b"garbage")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("fingerprint"), "{err}");
    }
}
