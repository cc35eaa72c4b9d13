//! The calls measured, three ways each: the floor (plain reqwest + serde_json, as a careful
//! hand-written client would make them), a typed Proxmoxia call, and a raw Proxmoxia call
//! decoding into the floor's own structs (so that raw/floor is the cost of the client
//! alone). Plus the peer's ceiling: a bare hyper client that reads bodies and decodes nothing.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::{Deserialize, Serialize};

use super::Outcome;
use super::derive;
use super::peer;
use proxmoxia::api::formats::QemuNet;

const TOKEN_ID: &str = "root@pam!bench";
const TOKEN_SECRET: &str = "0b5e6c1e-2026-4d2a-9f00-000000000001";

/// What a variant calls.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Version,
    Status,
    Config,
    Resources,
}

impl Call {
    pub const ALL: [Call; 4] = [Call::Version, Call::Status, Call::Config, Call::Resources];

    pub fn name(self) -> &'static str {
        match self {
            Call::Version => "version",
            Call::Status => "status",
            Call::Config => "config",
            Call::Resources => "resources",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Call::Version => "sequential GET version",
            Call::Status => "sequential GET status/current",
            Call::Config => "POST qemu config, 8 params, 2 net",
            Call::Resources => "GET cluster/resources, 10,000 entries",
        }
    }
}

/// Who makes the call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Floor,
    Typed,
    Raw,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Floor, Variant::Typed, Variant::Raw];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Floor => "floor",
            Variant::Typed => "typed",
            Variant::Raw => "raw",
        }
    }
}

/// `{"data": ...}`.
#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// The floor's `/version` answer.
#[derive(Deserialize)]
#[allow(dead_code)] // Read only through `black_box`.
pub struct Version {
    version: String,
    release: String,
    repoid: String,
    console: Option<String>,
}

/// The floor's `status/current` answer: the fields the typed answer has.
#[derive(Deserialize)]
#[allow(dead_code)] // Read only through `black_box`.
pub struct Status {
    status: String,
    vmid: i64,
    name: Option<String>,
    cpus: Option<f64>,
    cpu: Option<f64>,
    maxmem: Option<i64>,
    mem: Option<i64>,
    maxdisk: Option<i64>,
    diskread: Option<i64>,
    diskwrite: Option<i64>,
    netin: Option<i64>,
    netout: Option<i64>,
    uptime: Option<i64>,
    pid: Option<i64>,
    qmpstatus: Option<String>,
    #[serde(rename = "running-machine")]
    running_machine: Option<String>,
    #[serde(rename = "running-qemu")]
    running_qemu: Option<String>,
    agent: Option<i64>,
    ha: serde_json::Value,
    tags: Option<String>,
    lock: Option<String>,
    template: Option<i64>,
}

/// The POST's parameters as a raw call's user writes them (property strings by hand).
#[derive(Serialize)]
pub struct RawParams {
    balloon: i64,
    cores: i64,
    cpulimit: f64,
    name: String,
    net0: String,
    net1: String,
    onboot: bool,
    sockets: i64,
}

/// The POST's parameters, made afresh (as each call would).
pub fn raw_params() -> RawParams {
    RawParams {
        balloon: 1024,
        cores: 2,
        cpulimit: 1.5,
        name: "web-01".to_owned(),
        net0: format!(
            "virtio={},bridge={},firewall=1",
            "BC:24:11:00:00:01", "vmbr0"
        ),
        net1: format!(
            "virtio={},bridge={},tag={}",
            "BC:24:11:00:00:02", "vmbr1", 20
        ),
        onboot: true,
        sockets: 1,
    }
}

/// The floor's form body of the POST: the same pairs, percent-encoded by hand.
fn floor_form() -> String {
    let p = raw_params();
    let pairs = [
        ("balloon", p.balloon.to_string()),
        ("cores", p.cores.to_string()),
        ("cpulimit", p.cpulimit.to_string()),
        ("name", p.name),
        ("net0", p.net0),
        ("net1", p.net1),
        ("onboot", "1".to_owned()),
        ("sockets", p.sockets.to_string()),
    ];
    let mut body = String::with_capacity(192);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            body.push('&');
        }
        body.push_str(k);
        body.push('=');
        body.extend(utf8_percent_encode(v, NON_ALPHANUMERIC));
    }
    body
}

pub type ConfigRequest = proxmoxia::api::nodes::node::qemu::vmid::config::post::Request;
type ConfigEndpoint = proxmoxia::api::nodes::node::qemu::vmid::config::post::Endpoint;

/// What validating the POST does besides encoding: its path and body checks, on parameters
/// encoded before.
pub fn checks_only(request: &ConfigRequest, encoded: &serde_json::Value) -> proxmoxia::Result<()> {
    use proxmoxia::typed::Endpoint;
    let method = ConfigEndpoint::CATALOG;
    method.check_path(request.api_path())?;
    let empty = serde_json::Map::new();
    method.check_body(encoded.as_object().unwrap_or(&empty))
}

/// The typed POST: eight parameters, two of them `net` property strings.
pub fn config_request(client: &proxmoxia::Client) -> ConfigRequest {
    client
        .nodes("pve1")
        .qemu(100)
        .config()
        .post()
        .balloon(1024)
        .cores(2)
        .cpulimit(1.5)
        .name("web-01")
        .nets(
            0,
            QemuNet::virtio()
                .macaddr("BC:24:11:00:00:01")
                .bridge("vmbr0")
                .firewall(true),
        )
        .nets(
            1,
            QemuNet::virtio()
                .macaddr("BC:24:11:00:00:02")
                .bridge("vmbr1")
                .tag(20),
        )
        .onboot(true)
        .sockets(1)
}

/// The clients, all trusting only the peer's CA.
pub struct Clients {
    port: u16,
    floor: reqwest::Client,
    base: String,
    auth: HeaderValue,
    pve: proxmoxia::Client,
    tls: tokio_rustls::TlsConnector,
}

impl Clients {
    pub fn new(port: u16, ca_pem: &str) -> Outcome<Clients> {
        let ca = CertificateDer::from_pem_slice(ca_pem.as_bytes()).map_err(|e| e.to_string())?;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(ca).map_err(|e| e.to_string())?;
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let floor = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        let pve = proxmoxia::Client::builder("127.0.0.1")
            .port(port)
            .builtin_roots(false)
            .add_ca_pem(ca_pem.as_bytes())
            .api_token(TOKEN_ID, TOKEN_SECRET)
            .build()
            .map_err(|e| e.to_string())?;
        let mut auth = HeaderValue::from_str(&format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}"))
            .map_err(|e| e.to_string())?;
        auth.set_sensitive(true);
        Ok(Clients {
            port,
            floor,
            base: format!("https://127.0.0.1:{port}/api2/json"),
            auth,
            pve,
            tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
        })
    }

    /// The typed POST on this client.
    pub fn config_request(&self) -> ConfigRequest {
        config_request(&self.pve)
    }

    /// The floor's GET of `path`, decoded as `T`.
    async fn floor_get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Outcome<T> {
        let response = self
            .floor
            .get(format!("{}{path}", self.base))
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice::<Envelope<T>>(&body)
            .map(|e| e.data)
            .map_err(|e| e.to_string())
    }

    async fn floor_post(&self) -> Outcome<Option<String>> {
        let response = self
            .floor
            .post(format!("{}/nodes/pve1/qemu/100/config", self.base))
            .header(AUTHORIZATION, self.auth.clone())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(floor_form())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        serde_json::from_slice::<Envelope<Option<String>>>(&body)
            .map(|e| e.data)
            .map_err(|e| e.to_string())
    }

    /// One call; what it decoded is dropped after `black_box`.
    pub async fn call(&self, variant: Variant, call: Call) -> Outcome<()> {
        let e = |e: proxmoxia::Error| e.to_string();
        let vm = || self.pve.nodes("pve1").qemu(100);
        match (variant, call) {
            (Variant::Floor, Call::Version) => {
                black_box(self.floor_get::<Version>("/version").await?);
            }
            (Variant::Typed, Call::Version) => {
                black_box(self.pve.version().get().await.map_err(e)?);
            }
            (Variant::Raw, Call::Version) => {
                black_box(
                    self.pve
                        .raw("/version")
                        .get(())
                        .decode::<Version>()
                        .await
                        .map_err(e)?,
                );
            }
            (Variant::Floor, Call::Status) => {
                black_box(
                    self.floor_get::<Status>("/nodes/pve1/qemu/100/status/current")
                        .await?,
                );
            }
            (Variant::Typed, Call::Status) => {
                black_box(vm().status().current().get().await.map_err(e)?);
            }
            (Variant::Raw, Call::Status) => {
                black_box(
                    self.pve
                        .raw("/nodes/pve1/qemu/100/status/current")
                        .get(())
                        .decode::<Status>()
                        .await
                        .map_err(e)?,
                );
            }
            (Variant::Floor, Call::Config) => {
                black_box(self.floor_post().await?);
            }
            (Variant::Typed, Call::Config) => {
                black_box(config_request(&self.pve).await.map_err(e)?);
            }
            (Variant::Raw, Call::Config) => {
                black_box(
                    self.pve
                        .raw("/nodes/pve1/qemu/100/config")
                        .post(raw_params())
                        .decode::<Option<String>>()
                        .await
                        .map_err(e)?,
                );
            }
            (Variant::Floor, Call::Resources) => {
                black_box(
                    self.floor_get::<Vec<derive::Item>>("/cluster/resources")
                        .await?,
                );
            }
            (Variant::Typed, Call::Resources) => {
                black_box(self.pve.cluster().resources().get().await.map_err(e)?);
            }
            (Variant::Raw, Call::Resources) => {
                black_box(
                    self.pve
                        .raw("/cluster/resources")
                        .get(())
                        .decode::<Vec<derive::Item>>()
                        .await
                        .map_err(e)?,
                );
            }
        }
        Ok(())
    }

    /// The typed answers say what the floor's say.
    pub async fn check_answers(&self) -> Outcome<()> {
        let e = |e: proxmoxia::Error| e.to_string();
        let floor = self.floor_get::<Version>("/version").await?;
        let typed = self.pve.version().get().await.map_err(e)?;
        let status = self
            .floor_get::<Status>("/nodes/pve1/qemu/100/status/current")
            .await?;
        let typed_status = self
            .pve
            .nodes("pve1")
            .qemu(100)
            .status()
            .current()
            .get()
            .await
            .map_err(e)?;
        let upid = self.floor_post().await?;
        let typed_upid = config_request(&self.pve).await.map_err(e)?;
        let resources = self
            .floor_get::<Vec<derive::Item>>("/cluster/resources")
            .await?;
        let typed_resources = self.pve.cluster().resources().get().await.map_err(e)?;
        let same = floor.version == typed.version
            && status.maxmem == typed_status.maxmem
            && status.vmid == typed_status.vmid
            && upid == typed_upid
            && resources.len() == super::ENTRIES
            && typed_resources.len() == super::ENTRIES;
        // The typed POST sends what the floor sends, pair for pair.
        let form = self.config_request().to_form().map_err(e)?;
        let sent: Vec<(String, String)> = form.pairs().to_vec();
        let p = raw_params();
        let expected = [
            ("balloon", "1024"),
            ("cores", "2"),
            ("cpulimit", "1.5"),
            ("name", "web-01"),
            ("net0", p.net0.as_str()),
            ("net1", p.net1.as_str()),
            ("onboot", "1"),
            ("sockets", "1"),
        ];
        let mut sent_sorted = sent.clone();
        sent_sorted.sort();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !same || sent_sorted != expected {
            return Err(format!(
                "answers or forms differ: same answers {same}, typed form {sent:?}"
            ));
        }
        Ok(())
    }
}

/// The peer's ceiling: `tasks` connections, each making `per_task` status GETs with a bare
/// hyper client (bodies read, nothing decoded); calls per second over the span from the
/// first request to the last answer (connections are made before).
pub async fn ceiling(clients: &Clients, tasks: usize, per_task: usize) -> Outcome<f64> {
    let barrier = Arc::new(tokio::sync::Barrier::new(tasks));
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let tls = clients.tls.clone();
            let port = clients.port;
            let auth = clients.auth.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let err = |e: &dyn std::fmt::Display| e.to_string();
                let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .map_err(|e| err(&e))?;
                tcp.set_nodelay(true).map_err(|e| err(&e))?;
                let name = ServerName::try_from("127.0.0.1").map_err(|e| err(&e))?;
                let stream = tls.connect(name, tcp).await.map_err(|e| err(&e))?;
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .map_err(|e| err(&e))?;
                tokio::spawn(connection);
                barrier.wait().await;
                let start = Instant::now();
                for _ in 0..per_task {
                    let request = hyper::Request::get(peer::STATUS)
                        .header(hyper::header::HOST, "127.0.0.1")
                        .header(AUTHORIZATION, auth.clone())
                        .body(Empty::<Bytes>::new())
                        .map_err(|e| err(&e))?;
                    let response = sender.send_request(request).await.map_err(|e| err(&e))?;
                    if !response.status().is_success() {
                        return Err(format!("ceiling: HTTP {}", response.status()));
                    }
                    let body = response
                        .into_body()
                        .collect()
                        .await
                        .map_err(|e| err(&e))?
                        .to_bytes();
                    black_box(body);
                }
                Ok::<_, String>((start, Instant::now()))
            })
        })
        .collect();
    let mut first: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    for handle in handles {
        let (start, end) = handle.await.map_err(|e| e.to_string())??;
        first = Some(first.map_or(start, |f| f.min(start)));
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    let span = match (first, last) {
        (Some(first), Some(last)) => (last - first).as_secs_f64(),
        _ => return Err("no ceiling tasks".into()),
    };
    Ok((tasks * per_task) as f64 / span)
}
