//! The benchmark's peer: a minimal HTTPS server (hyper + rustls, HTTP/1.1 keep-alive) giving
//! canned PVE answers, in a child process of its own so that its CPU is not the client's.
//! It reads each request's body and answers from bytes made once; it checks nothing else.

use std::convert::Infallible;
use std::io::{BufRead, Write};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The variable that makes this benchmark the peer.
pub const CHILD: &str = "PROXMOXIA_RUNTIME_BENCH_PEER";

/// The node, VM and paths every client uses.
pub const VERSION: &str = "/api2/json/version";
pub const STATUS: &str = "/api2/json/nodes/pve1/qemu/100/status/current";
pub const CONFIG: &str = "/api2/json/nodes/pve1/qemu/100/config";
pub const RESOURCES: &str = "/api2/json/cluster/resources";

/// The canned answer bodies, by path.
struct Answers {
    version: Bytes,
    status: Bytes,
    config: Bytes,
    resources: Bytes,
}

pub const VERSION_BODY: &str =
    r#"{"data":{"version":"9.2.0","release":"9.2","repoid":"0123abcd","console":"xtermjs"}}"#;
pub const STATUS_BODY: &str = r#"{"data":{"status":"running","vmid":100,"name":"web-01","cpus":2,"cpu":0.0312,"maxmem":4294967296,"mem":1073741824,"maxdisk":34359738368,"diskread":123456789,"diskwrite":98765432,"netin":555555,"netout":444444,"uptime":86400,"pid":4242,"qmpstatus":"running","running-machine":"pc-i440fx-9.2+pve1","running-qemu":"9.2.0","agent":1,"ha":{"managed":0},"tags":"web;prod"}}"#;
pub const CONFIG_BODY: &str =
    r#"{"data":"UPID:pve1:00001A2B:0003C4D5:6790ABCD:qmconfig:100:root@pam!bench:"}"#;

/// A CA and a certificate for 127.0.0.1 it signed: (CA PEM, cert DER, key DER).
fn certificate() -> Result<(String, Vec<u8>, Vec<u8>), String> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let err = |e: rcgen::Error| e.to_string();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Proxmoxia bench CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(err)?).map_err(err)?;
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).map_err(err)?;
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &ca).map_err(err)?;
    Ok((ca.pem(), cert.der().to_vec(), key.serialize_der()))
}

/// In the child: serves until its stdin closes (the benchmark ended). Prints the port, then
/// the CA's PEM, then an empty line.
pub fn run(resources: Vec<u8>) -> Result<(), String> {
    let (ca_pem, cert, key) = certificate()?;
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert)],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
    )
    .map_err(|e| e.to_string())?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let answers = Arc::new(Answers {
        version: Bytes::from_static(VERSION_BODY.as_bytes()),
        status: Bytes::from_static(STATUS_BODY.as_bytes()),
        config: Bytes::from_static(CONFIG_BODY.as_bytes()),
        resources: Bytes::from(resources),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let mut out = std::io::stdout().lock();
        writeln!(out, "{port}\n{ca_pem}\n").map_err(|e| e.to_string())?;
        out.flush().map_err(|e| e.to_string())?;
        drop(out);
        // The parent closes our stdin when it ends (or dies): stop then.
        tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            while std::io::stdin()
                .lock()
                .read_line(&mut line)
                .is_ok_and(|n| n > 0)
            {}
            std::process::exit(0);
        });
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            let answers = answers.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| respond(answers.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    })
}

async fn respond(
    answers: Arc<Answers>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    // Read the body as a server must (the POST's form); its content is not checked.
    let _ = body.collect().await;
    let answer = match parts.uri.path() {
        VERSION => Some(&answers.version),
        STATUS => Some(&answers.status),
        CONFIG => Some(&answers.config),
        RESOURCES => Some(&answers.resources),
        _ => None,
    };
    let mut response = match answer {
        Some(body) => Response::new(Full::new(body.clone())),
        None => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"{\"data\":null}")));
            *r.status_mut() = StatusCode::NOT_IMPLEMENTED;
            r
        }
    };
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    Ok(response)
}

/// The peer as seen from the benchmark: its port and CA; it ends with the benchmark.
pub struct Peer {
    pub port: u16,
    pub ca_pem: String,
    _child: std::process::Child,
}

/// Starts the peer (this benchmark again, as a child).
pub fn start() -> Result<Peer, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .env(CHILD, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the peer: {e}"))?;
    let stdout = child.stdout.take().ok_or("no peer stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut next = || -> Result<String, String> {
        lines
            .next()
            .ok_or("the peer ended early")?
            .map_err(|e| e.to_string())
    };
    let port = next()?
        .trim()
        .parse()
        .map_err(|e| format!("peer port: {e}"))?;
    let mut ca_pem = String::new();
    loop {
        let line = next()?;
        if line.is_empty() && ca_pem.contains("END CERTIFICATE") {
            break;
        }
        ca_pem.push_str(&line);
        ca_pem.push('\n');
    }
    Ok(Peer {
        port,
        ca_pem,
        _child: child,
    })
}
