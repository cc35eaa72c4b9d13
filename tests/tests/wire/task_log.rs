//! Reading a task log from servers that page it wrongly (issue 11): one that ignores `start`
//! and answers the first page for ever, and one whose log never ends. The reads stop, with
//! an error, after an exact number of pages, instead of paging for ever.

use proxmoxia::{ApiToken, Client, Error, Upid};
use proxmoxia_tests::wire::{WirePve, ok};
use serde_json::{Value, json};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const UPID: &str = "UPID:pve1:00001234:00005678:65000000:vzdump:100:root@pam:";
const LOG_PATH: &str =
    "/api2/json/nodes/pve1/tasks/UPID:pve1:00001234:00005678:65000000:vzdump:100:root@pam:/log";

/// A page of lines `first..first + count` (numbered from 1, as PVE does).
fn page(first: u64, count: u64) -> Value {
    Value::Array(
        (first..first + count)
            .map(|n| json!({"n": n, "t": format!("line {n}")}))
            .collect(),
    )
}

fn query(request: &Request, name: &str) -> Option<u64> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// A log that never ends: each page is `limit` lines from `start`.
struct Endless;

impl Respond for Endless {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start = query(request, "start").unwrap_or(0);
        let limit = query(request, "limit").unwrap_or(50);
        ok(page(start + 1, limit))
    }
}

async fn client(pve: &WirePve) -> Client {
    let client = pve.client();
    client.set_api_token(ApiToken::parse("root@pam!ci=secret").unwrap());
    client
}

fn log_requests(requests: &[Request]) -> Vec<(Option<u64>, Option<u64>)> {
    requests
        .iter()
        .filter(|r| r.url.path() == LOG_PATH)
        .map(|r| (query(r, "start"), query(r, "limit")))
        .collect()
}

#[tokio::test]
async fn a_server_that_ignores_start_stops_the_read_after_two_pages() {
    let pve = WirePve::start().await;
    // Always the first 500 lines, whatever `start` says.
    pve.mount(LOG_PATH, ok(page(1, 500))).await;
    let client = client(&pve).await;
    let task = client.task(&Upid::parse(UPID).unwrap());

    let err = task.log_all().await.unwrap_err();
    let Error::Decode(decode) = err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(
        decode.message,
        format!(
            "the log of task {UPID} did not move on: asked for lines after 500, got only earlier ones (the server ignores `start`)"
        )
    );
    assert_eq!(
        log_requests(&pve.requests().await),
        [(Some(0), Some(500)), (Some(500), Some(500))]
    );

    // The stream gives the first page's lines, then the error, then ends.
    let mut stream = task.log_stream();
    for n in 1..=500 {
        assert_eq!(stream.next_line().await.unwrap().unwrap().n, n);
    }
    assert!(matches!(
        stream.next_line().await,
        Some(Err(Error::Decode(_)))
    ));
    assert!(stream.next_line().await.is_none());
}

#[tokio::test]
async fn an_endless_log_stops_at_max_log_lines() {
    let pve = WirePve::start().await;
    Mock::given(wiremock::matchers::path(LOG_PATH))
        .respond_with(Endless)
        .mount(&pve.server)
        .await;
    let client = client(&pve).await;
    let task = client.task(&Upid::parse(UPID).unwrap()).max_log_lines(1200);

    let err = task.log_all().await.unwrap_err();
    let Error::Decode(decode) = err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(
        decode.message,
        format!("the log of task {UPID} is longer than 1200 lines (max_log_lines)")
    );
    assert_eq!(
        log_requests(&pve.requests().await),
        [
            (Some(0), Some(500)),
            (Some(500), Some(500)),
            (Some(1000), Some(500))
        ]
    );
}
