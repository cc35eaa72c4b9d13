//! Servers that try to hurt the client: endless answers, endless error pages, JSON nested
//! deeper than any stack, redirects elsewhere, and 401 to everything. The client must stop
//! reading at its limit, keep only a bounded prefix of an error page, refuse the nesting,
//! follow no redirect, and log in again at most once per call.
//!
//! Huge answers are streamed by [`Streamer`] (chunked, written on the fly from one 64 KiB
//! buffer), never allocated; every server sits behind a [`TlsFront`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proxmoxia::{AuthError, Client, Error, TransportErrorKind};
use proxmoxia_tests::TlsFront;
use proxmoxia_tests::wire::{TICKET_PATH, WirePve as Pve, ticket_aged};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

// ---------------------------------------------------------------------------------------
// a server streaming an endless answer

/// Answers every request with `status` and a chunked body of `total` bytes: `prefix`, then
/// `x` filler, written 64 KiB at a time. Reports for each connection whether the whole
/// body went out.
struct Streamer {
    front: TlsFront,
    finished: mpsc::UnboundedReceiver<bool>,
    written: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Streamer {
    async fn start(status: &'static str, prefix: &'static [u8], total: u64) -> Streamer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("address");
        let (report, finished) = mpsc::unbounded_channel();
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let report = report.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match socket.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let all = stream(&mut socket, status, prefix, total, &counter).await;
                    let _ = report.send(all.is_ok());
                });
            }
        });
        let front = TlsFront::start(addr).await;
        Streamer {
            front,
            finished,
            written,
            task,
        }
    }

    fn client(&self, max_body_bytes: u64) -> Client {
        self.front
            .builder()
            .max_body_bytes(max_body_bytes)
            .build()
            .expect("client")
    }

    /// Whether the server got its whole answer out (waits for the connection to end).
    async fn sent_everything(&mut self) -> bool {
        self.finished.recv().await.expect("the server reports")
    }
}

impl Drop for Streamer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn stream(
    socket: &mut tokio::net::TcpStream,
    status: &str,
    prefix: &[u8],
    total: u64,
    written: &AtomicU64,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await?;
    let filler = vec![b'x'; 64 * 1024];
    let mut sent = 0u64;
    let mut first = true;
    while sent < total {
        let piece: &[u8] = if first { prefix } else { &filler };
        first = false;
        let len = piece.len().min((total - sent) as usize);
        socket.write_all(format!("{len:x}\r\n").as_bytes()).await?;
        socket.write_all(&piece[..len]).await?;
        socket.write_all(b"\r\n").await?;
        sent += len as u64;
        written.store(sent, Ordering::Relaxed);
    }
    socket.write_all(b"0\r\n\r\n").await?;
    socket.flush().await
}

fn transport_kind(err: &Error) -> TransportErrorKind {
    match err {
        Error::Transport(t) => t.kind,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// body size

#[tokio::test]
async fn an_endless_answer_stops_at_the_limit() {
    let mut server = Streamer::start("200 OK", br#"{"data":""#, GIB).await;
    let client = server.client(MIB);

    let err = client.raw("version").get(()).await.expect_err("too large");

    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err}"
    );
    assert!(
        err.to_string().contains("larger than 1048576 bytes"),
        "{err}"
    );
    // A read: asking again is harmless (if pointless against this server).
    assert!(err.is_retry_safe());
    assert_eq!(err.kind(), proxmoxia::ErrorKind::Decode);
    // The client hung up: the server never got its gigabyte out.
    assert!(!server.sent_everything().await);
    assert!(server.written.load(Ordering::Relaxed) < GIB);
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_reading() {
    let pve = Pve::start().await;
    let body = format!(r#"{{"data":"{}"}}"#, "y".repeat(1000));
    pve.mount(
        "/api2/json/version",
        ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
    )
    .await;
    let exact = body.len() as u64;

    // At the limit it is read; one byte under, refused.
    let at_limit = pve
        .front
        .builder()
        .max_body_bytes(exact)
        .build()
        .expect("client");
    assert_eq!(
        at_limit.raw("version").get(()).await.expect("at the limit"),
        json!("y".repeat(1000))
    );
    let under = pve
        .front
        .builder()
        .max_body_bytes(exact - 1)
        .build()
        .expect("client");
    let err = under
        .raw("version")
        .get(())
        .await
        .expect_err("over the limit");
    assert_eq!(transport_kind(&err), TransportErrorKind::BodyTooLarge);
}

#[tokio::test]
async fn an_endless_error_page_keeps_only_its_first_64_kib() {
    let mut server =
        Streamer::start("500 Internal Server Error", br#"{"message":"boom"#, GIB).await;
    let client = server.client(proxmoxia::DEFAULT_MAX_BODY_BYTES);

    let err = client.raw("version").get(()).await.expect_err("500");

    let Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status, 500);
    assert_eq!(api.body.len(), 64 * 1024);
    assert!(api.body.starts_with(r#"{"message":"boom"#));
    // The page is cut, so not JSON: the message is the status line's.
    assert_eq!(api.message, "Internal Server Error");
    assert!(!server.sent_everything().await);
}

#[tokio::test]
async fn an_error_page_is_cut_at_a_smaller_body_limit() {
    let mut server = Streamer::start("502 Bad Gateway", b"<html>", GIB).await;
    let client = server.client(1000);

    let err = client.raw("version").get(()).await.expect_err("502");

    let Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.body.len(), 1000);
    assert!(!server.sent_everything().await);
}

// ---------------------------------------------------------------------------------------
// nesting

/// `{"data": <open> ... <close>}` with `depth` arrays inside `inner`'s place.
fn deep(depth: usize, wrap: impl Fn(&str) -> String) -> String {
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    wrap(&nested)
}

async fn answering(status: u16, body: String) -> Pve {
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/version",
        ResponseTemplate::new(status).set_body_raw(body, "application/json"),
    )
    .await;
    pve
}

#[tokio::test]
async fn json_nested_100k_deep_is_refused_on_the_raw_path() {
    let pve = answering(200, deep(100_000, |n| format!(r#"{{"data":{n}}}"#))).await;

    let err = pve
        .client()
        .raw("version")
        .get(())
        .await
        .expect_err("too deep");

    match &err {
        Error::Decode(d) => {
            assert_eq!(d.path, "body");
            assert!(
                d.message.contains("recursion limit exceeded"),
                "{}",
                d.message
            );
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let err = pve
        .client()
        .raw("version")
        .get(())
        .decode::<serde_json::Value>()
        .await
        .expect_err("too deep");
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn json_nested_100k_deep_is_refused_on_the_typed_path() {
    // Deep inside a field no schema lists: the typed answer keeps unknown fields as JSON.
    let body = deep(100_000, |n| {
        format!(r#"{{"data":{{"version":"9.2","release":"9.2","repoid":"x","extra":{n}}}}}"#)
    });
    let pve = answering(200, body).await;

    let err = pve.client().version().get().await.expect_err("too deep");

    match &err {
        Error::Decode(d) => assert!(
            d.message.contains("recursion limit exceeded"),
            "{}",
            d.message
        ),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn json_nested_deep_in_an_error_answer_is_read_as_text() {
    // 32 000 deep: the whole body fits the 64 KiB kept of an error answer, so it is parsed.
    let body = deep(32_000, |n| format!(r#"{{"message":"x","errors":{n}}}"#));
    assert!(body.len() < 64 * 1024);
    let pve = answering(400, body.clone()).await;

    let err = pve.client().raw("version").get(()).await.expect_err("400");

    let Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status, 400);
    // Not read as JSON (too deep): the status line's message, the body as text.
    assert_eq!(api.message, "Bad Request");
    assert!(api.errors.is_empty());
    assert_eq!(api.body, body);
}

// ---------------------------------------------------------------------------------------
// redirects

/// Answers every request to `/api2/json/version` with a redirect to `location`.
async fn redirecting(status: u16, location: &str) -> Pve {
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/version",
        ResponseTemplate::new(status).insert_header("Location", location),
    )
    .await;
    pve
}

#[tokio::test]
async fn redirects_are_never_followed_with_or_without_credentials() {
    // Another host over plain HTTP, another host over HTTPS, and the same host.
    let elsewhere = MockServer::start().await;
    Mock::given(path("/api2/json/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": "stolen"})))
        .mount(&elsewhere)
        .await;
    let other_tls = TlsFront::start(*elsewhere.address()).await;
    let targets = [
        format!("{}/api2/json/version", elsewhere.uri()),
        format!("{}/api2/json/version", other_tls.url()),
        "/api2/json/version?again=1".to_owned(),
    ];
    for status in [301, 302, 303, 307, 308] {
        for target in &targets {
            let pve = redirecting(status, target).await;
            let client = pve
                .front
                .builder()
                .api_token("root@pam!ci", "TOKEN-SECRET-never-elsewhere")
                .build()
                .expect("client");

            let err = client.raw("version").get(()).await.expect_err("redirect");

            assert_eq!(err.status(), Some(status), "{status} to {target}: {err}");
            assert_eq!(pve.requests().await.len(), 1, "{status} to {target}");
        }
    }
    assert!(
        elsewhere
            .received_requests()
            .await
            .expect("recording")
            .is_empty(),
        "a redirect was followed to another host"
    );
}

// ---------------------------------------------------------------------------------------
// 401 to everything

const USER: &str = "root@pam";
const PASSWORD: &str = "pw-401-loop";

#[tokio::test]
async fn a_server_refusing_every_ticket_gets_one_login_again_per_call() {
    let pve = Pve::start().await;
    let ticket = ticket_aged(USER, std::time::Duration::ZERO, "SIG401");
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "ticket": ticket, "CSRFPreventionToken": "5F5E0F00:csrf", "username": USER,
        }})))
        .mount(&pve.server)
        .await;
    Mock::given(path("/api2/json/version"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"data": null, "message": "permission denied"})),
        )
        .mount(&pve.server)
        .await;
    let client = pve.client();
    client.login(USER, PASSWORD).await.expect("login");

    for call in 1..=3 {
        let err = client.raw("version").get(()).await.expect_err("401");
        assert!(
            matches!(err, Error::Auth(AuthError::Rejected { .. })),
            "call {call}: {err:?}"
        );
        // Per call: the request, one login again, the request once more. No loop.
        assert_eq!(pve.api_requests().await.len(), 2 * call, "call {call}");
        assert_eq!(pve.ticket_requests().await.len(), 1 + call, "call {call}");
    }
}

#[tokio::test]
async fn a_server_refusing_every_login_is_asked_once() {
    let pve = Pve::start().await;
    Mock::given(path(TICKET_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"data": null})))
        .mount(&pve.server)
        .await;

    let err = pve.client().login(USER, PASSWORD).await.expect_err("401");

    assert!(
        matches!(err, Error::Auth(AuthError::Rejected { .. })),
        "{err:?}"
    );
    assert_eq!(pve.requests().await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// a certificate that is not the pinned one

#[tokio::test]
async fn a_tls_error_keeps_its_cause_as_source() {
    let pve = Pve::start().await;
    let client = Client::builder(&pve.front.url())
        .fingerprint(&["00"; 32].join(":"))
        .build()
        .expect("client");

    let err = client
        .raw("nodes/pve1/scan/pbs")
        .get(json!({"password": "pw-in-the-query"}))
        .await
        .expect_err("not the pinned certificate");

    let Error::Tls { url, message, .. } = &err else {
        panic!("expected Error::Tls, got {err:?}");
    };
    assert!(
        url.ends_with("/api2/json/nodes/pve1/scan/pbs?password=***"),
        "{url}"
    );
    assert!(message.contains("fingerprint"), "{message}");
    // The chain goes down to rustls' own error (io::Errors keep theirs behind get_ref).
    let mut found = false;
    let mut cause = std::error::Error::source(&err);
    while let Some(e) = cause {
        assert!(!e.to_string().contains("pw-in-the-query"), "{e}");
        found |= is_rustls(e);
        cause = e.source();
    }
    assert!(found, "no rustls error in the chain of {err:?}");
    assert!(!format!("{err:?}").contains("pw-in-the-query"));
    assert!(pve.requests().await.is_empty());
}

/// Whether `e` is rustls' error, or io::Errors wrapping it.
fn is_rustls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    e.downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| is_rustls(inner))
}

// ---------------------------------------------------------------------------------------
// a TLS error after the request was sent

/// A TLS server that reads each request whole, writes `answer` (nothing, or the head of an
/// answer), then garbage where the next TLS record should be: the client's TLS layer fails
/// after its request reached the server. Counts the requests it read.
struct CorruptingTls {
    addr: SocketAddr,
    ca: String,
    requests: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl CorruptingTls {
    async fn start(answer: &'static [u8]) -> CorruptingTls {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let cert = proxmoxia_tests::TestCert::ca_signed();
        let chain = vec![CertificateDer::from_pem_slice(cert.cert_pem.as_bytes()).expect("cert")];
        let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let requests = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    // The head, then the form body of its Content-Length.
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; length];
                    if tls.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    if tls.write_all(answer).await.is_err() || tls.flush().await.is_err() {
                        return;
                    }
                    // An application-data record that cannot decrypt.
                    let mut garbage = vec![0x17, 0x03, 0x03, 0x00, 0x40];
                    garbage.extend_from_slice(&[0x5a; 0x40]);
                    let _ = tls.get_mut().0.write_all(&garbage).await;
                    let _ = tls.get_mut().0.flush().await;
                    // Held open: the client is the one to give up.
                    std::future::pending::<()>().await;
                });
            }
        });
        CorruptingTls {
            addr,
            ca: cert.ca_pem.expect("a CA"),
            requests,
            task,
        }
    }

    /// A client retrying TLS errors (and every default kind) 4 times, without waiting.
    fn client(&self) -> Client {
        Client::builder(&format!("https://{}", self.addr))
            .add_ca_pem(self.ca.as_bytes())
            .api_token("root@pam!ci", "TOKEN-c0ffee")
            .retry(
                proxmoxia::RetryPolicy::new()
                    .attempts(4)
                    .backoff(std::time::Duration::ZERO, std::time::Duration::ZERO)
                    .deadline(None)
                    .retry_on(
                        proxmoxia::DEFAULT_RETRY_KINDS
                            .iter()
                            .copied()
                            .chain([proxmoxia::ErrorKind::Tls]),
                    ),
            )
            .build()
            .expect("client")
    }
}

impl Drop for CorruptingTls {
    fn drop(&mut self) {
        self.task.abort();
    }
}

const OK_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{\"data\":";

#[tokio::test]
async fn a_tls_error_after_the_request_was_sent_is_not_retried_for_a_write() {
    // Before the answer, and after `200 OK` and part of its body.
    for answer in [&b""[..], OK_HEAD] {
        let server = CorruptingTls::start(answer).await;
        let err = server
            .client()
            .raw("nodes/pve1/qemu/100/status/start")
            .post(())
            .await
            .expect_err("the TLS layer fails");

        assert_eq!(
            server.requests.load(Ordering::SeqCst),
            1,
            "{err}: the POST reached the server once"
        );
        let Error::Transport(t) = &err else {
            panic!("expected a transport error, got {err:?}");
        };
        assert_eq!(t.kind, TransportErrorKind::Tls);
        assert_eq!(err.kind(), proxmoxia::ErrorKind::Tls);
        assert!(!err.is_retry_safe());
        assert!(!t.retry_safe);
        assert!(
            err.to_string().starts_with(&format!(
                "TLS error on POST https://{}/api2/json/nodes/pve1/qemu/100/status/start: ",
                server.addr
            )),
            "{err}"
        );
        assert!(
            err.to_string()
                .ends_with(" (the write may have been carried out: not safe to retry blindly)"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_tls_error_after_a_read_was_sent_is_retried() {
    let server = CorruptingTls::start(OK_HEAD).await;
    let err = server
        .client()
        .raw("version")
        .get(())
        .await
        .expect_err("the TLS layer fails");

    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Tls && t.retry_safe),
        "{err:?}"
    );
    assert!(
        err.to_string().ends_with(" (a read: safe to retry)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failed_handshake_is_retried_with_nothing_sent() {
    let pve = Pve::start().await;
    let client = Client::builder(&pve.front.url())
        .fingerprint(&["00"; 32].join(":"))
        .api_token("root@pam!ci", "TOKEN-c0ffee")
        .retry(
            proxmoxia::RetryPolicy::new()
                .attempts(4)
                .backoff(std::time::Duration::ZERO, std::time::Duration::ZERO)
                .retry_on([proxmoxia::ErrorKind::Tls]),
        )
        .build()
        .expect("client");

    let err = client
        .raw("nodes/pve1/qemu/100/status/start")
        .post(())
        .await
        .expect_err("not the pinned certificate");

    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(err.is_retry_safe());
    assert!(
        err.to_string()
            .ends_with(" (nothing reached PVE: safe to retry)"),
        "{err}"
    );
    assert!(pve.requests().await.is_empty());
}

// ---------------------------------------------------------------------------------------
// retry safety of answers that arrived but cannot be used

#[tokio::test]
async fn an_oversized_answer_states_one_retry_safety() {
    let pve = Pve::start().await;
    let body = format!(r#"{{"data":"{}"}}"#, "y".repeat(1000));
    for path in ["version", "nodes/pve1/qemu/100/status/start"] {
        pve.mount(
            &format!("/api2/json/{path}"),
            ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
        )
        .await;
    }
    let client = proxmoxia_tests::wire::with_token(pve.front.builder())
        .max_body_bytes(100)
        .build()
        .expect("client");

    let read = client.raw("version").get(()).await.expect_err("too large");
    let write = client
        .raw("nodes/pve1/qemu/100/status/start")
        .post(())
        .await
        .expect_err("too large");

    let safety = |err: &Error| match err {
        Error::Transport(t) => (t.kind, t.retry_safe, err.is_retry_safe()),
        other => panic!("expected a transport error, got {other:?}"),
    };
    assert_eq!(
        safety(&read),
        (TransportErrorKind::BodyTooLarge, true, true),
        "{read}"
    );
    assert!(
        read.to_string().ends_with(" (a read: safe to retry)"),
        "{read}"
    );
    assert_eq!(
        safety(&write),
        (TransportErrorKind::BodyTooLarge, false, false),
        "{write}"
    );
    assert!(
        write
            .to_string()
            .ends_with(" (PVE carried out the write: not safe to retry)"),
        "{write}"
    );
}

#[tokio::test]
async fn a_decode_error_says_whether_the_request_was_a_read() {
    let pve = Pve::start().await;
    for path in ["version", "nodes/pve1/qemu/100/status/start"] {
        pve.mount(
            &format!("/api2/json/{path}"),
            ResponseTemplate::new(200).set_body_raw("<html>", "text/html"),
        )
        .await;
    }
    let client = pve.token_client();

    let read = client.version().get().await.expect_err("not JSON");
    let write = client
        .nodes("pve1")
        .qemu(100)
        .status()
        .start()
        .post()
        .await
        .expect_err("not JSON");
    let raw_read = client.raw("version").get(()).await.expect_err("not JSON");
    let local = proxmoxia::typed::params_from_json::<
        proxmoxia::api::nodes::node::qemu::vmid::config::put::Endpoint,
    >(json!({"cores": "many"}))
    .expect_err("not a size");

    for (err, words) in [
        (&read, "a read: safe to retry"),
        (&raw_read, "a read: safe to retry"),
        (&write, "PVE carried out the write: not safe to retry"),
        (&local, "nothing reached PVE: safe to retry"),
    ] {
        assert!(matches!(err, Error::Decode(_)), "{err:?}");
        assert!(err.to_string().ends_with(&format!(" ({words})")), "{err}");
    }
    let Error::Decode(d) = &write else {
        unreachable!()
    };
    assert_eq!(d.method, "POST");
}

// ---------------------------------------------------------------------------------------
// answers of many small values

/// `{"data":[...]}` of `n` copies of `item`.
fn list_of(item: &str, n: usize) -> String {
    format!(r#"{{"data":[{}]}}"#, vec![item; n].join(","))
}

#[tokio::test]
async fn an_answer_of_more_json_values_than_allowed_is_refused_before_decoding() {
    // `/cluster/resources` as 1000 of the smallest items: each one object of two members,
    // 3 values; with the envelope and its `data`, 3002 values.
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/cluster/resources",
        ResponseTemplate::new(200).set_body_raw(
            list_of(r#"{"id":"a","type":"node"}"#, 1000),
            "application/json",
        ),
    )
    .await;
    let client = |limit: u64| {
        proxmoxia_tests::wire::with_token(pve.front.builder())
            .max_answer_values(limit)
            .build()
            .expect("client")
    };

    let resources = client(3002)
        .cluster()
        .resources()
        .get()
        .await
        .expect("at the limit");
    assert_eq!(resources.len(), 1000);
    let typed = client(3001)
        .cluster()
        .resources()
        .get()
        .await
        .expect_err("over the limit");
    let raw = client(3001)
        .raw("cluster/resources")
        .get(())
        .await
        .expect_err("over the limit");

    for err in [&typed, &raw] {
        assert_eq!(transport_kind(err), TransportErrorKind::BodyTooLarge);
        assert_eq!(
            err.to_string(),
            format!(
                "answer too large on GET {}/api2/json/cluster/resources: the answer holds more than 3001 JSON values (see ClientBuilder::max_answer_values) (a read: safe to retry)",
                pve.front.url()
            )
        );
    }
}

#[tokio::test]
async fn the_default_budget_of_json_values_is_exact() {
    // `{"data":[0,...]}` of n zeros holds n + 2 values.
    let limit = proxmoxia::DEFAULT_MAX_ANSWER_VALUES as usize;
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/at",
        ResponseTemplate::new(200).set_body_raw(list_of("0", limit - 2), "application/json"),
    )
    .await;
    pve.mount(
        "/api2/json/over",
        ResponseTemplate::new(200).set_body_raw(list_of("0", limit - 1), "application/json"),
    )
    .await;
    let client = pve.token_client();

    let at = client.raw("at").get(()).await.expect("at the limit");
    assert_eq!(at.as_array().map(Vec::len), Some(limit - 2));
    let err = client
        .raw("over")
        .get(())
        .await
        .expect_err("over the limit");
    assert_eq!(
        transport_kind(&err),
        TransportErrorKind::BodyTooLarge,
        "{err}"
    );
}
