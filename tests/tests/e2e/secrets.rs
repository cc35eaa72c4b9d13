//! No secret in any error, `Debug` output or log line: every endpoint with a secret
//! parameter (41 in the schemas' union, 8 of them GET/DELETE with the secret in the query
//! string) is sent a request that fails three ways:
//!
//! 1. the peer answers 400 with a message that echoes the secret (a scripted fault);
//! 2. nothing listens at the address (a transport error, carrying the URL);
//! 3. the server's certificate is not the pinned one (`Error::Tls`, carrying the URL).
//!
//! Each secret value carries [`MARK`]; the test scans every error's `Display` and `Debug`
//! (its whole `source()` chain included), each request's `Debug`, and everything logged at
//! TRACE level for it. Runs against both peers; the version guard is off so that every
//! request is sent, whatever version the peer plays.

use std::error::Error as _;

use proxmoxia::typed::{Endpoint, PathHandle, Request, params_from_json};
use proxmoxia::{Client, Error, api};
use proxmoxia_tests::log_capture::Captured as Buffer;
use proxmoxia_tests::{Peer, PeerKind, peer_tests};
use serde_json::{Value, json};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::util::SubscriberInitExt;

/// In every secret value, and nowhere else.
const MARK: &str = "ZQ8SECRET";

/// A secret value: `ZQ8SECRET-<n>-x7`.
fn secret(n: u32) -> String {
    format!("{MARK}-{n}-x7")
}

/// A path parameter's value (any valid one: the faults answer before PVE would look).
fn path_value(name: &str) -> &'static str {
    match name {
        "node" => "pve1",
        "vmid" => "100",
        "userid" => "root@pam",
        "id" => "influx1",
        "realm" => "ldap1",
        "name" => "target1",
        "dns" => "pdns1",
        "ipam" => "netbox1",
        "storage" => "pbs1",
        other => panic!("no value for path parameter {other}"),
    }
}

/// Everything the clients of one sweep are and what they produced.
struct Sweep {
    /// Logged in to the peer, which answers each request with a scripted 400.
    peer: Client,
    /// Pointed at an address nobody listens at.
    unreachable: Client,
    /// Pinning a certificate the peer does not have.
    wrong_cert: Client,
    pve: Peer,
    /// What was checked: (endpoint, what, text).
    texts: Vec<(String, String, String)>,
    endpoints: usize,
}

impl Sweep {
    fn request<E: Endpoint>(client: &Client, template: &str, params: &Value) -> Request<E> {
        let mut handle = PathHandle::root(client);
        for segment in template.split('/').filter(|s| !s.is_empty()) {
            handle = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => handle.param(&path_value(name)),
                None => handle.child(segment),
            };
        }
        let params = params_from_json::<E>(params.clone())
            .unwrap_or_else(|e| panic!("{template}: parameters: {e}"));
        Request::<E>::new(handle, params)
    }

    fn keep(&mut self, endpoint: &str, what: &str, text: String) {
        self.texts
            .push((endpoint.to_owned(), what.to_owned(), text));
    }

    /// Keeps an error's Display and Debug, and its sources'.
    fn keep_error(&mut self, endpoint: &str, how: &str, err: &Error) {
        self.keep(endpoint, &format!("{how}: Display"), err.to_string());
        self.keep(endpoint, &format!("{how}: Debug"), format!("{err:?}"));
        let mut source = err.source();
        let mut depth = 0;
        while let Some(cause) = source {
            depth += 1;
            self.keep(
                endpoint,
                &format!("{how}: source {depth}"),
                cause.to_string(),
            );
            self.keep(
                endpoint,
                &format!("{how}: source {depth} Debug"),
                format!("{cause:?}"),
            );
            source = cause.source();
        }
    }

    async fn check<E: Endpoint>(&mut self, template: &'static str, params: Value)
    where
        E::Params: std::fmt::Debug,
        E::Response: std::fmt::Debug,
    {
        let method = E::METHOD.to_string();
        let endpoint = format!("{method} {template}");
        self.endpoints += 1;
        assert!(
            params.to_string().contains(MARK),
            "{endpoint}: no secret given"
        );

        // 1. The peer refuses, echoing the secret.
        let request = Self::request::<E>(&self.peer, template, &params);
        self.keep(&endpoint, "request Debug", format!("{request:?}"));
        let echoed: Vec<String> = params
            .as_object()
            .expect("object")
            .values()
            .flat_map(|v| match v {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            })
            .filter_map(|v| v.as_str().map(str::to_owned))
            .filter(|v| v.contains(MARK))
            .collect();
        let message = format!("refused: {}", echoed.join(" and "));
        self.pve.fail(&method, template, 400, &message, 1).await;
        let err = request.send().await.expect_err("the scripted 400");
        assert_eq!(err.status(), Some(400), "{endpoint}: {err}");
        self.keep_error(&endpoint, "peer", &err);

        // 2. Nobody listens.
        let err = Self::request::<E>(&self.unreachable, template, &params)
            .send()
            .await
            .expect_err("nobody listens");
        assert!(matches!(err, Error::Transport(_)), "{endpoint}: {err:?}");
        self.keep_error(&endpoint, "unreachable", &err);

        // 3. The certificate is not the pinned one.
        let err = Self::request::<E>(&self.wrong_cert, template, &params)
            .send()
            .await
            .expect_err("wrong certificate");
        assert!(matches!(err, Error::Tls { .. }), "{endpoint}: {err:?}");
        self.keep_error(&endpoint, "tls", &err);
    }
}

async fn no_secret_in_errors_debug_or_logs(kind: PeerKind) {
    let log = Buffer::default();
    let _subscriber = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(log.clone())
        .finish()
        .set_default();

    let pve = Peer::start(kind).await;
    let peer = pve.builder().version_guard(false).build().expect("client");
    peer.login(pve.user(), pve.password()).await.expect("login");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let unreachable = Client::builder(&format!("https://{closed}"))
        .version_guard(false)
        .api_token("root@pam!ci", "TOKEN-c0ffee")
        .build()
        .expect("client");
    let wrong_cert = Client::builder(pve.url())
        .version_guard(false)
        .fingerprint(&["00"; 32].join(":"))
        .api_token("root@pam!ci", "TOKEN-c0ffee")
        .build()
        .expect("client");
    let mut s = Sweep {
        peer,
        unreachable,
        wrong_cert,
        pve,
        texts: Vec::new(),
        endpoints: 0,
    };

    let pem_key = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        secret(24)
    );
    let pem_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let fingerprint = ["AB"; 32].join(":");

    // The eight that put their secret in the query string.
    s.check::<api::nodes::node::scan::pbs::get::Endpoint>(
        "/nodes/{node}/scan/pbs",
        json!({"server": "10.0.0.5", "username": "root@pam", "password": secret(1)}),
    )
    .await;
    s.check::<api::nodes::node::scan::cifs::get::Endpoint>(
        "/nodes/{node}/scan/cifs",
        json!({"server": "10.0.0.4", "password": secret(2)}),
    )
    .await;
    s.check::<api::nodes::node::vncwebsocket::get::Endpoint>(
        "/nodes/{node}/vncwebsocket",
        json!({"port": 5900, "vncticket": secret(3)}),
    )
    .await;
    s.check::<api::nodes::node::qemu::vmid::vncwebsocket::get::Endpoint>(
        "/nodes/{node}/qemu/{vmid}/vncwebsocket",
        json!({"port": 5900, "vncticket": secret(4)}),
    )
    .await;
    s.check::<api::nodes::node::lxc::vmid::vncwebsocket::get::Endpoint>(
        "/nodes/{node}/lxc/{vmid}/vncwebsocket",
        json!({"port": 5900, "vncticket": secret(5)}),
    )
    .await;
    s.check::<api::nodes::node::qemu::vmid::mtunnelwebsocket::get::Endpoint>(
        "/nodes/{node}/qemu/{vmid}/mtunnelwebsocket",
        json!({"socket": "/run/qemu-server/100.mtunnel", "ticket": secret(6)}),
    )
    .await;
    s.check::<api::nodes::node::lxc::vmid::mtunnelwebsocket::get::Endpoint>(
        "/nodes/{node}/lxc/{vmid}/mtunnelwebsocket",
        json!({"socket": "/run/pve/100.mtunnel", "ticket": secret(7)}),
    )
    .await;
    s.check::<api::access::tfa::userid::id::delete::Endpoint>(
        "/access/tfa/{userid}/{id}",
        json!({"password": secret(8)}),
    )
    .await;

    // The form-bodied ones.
    s.check::<api::access::domains::post::Endpoint>(
        "/access/domains",
        json!({"realm": "ldap1", "type": "ldap", "password": secret(9), "client-key": secret(10)}),
    )
    .await;
    s.check::<api::access::domains::realm::put::Endpoint>(
        "/access/domains/{realm}",
        json!({"password": secret(11), "client-key": secret(12)}),
    )
    .await;
    s.check::<api::access::password::put::Endpoint>(
        "/access/password",
        json!({"userid": "root@pam", "password": secret(13), "confirmation-password": secret(14)}),
    )
    .await;
    s.check::<api::access::tfa::userid::post::Endpoint>(
        "/access/tfa/{userid}",
        json!({"type": "totp", "password": secret(15), "totp": format!("otpauth://totp/x?secret={}", secret(16)), "value": secret(17)}),
    )
    .await;
    s.check::<api::access::tfa::userid::id::put::Endpoint>(
        "/access/tfa/{userid}/{id}",
        json!({"password": secret(18)}),
    )
    .await;
    s.check::<api::access::ticket::post::Endpoint>(
        "/access/ticket",
        json!({"username": "root@pam", "password": secret(19), "otp": secret(20), "tfa-challenge": secret(21)}),
    )
    .await;
    s.check::<api::access::users::post::Endpoint>(
        "/access/users",
        json!({"userid": "bob@pve", "password": secret(22)}),
    )
    .await;
    s.check::<api::access::vncticket::post::Endpoint>(
        "/access/vncticket",
        json!({"authid": "root@pam", "path": "/vms/100", "privs": "VM.Console", "vncticket": secret(23)}),
    )
    .await;
    s.check::<api::nodes::node::certificates::custom::post::Endpoint>(
        "/nodes/{node}/certificates/custom",
        json!({"certificates": pem_cert, "key": pem_key}),
    )
    .await;
    s.check::<api::cluster::acme::account::post::Endpoint>(
        "/cluster/acme/account",
        json!({"contact": "admin@example.com", "eab-kid": "kid1", "eab-hmac-key": secret(25)}),
    )
    .await;
    s.check::<api::cluster::config::join::post::Endpoint>(
        "/cluster/config/join",
        json!({"fingerprint": fingerprint, "hostname": "10.0.0.2", "password": secret(26)}),
    )
    .await;
    s.check::<api::cluster::metrics::server::id::post::Endpoint>(
        "/cluster/metrics/server/{id}",
        json!({"port": 8086, "server": "10.0.0.3", "type": "influxdb", "token": secret(27)}),
    )
    .await;
    s.check::<api::cluster::metrics::server::id::put::Endpoint>(
        "/cluster/metrics/server/{id}",
        json!({"port": 8086, "server": "10.0.0.3", "token": secret(28)}),
    )
    .await;
    s.check::<api::cluster::notifications::endpoints::gotify::post::Endpoint>(
        "/cluster/notifications/endpoints/gotify",
        json!({"name": "gotify1", "server": "https://gotify.example.com", "token": secret(29)}),
    )
    .await;
    s.check::<api::cluster::notifications::endpoints::gotify::name::put::Endpoint>(
        "/cluster/notifications/endpoints/gotify/{name}",
        json!({"token": secret(30)}),
    )
    .await;
    s.check::<api::cluster::notifications::endpoints::smtp::post::Endpoint>(
        "/cluster/notifications/endpoints/smtp",
        json!({"name": "smtp1", "server": "mail.example.com", "from-address": "pve@example.com", "password": secret(31)}),
    )
    .await;
    s.check::<api::cluster::notifications::endpoints::smtp::name::put::Endpoint>(
        "/cluster/notifications/endpoints/smtp/{name}",
        json!({"password": secret(32)}),
    )
    .await;
    s.check::<api::cluster::notifications::endpoints::webhook::post::Endpoint>(
        "/cluster/notifications/endpoints/webhook",
        json!({"name": "hook1", "method": "post", "url": "https://hook.example.com", "secret": [format!("name=tok,value={}", secret(33))]}),
    )
    .await;
    s.check::<api::cluster::notifications::endpoints::webhook::name::put::Endpoint>(
        "/cluster/notifications/endpoints/webhook/{name}",
        json!({"secret": [format!("name=tok,value={}", secret(34))]}),
    )
    .await;
    s.check::<api::cluster::sdn::dns::post::Endpoint>(
        "/cluster/sdn/dns",
        json!({"dns": "pdns1", "type": "powerdns", "url": "https://dns.example.com", "key": secret(35)}),
    )
    .await;
    s.check::<api::cluster::sdn::dns::dns::put::Endpoint>(
        "/cluster/sdn/dns/{dns}",
        json!({"key": secret(36)}),
    )
    .await;
    s.check::<api::cluster::sdn::ipams::post::Endpoint>(
        "/cluster/sdn/ipams",
        json!({"ipam": "netbox1", "type": "netbox", "token": secret(37)}),
    )
    .await;
    s.check::<api::cluster::sdn::ipams::ipam::put::Endpoint>(
        "/cluster/sdn/ipams/{ipam}",
        json!({"token": secret(38)}),
    )
    .await;
    s.check::<api::nodes::node::lxc::post::Endpoint>(
        "/nodes/{node}/lxc",
        json!({"vmid": 300, "ostemplate": "local:vztmpl/debian.tar.zst", "password": secret(39)}),
    )
    .await;
    s.check::<api::nodes::node::qemu::post::Endpoint>(
        "/nodes/{node}/qemu",
        json!({"vmid": 300, "cipassword": secret(40)}),
    )
    .await;
    s.check::<api::nodes::node::qemu::vmid::config::post::Endpoint>(
        "/nodes/{node}/qemu/{vmid}/config",
        json!({"cipassword": secret(41)}),
    )
    .await;
    s.check::<api::nodes::node::qemu::vmid::config::put::Endpoint>(
        "/nodes/{node}/qemu/{vmid}/config",
        json!({"cipassword": secret(42)}),
    )
    .await;
    s.check::<api::nodes::node::qemu::vmid::agent::set_user_password::post::Endpoint>(
        "/nodes/{node}/qemu/{vmid}/agent/set-user-password",
        json!({"username": "root", "password": secret(43)}),
    )
    .await;
    s.check::<api::storage::post::Endpoint>(
        "/storage",
        json!({"storage": "pbs1", "type": "pbs", "password": secret(44), "encryption-key": secret(45), "keyring": secret(46), "master-pubkey": secret(47)}),
    )
    .await;
    s.check::<api::storage::storage::put::Endpoint>(
        "/storage/{storage}",
        json!({"password": secret(48), "encryption-key": secret(49), "keyring": secret(50), "master-pubkey": secret(51)}),
    )
    .await;
    // Secrets typed as text (their type is the API's): a proxy URL with its password, an
    // ACME DNS plugin's credentials.
    s.check::<api::cluster::options::put::Endpoint>(
        "/cluster/options",
        json!({"http_proxy": format!("http://proxy:{}@proxy.example.com:3128/", secret(52))}),
    )
    .await;
    s.check::<api::cluster::acme::plugins::post::Endpoint>(
        "/cluster/acme/plugins",
        json!({"id": "dns1", "type": "dns", "api": "cf", "data": secret(53)}),
    )
    .await;
    s.check::<api::cluster::acme::plugins::id::put::Endpoint>(
        "/cluster/acme/plugins/{id}",
        json!({"data": secret(54)}),
    )
    .await;

    assert_eq!(s.endpoints, 41);
    let leaks: Vec<String> = s
        .texts
        .iter()
        .filter(|(_, _, text)| text.contains(MARK))
        .map(|(endpoint, what, text)| format!("{endpoint} ({what}): {text}"))
        .collect();
    assert!(leaks.is_empty(), "secrets shown:\n{}", leaks.join("\n"));
    let log = log.text();
    let leaked: Vec<&str> = log.lines().filter(|l| l.contains(MARK)).collect();
    assert!(leaked.is_empty(), "secrets logged:\n{}", leaked.join("\n"));

    // Not hidden by leaving things out: the URLs are there, their secrets as `***`.
    let scan_pbs = s
        .texts
        .iter()
        .find(|(endpoint, what, _)| {
            endpoint == "GET /nodes/{node}/scan/pbs" && what == "unreachable: Display"
        })
        .expect("the scan/pbs transport error");
    assert!(
        scan_pbs.2.contains(
            "/api2/json/nodes/pve1/scan/pbs?password=***&server=10.0.0.5&username=root%40pam"
        ),
        "{}",
        scan_pbs.2
    );
    assert!(log.contains("password=***"), "{log}");
    let echoed = s
        .texts
        .iter()
        .find(|(endpoint, what, _)| endpoint == "POST /storage" && what == "peer: Display")
        .expect("the /storage API error");
    assert!(echoed.2.starts_with("refused: *** and ***"), "{}", echoed.2);
}

peer_tests!(no_secret_in_errors_debug_or_logs);
