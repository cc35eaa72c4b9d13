//! The wire-level harness: a wiremock server behind a [`TlsFront`], so the client talks
//! verified HTTPS to scripted answers, and the helpers the wire tests share.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proxmoxia::Client;
use serde_json::{Value, json};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::TlsFront;

/// Where a ticket login or renewal goes.
pub const TICKET_PATH: &str = "/api2/json/access/ticket";

/// A wiremock server and the TLS front the client talks to.
pub struct WirePve {
    pub front: TlsFront,
    pub server: MockServer,
}

impl WirePve {
    pub async fn start() -> WirePve {
        let server = MockServer::start().await;
        let front = TlsFront::start(*server.address()).await;
        WirePve { front, server }
    }

    /// A client without credentials, trusting the front's certificate.
    pub fn client(&self) -> Client {
        self.front.builder().build().expect("client")
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
    }

    /// The only request received.
    pub async fn single_request(&self) -> Request {
        let mut requests = self.requests().await;
        assert_eq!(requests.len(), 1, "expected exactly one request");
        requests.remove(0)
    }

    /// The requests to `/api2/json/access/ticket`.
    pub async fn ticket_requests(&self) -> Vec<Request> {
        let mut requests = self.requests().await;
        requests.retain(|r| r.url.path() == TICKET_PATH);
        requests
    }

    /// The requests to any path but `/api2/json/access/ticket`.
    pub async fn api_requests(&self) -> Vec<Request> {
        let mut requests = self.requests().await;
        requests.retain(|r| r.url.path() != TICKET_PATH);
        requests
    }

    /// Answers every request to `full_path` with this answer.
    pub async fn mount(&self, full_path: &str, answer: ResponseTemplate) {
        Mock::given(path(full_path))
            .respond_with(answer)
            .mount(&self.server)
            .await;
    }

    /// Answers every request to `/api2/json/<api_path>` with `{"data": data}`.
    pub async fn mount_data(&self, api_path: &str, data: Value) {
        self.mount(&format!("/api2/json/{api_path}"), ok(data))
            .await;
    }
}

/// PVE's success envelope around `data`.
pub fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
}

/// A request header as text, if present and printable.
pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Runs the future on its own task, so a panic inside the client becomes a test failure that
/// names the case instead of unwinding through the test.
pub async fn no_panic<T: Send + 'static>(
    case: &str,
    future: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    match tokio::spawn(future).await {
        Ok(value) => value,
        Err(e) => panic!("{case}: the client panicked: {e}"),
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A PVE ticket for `user` issued `age` ago: `PVE:user:<8 hex issue time>::sig`.
pub fn ticket_aged(user: &str, age: Duration, sig: &str) -> String {
    format!("PVE:{user}:{:08X}::{sig}", unix_now() - age.as_secs())
}
