//! Wire-level tests of requests and answers: parameter encoding, paths, answer decoding, PVE's
//! error answers, malformed answers, transport and TLS failures, and waiting for tasks.
//!
//! Most tests run a wiremock server behind [`TlsFront`]. Answers wiremock cannot produce (a
//! custom reason phrase in the status line, which PVE uses for its messages) come from a
//! small scripted raw-HTTP server, also behind a [`TlsFront`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proxmoxia::{Client, Error, TaskOutcome, TransportErrorKind, Upid};
use proxmoxia_tests::api_error;
use proxmoxia_tests::wire::{WirePve as Pve, header, no_panic, ok};
use proxmoxia_tests::{TestCert, TlsFront};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

const UPID: &str = "UPID:pve1:000003E8:00001B58:6751A2B3:qmstart:100:root@pam!ci:";
const STATUS_PATH: &str = "/api2/json/nodes/pve1/tasks/UPID:pve1:000003E8:00001B58:6751A2B3:qmstart:100:root@pam!ci:/status";
const LOG_PATH: &str =
    "/api2/json/nodes/pve1/tasks/UPID:pve1:000003E8:00001B58:6751A2B3:qmstart:100:root@pam!ci:/log";

// ---------------------------------------------------------------------------------------
// helpers

/// An HTTP/1.1 answer with any status line, e.g. `500 Configuration file ... does not exist`.
fn raw_answer(status_line: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status_line}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A plain-HTTP server that reads one request per connection, answers it with the next
/// scripted answer (the last one repeats) and closes. Records each request's head.
struct RawServer {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl RawServer {
    async fn start(answers: Vec<Vec<u8>>) -> RawServer {
        assert!(!answers.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        let task = tokio::spawn(async move {
            let mut served = 0;
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answers[served.min(answers.len() - 1)].clone();
                served += 1;
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Some(head) = read_request(&mut socket).await else {
                        return;
                    };
                    recorded.lock().expect("lock").push(head);
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        RawServer { addr, heads, task }
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("lock").clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads a request head and its `Content-Length` body; returns the head.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(head)
}

/// A raw server behind a TLS front.
struct Raw {
    front: TlsFront,
    server: RawServer,
}

impl Raw {
    async fn start(answers: Vec<Vec<u8>>) -> Raw {
        let server = RawServer::start(answers).await;
        let front = TlsFront::start(server.addr).await;
        Raw { front, server }
    }

    fn client(&self) -> Client {
        self.front.builder().build().expect("client")
    }
}

fn upid() -> Upid {
    Upid::parse(UPID).expect("UPID")
}

fn task_status(status: &str, exitstatus: Option<&str>) -> ResponseTemplate {
    let mut data = json!({
        "status": status, "type": "qmstart", "id": "100", "node": "pve1",
        "user": "root@pam!ci", "pid": 1000, "starttime": 0x6751A2B3_u32, "upid": UPID,
    });
    if let Some(exit) = exitstatus {
        data["exitstatus"] = json!(exit);
    }
    ok(data)
}

/// Task polls: `running` answers first, then a stopped one with `exitstatus`.
async fn mount_task(pve: &Pve, running: u64, exitstatus: &str) {
    if running > 0 {
        Mock::given(method("GET"))
            .and(path(STATUS_PATH))
            .respond_with(task_status("running", None))
            .up_to_n_times(running)
            .with_priority(1)
            .mount(&pve.server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(task_status("stopped", Some(exitstatus)))
        .mount(&pve.server)
        .await;
}

fn log_lines(from: u64, count: u64) -> Value {
    Value::Array(
        (from..from + count)
            .map(|n| json!({"n": n + 1, "t": format!("line {}", n + 1)}))
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------
// encoding

#[tokio::test]
async fn get_puts_parameters_in_the_query_string() {
    let pve = Pve::start().await;
    pve.mount_data("cluster/resources", json!([])).await;

    pve.client()
        .raw("cluster/resources")
        .get(json!({"full": true, "name": "a b&c=d", "running": false, "type": "vm"}))
        .await
        .expect("GET");

    let request = pve.single_request().await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), "/api2/json/cluster/resources");
    assert_eq!(
        request.url.query(),
        Some("full=1&name=a%20b%26c%3Dd&running=0&type=vm")
    );
    assert!(request.body.is_empty());
    assert_eq!(header(&request, "content-type"), None);
}

#[tokio::test]
async fn get_without_parameters_sends_no_query() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({})).await;

    pve.client().raw("version").get(()).await.expect("GET");

    let request = pve.single_request().await;
    assert_eq!(request.url.query(), None);
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn requests_carry_the_user_agent() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({})).await;

    pve.client().raw("version").get(()).await.expect("GET");
    let custom = pve.front.builder().user_agent("provisioner/2.1").build();
    custom
        .expect("client")
        .raw("version")
        .get(())
        .await
        .expect("GET");

    let agents: Vec<String> = pve
        .requests()
        .await
        .iter()
        .map(|r| header(r, "user-agent").unwrap_or_default().to_owned())
        .collect();
    // The tests crate shares the workspace version with proxmoxia.
    let default = format!("proxmoxia/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(agents, [default.as_str(), "provisioner/2.1"]);
}

#[tokio::test]
async fn post_puts_parameters_in_a_form_body() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu", json!("UPID")).await;

    pve.client()
        .raw("nodes/pve1/qemu")
        .post(json!({"cores": 2, "net0": "virtio,bridge=vmbr0", "start": true, "vmid": 100}))
        .await
        .expect("POST");

    let request = pve.single_request().await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), "/api2/json/nodes/pve1/qemu");
    assert_eq!(request.url.query(), None);
    assert_eq!(
        header(&request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8(request.body).expect("UTF-8"),
        "cores=2&net0=virtio%2Cbridge%3Dvmbr0&start=1&vmid=100"
    );
}

#[tokio::test]
async fn put_puts_parameters_in_a_form_body() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu/100/resize", Value::Null)
        .await;

    pve.client()
        .raw("nodes/pve1/qemu/100/resize")
        .put(json!({"disk": "scsi0", "size": "+1G"}))
        .await
        .expect("PUT");

    let request = pve.single_request().await;
    assert_eq!(request.method.as_str(), "PUT");
    assert_eq!(request.url.query(), None);
    assert_eq!(
        header(&request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.body, b"disk=scsi0&size=%2B1G");
}

#[tokio::test]
async fn delete_puts_parameters_in_the_query_string() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu/100", json!("UPID")).await;

    pve.client()
        .raw("nodes/pve1/qemu/100")
        .delete(json!({"purge": true, "skiplock": false}))
        .await
        .expect("DELETE");

    let request = pve.single_request().await;
    assert_eq!(request.method.as_str(), "DELETE");
    assert_eq!(request.url.query(), Some("purge=1&skiplock=0"));
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn none_and_null_parameters_are_not_sent() {
    #[derive(Serialize)]
    struct Params {
        cores: Option<u32>,
        description: Option<String>,
        memory: Option<u32>,
    }
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu/100/config", Value::Null)
        .await;
    let config = pve.client().raw("nodes/pve1/qemu/100/config");

    config
        .post(Params {
            cores: None,
            description: None,
            memory: Some(2048),
        })
        .await
        .expect("POST");
    config
        .get(json!({"current": null, "snapshot": "s1"}))
        .await
        .expect("GET");

    let requests = pve.requests().await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, b"memory=2048");
    assert_eq!(requests[1].url.query(), Some("snapshot=s1"));
}

#[tokio::test]
async fn arrays_become_repeated_keys() {
    let pve = Pve::start().await;
    pve.mount_data("cluster/backup", Value::Null).await;
    let backup = pve.client().raw("cluster/backup");

    backup
        .post(json!({"vmid": [100, 101, 102]}))
        .await
        .expect("POST");
    backup.get(json!({"ids": ["b", "a"]})).await.expect("GET");

    let requests = pve.requests().await;
    assert_eq!(requests[0].body, b"vmid=100&vmid=101&vmid=102");
    assert_eq!(requests[1].url.query(), Some("ids=b&ids=a"));
}

#[tokio::test]
async fn user_structs_serialise_as_parameters() {
    #[derive(Serialize)]
    struct CreateVm {
        cores: u32,
        name: String,
        #[serde(rename = "net0")]
        network: String,
        onboot: bool,
    }
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu", json!("UPID")).await;

    pve.client()
        .raw("nodes/pve1/qemu")
        .post(CreateVm {
            cores: 4,
            name: "web-1".into(),
            network: "virtio=AA:BB:CC:DD:EE:FF".into(),
            onboot: true,
        })
        .await
        .expect("POST");

    let request = pve.single_request().await;
    assert_eq!(
        String::from_utf8(request.body).expect("UTF-8"),
        "cores=4&name=web-1&net0=virtio%3DAA%3ABB%3ACC%3ADD%3AEE%3AFF&onboot=1"
    );
}

#[tokio::test]
async fn nested_object_parameter_is_an_encode_error_and_nothing_is_sent() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu", json!("UPID")).await;
    let client = pve.client();

    let nested = client
        .raw("nodes/pve1/qemu")
        .post(json!({"net0": {"bridge": "vmbr0"}}))
        .await
        .expect_err("nested object");
    let scalar = client
        .raw("nodes/pve1/qemu")
        .post(42)
        .await
        .expect_err("not a map");

    match nested {
        Error::Encode { name, .. } => assert_eq!(name, "net0"),
        other => panic!("expected Encode, got {other:?}"),
    }
    assert!(matches!(scalar, Error::Encode { .. }), "{scalar:?}");
    assert!(pve.requests().await.is_empty());
}

#[tokio::test]
async fn path_may_be_written_with_or_without_slashes() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/status", json!({})).await;
    let client = pve.client();

    for written in [
        "nodes/pve1/status",
        "/nodes/pve1/status",
        "/nodes/pve1/status/",
    ] {
        assert_eq!(client.raw(written).path(), "nodes/pve1/status");
        client.raw(written).get(()).await.expect(written);
    }

    let paths: Vec<String> = pve
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/api2/json/nodes/pve1/status"; 3]);
}

#[tokio::test]
async fn segment_escapes_the_slash_and_space_of_a_volume_id() {
    let pve = Pve::start().await;
    let full = "/api2/json/nodes/pve1/storage/local/content/local:iso%2Fa%20b.iso";
    pve.mount(full, ok(json!({"format": "iso"}))).await;
    let volume = pve
        .client()
        .raw("nodes/pve1/storage/local/content")
        .segment("local:iso/a b.iso");

    assert_eq!(
        volume.path(),
        "nodes/pve1/storage/local/content/local:iso%2Fa%20b.iso"
    );
    let data = volume.get(()).await.expect("GET");

    assert_eq!(data["format"], "iso");
    let request = pve.single_request().await;
    assert_eq!(request.url.path(), full);
    assert_eq!(request.url.query(), None);
}

// ---------------------------------------------------------------------------------------
// answers

#[tokio::test]
async fn data_envelope_is_unwrapped_to_json() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({"version": "9.2.0", "release": "9.2"}))
        .await;
    pve.mount("/api2/json/nodes/pve1/qemu/100/config", ok(Value::Null))
        .await;
    pve.mount(
        "/api2/json/pools",
        ResponseTemplate::new(200).set_body_json(json!({"total": 0})),
    )
    .await;
    let client = pve.client();

    let version = client.raw("version").get(()).await.expect("GET");
    let null = client
        .raw("nodes/pve1/qemu/100/config")
        .put(json!({"cores": 1}))
        .await
        .expect("PUT");
    let no_data = client.raw("pools").get(()).await.expect("GET");

    assert_eq!(version, json!({"version": "9.2.0", "release": "9.2"}));
    assert_eq!(null, Value::Null);
    assert_eq!(no_data, Value::Null);
}

#[derive(Debug, Deserialize, PartialEq)]
struct Node {
    node: String,
    maxcpu: u32,
    status: String,
}

#[tokio::test]
async fn decode_reads_data_into_a_user_type() {
    let pve = Pve::start().await;
    pve.mount_data(
        "nodes",
        json!([{"node": "pve1", "maxcpu": 8, "status": "online", "uptime": 1},
               {"node": "pve2", "maxcpu": 4, "status": "offline"}]),
    )
    .await;

    let nodes: Vec<Node> = pve
        .client()
        .raw("nodes")
        .get(())
        .decode()
        .await
        .expect("decode");

    assert_eq!(
        nodes,
        [
            Node {
                node: "pve1".into(),
                maxcpu: 8,
                status: "online".into()
            },
            Node {
                node: "pve2".into(),
                maxcpu: 4,
                status: "offline".into()
            },
        ]
    );
}

#[tokio::test]
async fn decode_mismatch_names_the_json_path_and_keeps_the_body() {
    let pve = Pve::start().await;
    let body = r#"{"data":[{"node":"pve1","maxcpu":8,"status":"online"},{"node":"pve2","maxcpu":"eight","status":"online"}]}"#;
    pve.mount(
        "/api2/json/nodes",
        ResponseTemplate::new(200).set_body_raw(body, "application/json"),
    )
    .await;

    let err = pve
        .client()
        .raw("nodes")
        .get(())
        .decode::<Vec<Node>>()
        .await
        .expect_err("mismatch");

    match err {
        Error::Decode(e) => {
            assert_eq!(e.path, "data[1].maxcpu");
            assert_eq!(e.body, body);
            assert!(e.message.contains("eight"), "{}", e.message);
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn decode_of_a_missing_field_names_the_object() {
    let pve = Pve::start().await;
    pve.mount_data("nodes", json!([{"node": "pve1", "maxcpu": 8}]))
        .await;

    let err = pve
        .client()
        .raw("nodes")
        .get(())
        .decode::<Vec<Node>>()
        .await
        .expect_err("missing field");

    match err {
        Error::Decode(e) => {
            assert_eq!(e.path, "data[0]");
            assert!(e.message.contains("status"), "{}", e.message);
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn bytes_returns_the_whole_body_with_its_envelope() {
    let pve = Pve::start().await;
    let body = br#"{"data":{"a":1},"total":1}"#;
    pve.mount(
        "/api2/json/version",
        ResponseTemplate::new(200).set_body_raw(&body[..], "application/json"),
    )
    .await;

    let bytes = pve
        .client()
        .raw("version")
        .get(())
        .bytes()
        .await
        .expect("GET");

    assert_eq!(bytes, body);
}

// ---------------------------------------------------------------------------------------
// error answers

#[tokio::test]
async fn parameter_verification_failure_is_an_api_error_with_per_parameter_messages() {
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/nodes/pve1/qemu",
        ResponseTemplate::new(400).set_body_json(json!({
            "data": null,
            "message": "Parameter verification failed.\n",
            "errors": {"net0": "invalid format - format error\nnet0.model: value 'virtioo' does not have a value in the enumeration\n"},
        })),
    )
    .await;

    let err = pve
        .client()
        .raw("nodes/pve1/qemu")
        .post(json!({"net0": "virtioo,bridge=vmbr0", "vmid": 100}))
        .await
        .expect_err("400");

    assert_eq!(err.status(), Some(400));
    let expected_net0 = "invalid format - format error\nnet0.model: value 'virtioo' does not \
                         have a value in the enumeration";
    assert_eq!(err.param_error("net0"), Some(expected_net0));
    assert_eq!(err.param_error("vmid"), None);
    assert!(!err.is_retry_safe());
    assert!(
        err.to_string().starts_with(&format!(
            "Parameter verification failed: net0: {expected_net0}"
        )),
        "{err}"
    );
    let e = api_error(err);
    assert_eq!(e.status, 400);
    assert_eq!(e.method, "POST");
    assert_eq!(e.path, "nodes/pve1/qemu");
    assert_eq!(e.message, "Parameter verification failed.");
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors["net0"], expected_net0);
    assert_eq!(
        e.to_string(),
        format!(
            "Parameter verification failed: net0: {expected_net0} (HTTP 400 on POST nodes/pve1/qemu)"
        )
    );
}

#[tokio::test]
async fn error_message_comes_from_the_reason_phrase_when_the_body_is_html() {
    let reason = "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known";
    let html = b"<html><body><h1>500 Internal Server Error</h1></body></html>";
    let raw = Raw::start(vec![raw_answer(
        &format!("500 {reason}"),
        "text/html",
        html,
    )])
    .await;

    let err = raw
        .client()
        .raw("nodes/pve9/status")
        .get(())
        .await
        .expect_err("500");

    let e = api_error(err);
    assert_eq!(e.status, 500);
    assert_eq!(e.reason, reason);
    assert_eq!(e.message, reason);
    assert_eq!(e.body, String::from_utf8_lossy(html));
    assert!(e.errors.is_empty());
    assert!(!e.is_not_found());
    assert_eq!(
        e.to_string(),
        format!("{reason} (HTTP 500 on GET nodes/pve9/status)")
    );
    let heads = raw.server.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("GET /api2/json/nodes/pve9/status HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
}

#[tokio::test]
async fn missing_vm_configuration_is_not_found() {
    let reason = "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist";
    let raw = Raw::start(vec![raw_answer(
        &format!("500 {reason}"),
        "application/json;charset=UTF-8",
        br#"{"data":null}"#,
    )])
    .await;

    let err = raw
        .client()
        .raw("nodes/pve1/qemu/100/config")
        .get(())
        .await
        .expect_err("500");

    let e = api_error(err);
    assert_eq!(e.status, 500);
    assert_eq!(e.message, reason);
    assert!(e.is_not_found());
}

#[tokio::test]
async fn other_server_errors_are_not_not_found() {
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/nodes/pve1/qemu/100/status/start",
        ResponseTemplate::new(500)
            .set_body_json(json!({"data": null, "message": "VM 100 is locked (backup)\n"})),
    )
    .await;

    let err = pve
        .client()
        .raw("nodes/pve1/qemu/100/status/start")
        .post(())
        .await
        .expect_err("500");

    let e = api_error(err);
    assert_eq!(e.message, "VM 100 is locked (backup)");
    assert!(!e.is_not_found());
}

#[tokio::test]
async fn unreachable_node_is_a_595_with_no_route_to_host() {
    let raw = Raw::start(vec![raw_answer("595 No route to host", "text/plain", b"")]).await;
    let client = raw.client();

    let get = client
        .raw("nodes/pve2/status")
        .get(())
        .await
        .expect_err("595");
    let post = client
        .raw("nodes/pve2/qemu/100/status/start")
        .post(())
        .await
        .expect_err("595");

    assert_eq!(get.status(), Some(595));
    assert!(get.is_retry_safe(), "a GET that got 595 may be repeated");
    assert!(!post.is_retry_safe(), "a POST that got 595 may not");
    let e = api_error(get);
    assert_eq!(e.reason, "No route to host");
    assert_eq!(e.message, "No route to host");
    assert_eq!(e.body, "");
}

#[tokio::test]
async fn error_answers_with_odd_bodies_are_api_errors() {
    let pve = Pve::start().await;
    let deep = "[".repeat(10_000);
    pve.mount(
        "/api2/json/deep",
        ResponseTemplate::new(500).set_body_raw(deep.clone(), "application/json"),
    )
    .await;
    pve.mount(
        "/api2/json/errors-string",
        ResponseTemplate::new(400)
            .set_body_json(json!({"data": null, "message": "bad", "errors": "net0 is wrong"})),
    )
    .await;
    pve.mount(
        "/api2/json/errors-numbers",
        ResponseTemplate::new(400).set_body_json(
            json!({"data": null, "message": 7, "errors": {"cores": 5, "memory": null}}),
        ),
    )
    .await;
    let client = pve.client();

    let c = client.clone();
    let deep_err = no_panic("deep", async move { c.raw("deep").get(()).await }).await;
    let c = client.clone();
    let string_err = no_panic("errors string", async move {
        c.raw("errors-string").get(()).await
    })
    .await;
    let c = client.clone();
    let numbers_err = no_panic("errors numbers", async move {
        c.raw("errors-numbers").get(()).await
    })
    .await;

    let deep_err = api_error(deep_err.expect_err("500"));
    assert_eq!(deep_err.status, 500);
    assert_eq!(deep_err.body, deep);
    assert_eq!(deep_err.message, "Internal Server Error");
    let string_err = api_error(string_err.expect_err("400"));
    assert_eq!(string_err.message, "bad");
    assert!(string_err.errors.is_empty());
    let numbers_err = api_error(numbers_err.expect_err("400"));
    assert_eq!(numbers_err.message, "Bad Request");
    assert_eq!(numbers_err.errors["cores"], "5");
    assert_eq!(numbers_err.errors["memory"], "null");
}

// ---------------------------------------------------------------------------------------
// answers that must not crash the client

#[tokio::test]
async fn malformed_success_answers_are_decode_errors_not_panics() {
    let pve = Pve::start().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("null", b"null".to_vec()),
        ("array", b"[]".to_vec()),
        ("string", b"\"data\"".to_vec()),
        ("truncated", b"{\"data\":".to_vec()),
        ("invalid-utf8", b"\xff\xfe\x80{\"data\":1}".to_vec()),
        (
            "invalid-utf8-in-string",
            b"{\"data\":\"\xc3\x28\"}".to_vec(),
        ),
        (
            "html",
            b"<!DOCTYPE html><html><body>pveproxy</body></html>".to_vec(),
        ),
        ("huge-number", b"{\"data\":1e400}".to_vec()),
        ("deep", "[".repeat(10_000).into_bytes()),
        (
            "deep-in-data",
            format!("{{\"data\":{}", "[".repeat(10_000)).into_bytes(),
        ),
        (
            "deep-closed",
            format!("{{\"data\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        ),
        ("trailing", b"{\"data\":1} {\"data\":2}".to_vec()),
    ];
    for (name, body) in &cases {
        pve.mount(
            &format!("/api2/json/fuzz/{name}"),
            ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
        )
        .await;
    }
    let client = pve.client();

    for (name, body) in cases {
        let c = client.clone();
        let as_json = no_panic(
            name,
            async move { c.raw("fuzz").segment(name).get(()).await },
        )
        .await;
        let c = client.clone();
        let typed = no_panic(name, async move {
            c.raw("fuzz").segment(name).get(()).decode::<Value>().await
        })
        .await;

        for result in [as_json, typed] {
            match result {
                Err(Error::Decode(e)) => {
                    assert_eq!(e.path, "body", "{name}");
                    assert_eq!(e.body, String::from_utf8_lossy(&body), "{name}");
                }
                other => panic!("{name}: expected a decode error, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn numbers_too_big_for_the_type_are_decode_errors() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Status {
        maxmem: u64,
    }
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/nodes/pve1/status",
        ResponseTemplate::new(200).set_body_raw(
            r#"{"data":{"maxmem":123456789012345678901234567890}}"#,
            "application/json",
        ),
    )
    .await;

    let err = pve
        .client()
        .raw("nodes/pve1/status")
        .get(())
        .decode::<Status>()
        .await
        .expect_err("too big");

    match err {
        Error::Decode(e) => assert_eq!(e.path, "data.maxmem"),
        other => panic!("expected Decode, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// transport and TLS

#[tokio::test]
async fn closed_port_is_a_connect_error_safe_to_retry() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let client = Client::builder(&format!("https://127.0.0.1:{port}"))
        .add_ca_pem(TestCert::ca_signed().ca())
        .build()
        .expect("client");

    let get = client.raw("version").get(()).await.expect_err("refused");
    let post = client.raw("version").post(()).await.expect_err("refused");

    for (err, verb) in [(get, "GET"), (post, "POST")] {
        assert!(err.is_retry_safe(), "{verb}: nothing reached PVE");
        match err {
            Error::Transport(t) => {
                assert_eq!(t.kind, TransportErrorKind::Connect, "{verb}");
                assert_eq!(t.method, verb);
                assert_eq!(t.url, format!("https://127.0.0.1:{port}/api2/json/version"));
            }
            other => panic!("{verb}: expected Transport, got {other:?}"),
        }
    }
}

async fn slow_server() -> Pve {
    let pve = Pve::start().await;
    pve.mount(
        "/api2/json/version",
        ok(json!({})).set_delay(Duration::from_secs(3)),
    )
    .await;
    pve
}

fn impatient_client(pve: &Pve) -> Client {
    pve.front
        .builder()
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .expect("client")
}

#[tokio::test]
async fn slow_get_times_out_and_is_safe_to_retry() {
    let pve = slow_server().await;
    let client = impatient_client(&pve);

    let started = Instant::now();
    let err = client.raw("version").get(()).await.expect_err("timeout");

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_retry_safe());
    match err {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::Timeout);
            assert_eq!(t.method, "GET");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn slow_post_times_out_and_is_not_safe_to_retry() {
    let pve = slow_server().await;
    let client = impatient_client(&pve);

    let started = Instant::now();
    let err = client.raw("version").post(()).await.expect_err("timeout");

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(!err.is_retry_safe(), "the POST may have reached PVE");
    match err {
        Error::Transport(t) => {
            assert_eq!(t.kind, TransportErrorKind::Timeout);
            assert_eq!(t.method, "POST");
        }
        other => panic!("expected Transport, got {other:?}"),
    }
}

#[tokio::test]
async fn dropped_connection_on_a_post_is_an_io_error_not_safe_to_retry() {
    let pve = Pve::start().await;
    Mock::given(path("/api2/json/nodes/pve1/qemu"))
        .respond_with_err(|_: &Request| {
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped")
        })
        .mount(&pve.server)
        .await;

    let err = pve
        .client()
        .raw("nodes/pve1/qemu")
        .post(json!({"vmid": 100}))
        .await
        .expect_err("dropped");

    assert!(!err.is_retry_safe());
    match err {
        Error::Transport(t) => assert_eq!(t.kind, TransportErrorKind::Io),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(pve.requests().await.len(), 1, "not sent again");
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({})).await;
    let other_ca = TestCert::ca_signed();
    let client = Client::builder(&pve.front.url())
        .builtin_roots(false)
        .add_ca_pem(other_ca.ca())
        .build()
        .expect("client");

    let err = client.raw("version").get(()).await.expect_err("untrusted");

    assert!(!err.is_retry_safe());
    match err {
        Error::Tls { url, message } => {
            assert_eq!(url, format!("{}/api2/json/version", pve.front.url()));
            // Both test CAs have the same name, so rustls finds the wrong one and reports a
            // bad signature rather than an unknown issuer.
            assert!(
                message.starts_with("invalid peer certificate: "),
                "{message}"
            );
        }
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    assert!(pve.requests().await.is_empty());
}

#[tokio::test]
async fn wrong_pinned_fingerprint_is_a_tls_error_showing_both_fingerprints() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({})).await;
    let wrong = TestCert::ca_signed().fingerprint;
    let client = Client::builder(&pve.front.url())
        .fingerprint(&wrong.to_string())
        .build()
        .expect("client");

    let err = client.raw("version").get(()).await.expect_err("mismatch");

    match err {
        Error::Tls { message, .. } => {
            assert_eq!(
                message,
                format!(
                    "server certificate fingerprint {} does not match {wrong}",
                    pve.front.cert.fingerprint
                )
            );
        }
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    assert!(pve.requests().await.is_empty());
}

#[tokio::test]
async fn right_pinned_fingerprint_is_trusted_without_the_ca() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({"version": "9.2"})).await;
    let client = Client::builder(&pve.front.url())
        .fingerprint(&pve.front.cert.fingerprint.to_string())
        .build()
        .expect("client");

    let data = client.raw("version").get(()).await.expect("GET");

    assert_eq!(data["version"], "9.2");
}

// ---------------------------------------------------------------------------------------
// tasks

#[tokio::test]
async fn task_wait_polls_the_status_until_stopped_ok() {
    let pve = Pve::start().await;
    mount_task(&pve, 2, "OK").await;

    let outcome = pve
        .client()
        .task(&upid())
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .expect("task");

    assert_eq!(outcome, TaskOutcome::Ok);
    let requests = pve.requests().await;
    assert_eq!(requests.len(), 3, "running, running, stopped");
    for request in &requests {
        assert_eq!(request.method.as_str(), "GET");
        assert_eq!(request.url.path(), STATUS_PATH);
        assert_eq!(request.url.query(), None);
    }
}

#[tokio::test]
async fn task_wait_reports_the_warning_count() {
    let pve = Pve::start().await;
    mount_task(&pve, 1, "WARNINGS: 2").await;

    let outcome = pve
        .client()
        .task(&upid())
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .expect("task");

    assert_eq!(outcome, TaskOutcome::Warnings(2));
}

#[tokio::test]
async fn failed_task_is_a_task_error_with_its_exitstatus() {
    let pve = Pve::start().await;
    let exit = "command 'qm start 100' failed: exit code 1";
    mount_task(&pve, 1, exit).await;

    let err = pve
        .client()
        .task(&upid())
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .expect_err("failed task");

    match err {
        Error::Task(failed) => {
            assert_eq!(failed.exitstatus, exit);
            assert_eq!(failed.upid, upid());
            assert_eq!(failed.to_string(), format!("task {UPID} failed: {exit}"));
        }
        other => panic!("expected Error::Task, got {other:?}"),
    }
}

#[tokio::test]
async fn task_wait_gives_up_after_its_timeout() {
    let pve = Pve::start().await;
    mount_task(&pve, u64::MAX, "OK").await;

    let started = Instant::now();
    let err = pve
        .client()
        .task(&upid())
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_millis(150))
        .wait()
        .await
        .expect_err("timeout");

    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    match err {
        Error::TaskTimeout {
            upid: waited_for,
            waited,
        } => {
            assert_eq!(*waited_for, upid());
            assert!(waited >= Duration::from_millis(150), "{waited:?}");
        }
        other => panic!("expected TaskTimeout, got {other:?}"),
    }
    assert!(pve.requests().await.len() >= 2, "it polled more than once");
}

#[tokio::test]
async fn task_poll_answered_with_502_is_retried() {
    let pve = Pve::start().await;
    Mock::given(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pve.server)
        .await;
    mount_task(&pve, 0, "OK").await;

    let outcome = pve
        .client()
        .task(&upid())
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .expect("task");

    assert_eq!(outcome, TaskOutcome::Ok);
    assert_eq!(pve.requests().await.len(), 2);
}

#[tokio::test]
async fn task_poll_whose_connection_dropped_is_retried() {
    let pve = Pve::start().await;
    Mock::given(path(STATUS_PATH))
        .respond_with_err(|_: &Request| {
            std::io::Error::new(std::io::ErrorKind::ConnectionReset, "dropped")
        })
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pve.server)
        .await;
    mount_task(&pve, 0, "WARNINGS: 1").await;

    let outcome = pve
        .client()
        .task(&upid())
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .expect("task");

    assert_eq!(outcome, TaskOutcome::Warnings(1));
    assert_eq!(pve.requests().await.len(), 2);
}

#[tokio::test]
async fn task_log_sends_start_and_limit() {
    let pve = Pve::start().await;
    pve.mount(LOG_PATH, ok(log_lines(5, 10))).await;

    let lines = pve
        .client()
        .task(&upid())
        .log()
        .start(5)
        .limit(10)
        .await
        .expect("log");

    assert_eq!(lines.len(), 10);
    assert_eq!(lines[0].n, 6);
    assert_eq!(lines[0].t, "line 6");
    let request = pve.single_request().await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), LOG_PATH);
    assert_eq!(request.url.query(), Some("start=5&limit=10"));
}

#[tokio::test]
async fn task_log_without_options_sends_no_query() {
    let pve = Pve::start().await;
    pve.mount(LOG_PATH, ok(log_lines(0, 3))).await;

    let lines = pve.client().task(&upid()).log().await.expect("log");

    assert_eq!(lines.len(), 3);
    assert_eq!(pve.single_request().await.url.query(), None);
}

#[tokio::test]
async fn task_log_all_reads_every_page() {
    let pve = Pve::start().await;
    Mock::given(path(LOG_PATH))
        .and(query_param("start", "0"))
        .respond_with(ok(log_lines(0, 500)))
        .mount(&pve.server)
        .await;
    Mock::given(path(LOG_PATH))
        .and(query_param("start", "500"))
        .respond_with(ok(log_lines(500, 7)))
        .mount(&pve.server)
        .await;

    let lines = pve.client().task(&upid()).log_all().await.expect("log");

    assert_eq!(lines.len(), 507);
    assert!(lines.iter().enumerate().all(|(i, l)| l.n == i as i64 + 1));
    assert_eq!(lines[506].t, "line 507");
    let queries: Vec<String> = pve
        .requests()
        .await
        .iter()
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(queries, ["start=0&limit=500", "start=500&limit=500"]);
}
