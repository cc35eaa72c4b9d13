//! What the client tells `tracing`: one `pve_request` span per HTTP exchange with its
//! method, path, status and duration, and never a credential.
//!
//! Each test installs a `tracing_subscriber::fmt` subscriber at DEBUG level for its own
//! thread (the tests run on current-thread runtimes, so the client's futures stay on it),
//! writing into an in-memory buffer, and runs one scripted session against wiremock behind
//! a [`TlsFront`]: login, a ticket renewal, GET, POST, an API error, a connection failure
//! and an API-token request.

use std::collections::BTreeMap;
use std::time::Duration;

use proxmoxia::Client;
use proxmoxia_tests::log_capture::Captured as Buffer;
use proxmoxia_tests::wire::{TICKET_PATH, ticket_aged};
use proxmoxia_tests::{TestCert, TlsFront};
use serde_json::json;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::util::SubscriberInitExt;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const USER: &str = "root@pam";
const PASSWORD: &str = "PASSWORD-hunter2-Zq9";
const OLD_SIG: &str = "SIGold/aGVsbG8+d29ybGQ=";
const NEW_SIG: &str = "SIGnew/Zm9vYmFy+YmF6==";
const CSRF: &str = "5F5E0F00:CSRFold-Qx3JmYv9r0mZq";
const NEW_CSRF: &str = "5F5E0F00:CSRFnew-Hk8Lp2Ww4Nn7t";
const TOKEN_ID: &str = "root@pam!ci";
const TOKEN_SECRET: &str = "5d1c8a2e-TOKENSECRET-77b3";

// ---------------------------------------------------------------------------------------
// helpers

fn form_has(field: &'static str) -> impl Fn(&Request) -> bool + Send + Sync + use<> {
    move |r: &Request| {
        std::str::from_utf8(&r.body)
            .map(|body| body.split('&').any(|pair| pair == field))
            .unwrap_or(false)
    }
}

/// Form encoding of a value the way the client writes it (all but `A-Za-z0-9-_.~` escaped).
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Everything one traced session put in the log, and its credentials.
struct Traced {
    log: String,
    old_ticket: String,
    new_ticket: String,
}

/// Runs login (with a ticket issued 90 minutes ago), a GET that renews it first, a POST,
/// a GET answered with HTTP 500, a GET to a closed port and a GET with an API token, all
/// under a DEBUG `fmt` subscriber writing into memory.
async fn traced_session() -> Traced {
    let server = MockServer::start().await;
    let front = TlsFront::start(*server.address()).await;
    let old_ticket = ticket_aged(USER, Duration::from_secs(90 * 60), OLD_SIG);
    let new_ticket = ticket_aged(USER, Duration::ZERO, NEW_SIG);
    let login_answer = |ticket: &str, csrf: &str| {
        ResponseTemplate::new(200).set_body_json(json!({"data": {
            "ticket": ticket, "CSRFPreventionToken": csrf, "username": USER, "cap": {},
        }}))
    };
    let password_field: &'static str =
        Box::leak(format!("password={}", form_encode(PASSWORD)).into_boxed_str());
    let renewal_field: &'static str =
        Box::leak(format!("password={}", form_encode(&old_ticket)).into_boxed_str());
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has(password_field))
        .respond_with(login_answer(&old_ticket, CSRF))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has(renewal_field))
        .respond_with(login_answer(&new_ticket, NEW_CSRF))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/api2/json/version"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"version": "9.2"}})))
        .mount(&server)
        .await;
    Mock::given(path("/api2/json/nodes/pve1/qemu"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": "UPID:pve1:000003E8:00001B58:6751A2B3:qmcreate:100:root@pam:"}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api2/json/nodes/pve9/status"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"data": null, "message": "hostname lookup 'pve9' failed\n"})),
        )
        .mount(&server)
        .await;
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };

    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(LevelFilter::DEBUG)
        .without_time()
        .finish();
    let guard = subscriber.set_default();

    let client = front.builder().build().expect("client");
    client.login(USER, PASSWORD).await.expect("login");
    client.raw("version").get(()).await.expect("GET");
    client
        .raw("nodes/pve1/qemu")
        .post(json!({"vmid": 100, "name": "web-1"}))
        .await
        .expect("POST");
    client
        .raw("nodes/pve9/status")
        .get(())
        .await
        .expect_err("HTTP 500");
    Client::builder(&format!("https://127.0.0.1:{closed_port}"))
        .add_ca_pem(TestCert::ca_signed().ca())
        .build()
        .expect("client")
        .raw("version")
        .get(())
        .await
        .expect_err("connection refused");
    front
        .builder()
        .api_token(TOKEN_ID, TOKEN_SECRET)
        .build()
        .expect("client")
        .raw("version")
        .get(())
        .await
        .expect("token GET");

    drop(guard);
    server.verify().await;
    Traced {
        log: buffer.text(),
        old_ticket,
        new_ticket,
    }
}

/// One logged line inside a `pve_request` span: the span's fields and the whole line.
struct SpanLine {
    fields: BTreeMap<String, String>,
    line: String,
}

/// The client's own line for each request: its event inside the `pve_request` span (other
/// crates, such as hyper-util, log inside the span too).
fn request_lines(log: &str) -> Vec<SpanLine> {
    log.lines()
        .filter(|line| line.contains("}: proxmoxia::client::transport: "))
        .filter_map(|line| {
            let start = line.find("pve_request{")? + "pve_request{".len();
            let end = start + line[start..].find('}')?;
            let fields = line[start..end]
                .split(' ')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            Some(SpanLine {
                fields,
                line: line.to_owned(),
            })
        })
        .collect()
}

/// The lines of requests with this method and path.
fn lines_for<'l>(lines: &'l [SpanLine], method: &str, path: &str) -> Vec<&'l SpanLine> {
    lines
        .iter()
        .filter(|l| {
            l.fields.get("method").map(String::as_str) == Some(method)
                && l.fields.get("path").map(String::as_str) == Some(path)
        })
        .collect()
}

fn assert_duration(line: &SpanLine) {
    let duration = line
        .fields
        .get("duration_ms")
        .unwrap_or_else(|| panic!("no duration_ms in {}", line.line));
    assert!(
        duration.parse::<u64>().is_ok(),
        "duration_ms is not a number: {}",
        line.line
    );
}

// ---------------------------------------------------------------------------------------
// tests

#[tokio::test]
async fn successful_requests_are_traced_with_method_path_status_and_duration() {
    let traced = traced_session().await;
    let lines = request_lines(&traced.log);

    let gets = lines_for(&lines, "GET", "version");
    let posts = lines_for(&lines, "POST", "nodes/pve1/qemu");

    assert_eq!(posts.len(), 1, "{}", traced.log);
    assert_eq!(
        posts[0].fields.get("status").map(String::as_str),
        Some("200")
    );
    assert_duration(posts[0]);
    assert!(posts[0].line.contains("DEBUG"), "{}", posts[0].line);
    assert!(posts[0].line.contains("PVE answered"), "{}", posts[0].line);
    // The ticket GET, the token GET and the refused GET to the closed port.
    assert_eq!(gets.len(), 3, "{}", traced.log);
    let answered: Vec<_> = gets
        .iter()
        .filter(|l| l.fields.get("status").map(String::as_str) == Some("200"))
        .collect();
    assert_eq!(answered.len(), 2, "{}", traced.log);
    for line in answered {
        assert_duration(line);
    }
}

#[tokio::test]
async fn login_and_renewal_are_traced_as_posts_to_access_ticket() {
    let traced = traced_session().await;
    let lines = request_lines(&traced.log);

    let tickets = lines_for(&lines, "POST", "access/ticket");

    assert_eq!(tickets.len(), 2, "login and renewal: {}", traced.log);
    for line in tickets {
        assert_eq!(line.fields.get("status").map(String::as_str), Some("200"));
        assert_duration(line);
    }
    assert!(
        traced.log.contains("PVE ticket renewed"),
        "no renewal event: {}",
        traced.log
    );
}

#[tokio::test]
async fn api_error_is_traced_with_its_status() {
    let traced = traced_session().await;
    let lines = request_lines(&traced.log);

    let failed = lines_for(&lines, "GET", "nodes/pve9/status");

    assert_eq!(failed.len(), 1, "{}", traced.log);
    assert_eq!(
        failed[0].fields.get("status").map(String::as_str),
        Some("500")
    );
    assert_duration(failed[0]);
    assert!(
        failed[0].line.contains("PVE answered with an error"),
        "{}",
        failed[0].line
    );
    assert!(
        failed[0].line.contains("hostname lookup 'pve9' failed"),
        "{}",
        failed[0].line
    );
}

#[tokio::test]
async fn transport_failure_is_traced_without_a_status() {
    let traced = traced_session().await;
    let lines = request_lines(&traced.log);

    let refused: Vec<_> = lines_for(&lines, "GET", "version")
        .into_iter()
        .filter(|l| l.line.contains("request failed"))
        .collect();

    assert_eq!(refused.len(), 1, "{}", traced.log);
    assert_eq!(refused[0].fields.get("status"), None, "{}", refused[0].line);
    assert_duration(refused[0]);
}

#[tokio::test]
async fn trace_output_never_contains_credentials() {
    let traced = traced_session().await;
    assert!(!traced.log.is_empty());

    let secrets = [
        PASSWORD.to_owned(),
        form_encode(PASSWORD),
        traced.old_ticket.clone(),
        traced.new_ticket.clone(),
        OLD_SIG.to_owned(),
        NEW_SIG.to_owned(),
        "SIGold".to_owned(),
        "SIGnew".to_owned(),
        CSRF.to_owned(),
        NEW_CSRF.to_owned(),
        "CSRFold".to_owned(),
        "CSRFnew".to_owned(),
        TOKEN_SECRET.to_owned(),
        "TOKENSECRET".to_owned(),
        "PVEAuthCookie".to_owned(),
        "PVEAPIToken".to_owned(),
    ];
    for secret in &secrets {
        assert!(
            !traced.log.contains(secret.as_str()),
            "{secret:?} is in the trace output:\n{}",
            traced.log
        );
    }
}
