//! Reading a task log from servers that page it wrongly (issue 11): one that ignores `start`
//! and answers the first page for ever, and one whose log never ends. The reads stop, with
//! an error, after an exact number of pages, instead of paging for ever.

use proxmoxia::{ApiToken, Client, Error, TaskEvent, Upid};
use proxmoxia_tests::wire::{WirePve, ok};
use serde_json::{Value, json};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const UPID: &str = "UPID:pve1:00001234:00005678:65000000:vzdump:100:root@pam:";
const LOG_PATH: &str =
    "/api2/json/nodes/pve1/tasks/UPID:pve1:00001234:00005678:65000000:vzdump:100:root@pam:/log";
const STATUS_PATH: &str =
    "/api2/json/nodes/pve1/tasks/UPID:pve1:00001234:00005678:65000000:vzdump:100:root@pam:/status";

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

/// A log of `width`-byte lines that never ends.
struct EndlessWide(usize);

impl Respond for EndlessWide {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start = query(request, "start").unwrap_or(0);
        let limit = query(request, "limit").unwrap_or(50);
        let text = "x".repeat(self.0);
        ok(Value::Array(
            (start + 1..=start + limit)
                .map(|n| json!({"n": n, "t": text}))
                .collect(),
        ))
    }
}

#[tokio::test]
async fn a_log_of_long_lines_stops_at_max_log_bytes() {
    let pve = WirePve::start().await;
    Mock::given(wiremock::matchers::path(LOG_PATH))
        .respond_with(EndlessWide(1024))
        .mount(&pve.server)
        .await;
    let client = client(&pve).await;
    let task = client
        .task(&Upid::parse(UPID).unwrap())
        .max_log_bytes(10_000);

    let err = task.log_all().await.unwrap_err();

    let Error::Decode(decode) = err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(
        decode.message,
        format!("the log of task {UPID} is longer than 10000 bytes (max_log_bytes)")
    );
    // The tenth line passes the limit, in the first page.
    assert_eq!(log_requests(&pve.requests().await), [(Some(0), Some(500))]);
}

#[tokio::test]
async fn the_default_max_log_bytes_bounds_a_log_of_long_lines() {
    let pve = WirePve::start().await;
    Mock::given(wiremock::matchers::path(LOG_PATH))
        .respond_with(EndlessWide(64 * 1024))
        .mount(&pve.server)
        .await;
    let client = client(&pve).await;
    let task = client.task(&Upid::parse(UPID).unwrap());

    let err = task.log_all().await.unwrap_err();

    let Error::Decode(decode) = err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(
        decode.message,
        format!(
            "the log of task {UPID} is longer than {} bytes (max_log_bytes)",
            proxmoxia::DEFAULT_MAX_LOG_BYTES
        )
    );
    // 64 MiB are 1024 lines of 64 KiB: the 1025th, in the third page, passes it.
    assert_eq!(
        log_requests(&pve.requests().await),
        [
            (Some(0), Some(500)),
            (Some(500), Some(500)),
            (Some(1000), Some(500))
        ]
    );
}

#[tokio::test]
async fn line_numbers_below_one_are_refused() {
    for n in [0, -1] {
        let pve = WirePve::start().await;
        pve.mount(
            LOG_PATH,
            ok(json!([{"n": 1, "t": "one"}, {"n": n, "t": "again"}])),
        )
        .await;
        let client = client(&pve).await;
        let task = client.task(&Upid::parse(UPID).unwrap());

        let err = task.log_all().await.unwrap_err();

        let Error::Decode(decode) = err else {
            panic!("expected Error::Decode, got {err:?}");
        };
        assert_eq!(
            decode.message,
            format!("the log of task {UPID} numbers a line {n}: PVE numbers them from 1")
        );
        assert_eq!(decode.path, "data[1].n");
        assert_eq!(log_requests(&pve.requests().await), [(Some(0), Some(500))]);
    }
}

/// `GET .../status`: `running` for the first `running` polls, then stopped with `OK`.
struct StatusAfter {
    running: usize,
    polls: std::sync::atomic::AtomicUsize,
}

impl Respond for StatusAfter {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let poll = self.polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if poll < self.running {
            ok(json!({"status": "running"}))
        } else {
            ok(json!({"status": "stopped", "exitstatus": "OK"}))
        }
    }
}

#[tokio::test]
async fn follow_yields_each_line_number_once_whatever_the_numbers() {
    let pve = WirePve::start().await;
    Mock::given(wiremock::matchers::path(STATUS_PATH))
        .respond_with(StatusAfter {
            running: 20,
            polls: Default::default(),
        })
        .mount(&pve.server)
        .await;
    // Whatever `start` asks, the same three lines, the last numbered far ahead.
    pve.mount(
        LOG_PATH,
        ok(json!([
            {"n": 1, "t": "a"},
            {"n": 2, "t": "b"},
            {"n": 1_000_000_000, "t": "c"},
        ])),
    )
    .await;
    let client = client(&pve).await;
    let task = client
        .task(&Upid::parse(UPID).unwrap())
        .poll_interval(std::time::Duration::ZERO);

    let mut follow = task.follow();
    let mut events = Vec::new();
    while let Some(event) = follow.next_event().await {
        events.push(match event.expect("event") {
            TaskEvent::Line(line) => format!("{} {}", line.n, line.t),
            TaskEvent::Exit(exit) => format!("exit {}", exit.exitstatus),
            other => panic!("unexpected {other:?}"),
        });
    }

    assert_eq!(events, ["1 a", "2 b", "1000000000 c", "exit OK"]);
    // 21 polls: every one after the first asks for lines after the last one read.
    let starts: Vec<Option<u64>> = log_requests(&pve.requests().await)
        .into_iter()
        .map(|(start, _)| start)
        .collect();
    assert_eq!(starts.len(), 21);
    assert_eq!(starts[0], Some(0));
    assert!(
        starts[1..].iter().all(|s| *s == Some(1_000_000_000)),
        "{starts:?}"
    );
}
