//! Staying logged in when things go wrong: a ticket endpoint that fails, hangs or refuses
//! everything, a PVE clock hours away from the client's, and credentials or settings the
//! client must refuse before sending anything.
//!
//! Time is scripted through the server: tickets carry their issue time and answers a `Date`
//! header, both set by the test; nothing sleeps.

use std::time::{Duration, SystemTime};

use proxmoxia::{AuthError, Client, Error, Fingerprint, Session};
use proxmoxia_tests::TlsFront;
use proxmoxia_tests::wire::{TICKET_PATH, WirePve as Pve, header, ok, unix_now};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

const USER: &str = "root@pam";
const PASSWORD: &str = "s3cret-PASSWORD";
const CSRF: &str = "5F5E0F00:CSRFold";
const NEW_CSRF: &str = "5F5E0F00:CSRFnew";
const HOUR: u64 = 60 * 60;
const MINUTE: u64 = 60;

// ---------------------------------------------------------------------------------------
// helpers

/// A ticket issued at `issued` (seconds since the epoch, by the server's clock).
fn ticket_at(issued: u64, sig: &str) -> String {
    format!("PVE:{USER}:{issued:08X}::{sig}")
}

fn cookie_of(ticket: &str) -> String {
    format!("PVEAuthCookie={ticket}")
}

/// The `password` field of a ticket request's form.
fn password_of(request: &Request) -> String {
    std::str::from_utf8(&request.body)
        .expect("form")
        .split('&')
        .find_map(|pair| pair.strip_prefix("password="))
        .map(form_decode)
        .unwrap_or_default()
}

/// Decodes one `application/x-www-form-urlencoded` component.
fn form_decode(text: &str) -> String {
    let mut out = Vec::new();
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex: Vec<u8> = bytes.by_ref().take(2).collect();
                let hex = std::str::from_utf8(&hex).expect("escape");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).expect("UTF-8 form")
}

/// Matches a ticket request whose password is `password` (a password or a ticket to renew).
fn ticket_request(password: &str) -> impl Fn(&Request) -> bool + Send + Sync + use<> {
    let password = password.to_owned();
    move |r: &Request| r.url.path() == TICKET_PATH && password_of(r) == password
}

fn login_answer(ticket: &str, csrf: &str) -> ResponseTemplate {
    ok(json!({"ticket": ticket, "CSRFPreventionToken": csrf, "username": USER, "cap": {}}))
}

/// An HTTP date `offset` seconds from now (the server's clock).
fn http_date(offset: i64) -> String {
    let now = unix_now() as i64 + offset;
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(now as u64))
}

/// Answers with `answer` and a `Date` header by a clock `offset` seconds from ours, written
/// when the answer is sent.
fn dated(offset: i64, answer: ResponseTemplate) -> impl Fn(&Request) -> ResponseTemplate {
    move |_: &Request| {
        answer
            .clone()
            .insert_header("Date", http_date(offset).as_str())
    }
}

/// Mounts the login with the password (answering `ticket`), once.
async fn mount_login(pve: &Pve, ticket: &str, offset: i64) {
    Mock::given(ticket_request(PASSWORD))
        .respond_with(dated(offset, login_answer(ticket, CSRF)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pve.server)
        .await;
}

/// `GET`/`POST /version` answered for any cookie; the server's clock `offset` from ours.
async fn mount_version(pve: &Pve, offset: i64) {
    Mock::given(path("/api2/json/version"))
        .respond_with(dated(offset, ok(json!({"version": "9.2"}))))
        .mount(&pve.server)
        .await;
}

async fn logged_in(pve: &Pve, client: Client, ticket: &str, offset: i64) -> Client {
    mount_login(pve, ticket, offset).await;
    client.login(USER, PASSWORD).await.expect("login");
    client
}

/// `n` concurrent calls of `/version`, alternating GET and POST; their results in order.
async fn concurrent_calls(client: &Client, n: usize) -> Vec<proxmoxia::Result<Value>> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let version = client.raw("version");
                if i % 2 == 0 {
                    version.get(()).await
                } else {
                    version.post(json!({"i": i})).await
                }
            })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

/// The cookies the API requests (all but ticket requests) carried, in order.
async fn api_cookies(pve: &Pve) -> Vec<String> {
    pve.api_requests()
        .await
        .iter()
        .map(|r| header(r, "cookie").unwrap_or_default().to_owned())
        .collect()
}

/// The passwords of the ticket requests, in order (a ticket when it was a renewal).
async fn ticket_passwords(pve: &Pve) -> Vec<String> {
    pve.ticket_requests()
        .await
        .iter()
        .map(password_of)
        .collect()
}

// ---------------------------------------------------------------------------------------
// renewal that fails

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_renewal_of_a_valid_ticket_falls_back_to_it_with_one_attempt_for_all_callers() {
    let pve = Pve::start().await;
    let old = ticket_at(unix_now() - 90 * MINUTE, "SIGold");
    let client = logged_in(&pve, pve.client(), &old, 0).await;
    // Renewal (the ticket as the password) and login alike get PVE's 500.
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"data": null})))
        .with_priority(5)
        .mount(&pve.server)
        .await;
    mount_version(&pve, 0).await;

    let results = concurrent_calls(&client, 200).await;
    // A second wave within the back-off period tries nothing either.
    let later = concurrent_calls(&client, 50).await;

    for (i, result) in results.iter().chain(&later).enumerate() {
        let data = result.as_ref().unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(data["version"], "9.2");
    }
    assert_eq!(
        ticket_passwords(&pve).await,
        [PASSWORD, old.as_str()],
        "the login and ONE renewal attempt for 250 calls"
    );
    let cookies = api_cookies(&pve).await;
    assert_eq!(cookies.len(), 250);
    assert!(cookies.iter().all(|c| *c == cookie_of(&old)));
    assert_eq!(client.session().expect("session").ticket().expose(), old);
}

#[tokio::test]
async fn renewal_is_tried_again_once_the_backoff_period_is_over() {
    let pve = Pve::start().await;
    let old = ticket_at(unix_now() - 90 * MINUTE, "SIGold");
    let new = ticket_at(unix_now(), "SIGnew");
    // No back-off: every call may try again.
    let client = pve
        .front
        .builder()
        .ticket_renew_backoff(Duration::ZERO)
        .build()
        .expect("client");
    let client = logged_in(&pve, client, &old, 0).await;
    // The first two renewals fail (500, then a body that is no login answer), the third works.
    Mock::given(ticket_request(&old))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"data": null})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pve.server)
        .await;
    Mock::given(ticket_request(&old))
        .respond_with(ok(json!({"unexpected": true})))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&pve.server)
        .await;
    Mock::given(ticket_request(&old))
        .respond_with(login_answer(&new, NEW_CSRF))
        .with_priority(3)
        .mount(&pve.server)
        .await;
    mount_version(&pve, 0).await;

    for _ in 0..4 {
        client.raw("version").get(()).await.expect("GET");
    }

    assert_eq!(
        ticket_passwords(&pve).await,
        [PASSWORD, old.as_str(), old.as_str(), old.as_str()]
    );
    assert_eq!(
        api_cookies(&pve).await,
        [&old, &old, &new, &new].map(|t| cookie_of(t))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_renewal_is_waited_for_once_not_once_per_caller() {
    let pve = Pve::start().await;
    let old = ticket_at(unix_now() - 90 * MINUTE, "SIGold");
    // The renewal is never answered (an hour is for ever here); the client gives up after its
    // timeout. Its value only has to exceed how long an ordinary answer takes.
    let client = pve
        .front
        .builder()
        .timeout(Some(Duration::from_secs(10)))
        .build()
        .expect("client");
    let client = logged_in(&pve, client, &old, 0).await;
    Mock::given(ticket_request(&old))
        .respond_with(login_answer(&old, CSRF).set_delay(Duration::from_secs(HOUR)))
        .mount(&pve.server)
        .await;
    mount_version(&pve, 0).await;

    let results = concurrent_calls(&client, 20).await;

    for (i, result) in results.iter().enumerate() {
        assert!(result.is_ok(), "call {i}: {result:?}");
    }
    assert_eq!(
        ticket_passwords(&pve).await,
        [PASSWORD, old.as_str()],
        "one renewal attempt for 20 calls, not one after another"
    );
    let cookies = api_cookies(&pve).await;
    assert_eq!(cookies.len(), 20);
    assert!(cookies.iter().all(|c| *c == cookie_of(&old)));
}

// ---------------------------------------------------------------------------------------
// 401 to everything

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refusing_everything_after_login_sees_one_relogin_for_all_concurrent_calls() {
    let pve = Pve::start().await;
    let ticket = ticket_at(unix_now(), "SIGone");
    let client = logged_in(&pve, pve.client(), &ticket, 0).await;
    pve.mount(
        TICKET_PATH,
        ResponseTemplate::new(401).set_body_json(json!({"data": null})),
    )
    .await;
    pve.mount(
        "/api2/json/version",
        ResponseTemplate::new(401).set_body_json(
            json!({"data": null, "message": "permission denied - invalid PVE ticket\n"}),
        ),
    )
    .await;

    let first = concurrent_calls(&client, 50).await;
    let second = concurrent_calls(&client, 50).await;

    for (i, result) in first.into_iter().chain(second).enumerate() {
        match result {
            Err(Error::Auth(AuthError::Rejected { user, .. })) => {
                assert_eq!(user, USER, "call {i}")
            }
            other => panic!("call {i}: expected Rejected, got {other:?}"),
        }
    }
    assert_eq!(
        ticket_passwords(&pve).await,
        [PASSWORD, PASSWORD],
        "the login and ONE re-login for 100 calls"
    );
    assert_eq!(api_cookies(&pve).await.len(), 100, "no call is retried");
}

#[tokio::test]
async fn server_granting_tickets_but_refusing_calls_gets_one_relogin_and_one_retry_per_call() {
    let pve = Pve::start().await;
    let ticket = ticket_at(unix_now(), "SIGone");
    Mock::given(ticket_request(PASSWORD))
        .respond_with(login_answer(&ticket, CSRF))
        .mount(&pve.server)
        .await;
    pve.mount(
        "/api2/json/version",
        ResponseTemplate::new(401).set_body_json(json!({"data": null})),
    )
    .await;
    let client = pve.client();
    client.login(USER, PASSWORD).await.expect("login");

    for i in 0..3 {
        let err = client.raw("version").get(()).await.expect_err("401");
        assert!(
            matches!(err, Error::Auth(AuthError::Rejected { .. })),
            "call {i}: {err:?}"
        );
    }

    assert_eq!(
        pve.ticket_requests().await.len(),
        1 + 3,
        "login, one re-login per call"
    );
    assert_eq!(
        pve.api_requests().await.len(),
        2 * 3,
        "each call sent twice"
    );
}

// ---------------------------------------------------------------------------------------
// the server's clock

#[tokio::test]
async fn ticket_from_a_server_two_hours_behind_is_used_without_renewal() {
    let pve = Pve::start().await;
    let offset = -2 * HOUR as i64;
    // Issued now by the server's clock: two hours ago by the client's.
    let ticket = ticket_at(unix_now() - 2 * HOUR, "SIGbehind");
    let client = logged_in(&pve, pve.client(), &ticket, offset).await;
    mount_version(&pve, offset).await;
    client.forget_password();

    let results = concurrent_calls(&client, 10).await;

    for (i, result) in results.iter().enumerate() {
        assert!(result.is_ok(), "call {i}: {result:?}");
    }
    assert_eq!(pve.ticket_requests().await.len(), 1, "only the login");
    let cookies = api_cookies(&pve).await;
    assert_eq!(cookies, vec![cookie_of(&ticket); 10]);
    let session = client.session().expect("session");
    assert!(!session.is_expired(), "{session:?}");
    assert!(session.age() < Duration::from_secs(HOUR), "{session:?}");
}

#[tokio::test]
async fn renewal_is_due_by_the_servers_clock_not_the_clients() {
    let pve = Pve::start().await;
    let offset = -2 * HOUR as i64;
    let server_now = unix_now() - 2 * HOUR;
    // 70 minutes old for the server (renew), 3 h 10 for the client (expired).
    let old = ticket_at(server_now - 70 * MINUTE, "SIGold");
    let new = ticket_at(server_now, "SIGnew");
    let client = logged_in(&pve, pve.client(), &old, offset).await;
    Mock::given(ticket_request(&old))
        .respond_with(dated(offset, login_answer(&new, NEW_CSRF)))
        .mount(&pve.server)
        .await;
    mount_version(&pve, offset).await;
    client.forget_password();

    client.raw("version").get(()).await.expect("first GET");
    client.raw("version").get(()).await.expect("second GET");

    assert_eq!(ticket_passwords(&pve).await, [PASSWORD, old.as_str()]);
    assert_eq!(api_cookies(&pve).await, vec![cookie_of(&new); 2]);
}

#[tokio::test]
async fn ticket_expired_by_a_server_clock_three_hours_ahead_is_replaced_before_the_call() {
    let pve = Pve::start().await;
    let offset = 3 * HOUR as i64;
    let server_now = unix_now() + 3 * HOUR;
    // 2 h 10 old for the server (expired), in the future for the client.
    let expired = ticket_at(server_now - 130 * MINUTE, "SIGexpired");
    let new = ticket_at(server_now, "SIGnew");
    let client = logged_in(&pve, pve.client(), &expired, offset).await;
    Mock::given(ticket_request(PASSWORD))
        .respond_with(dated(offset, login_answer(&new, NEW_CSRF)))
        .with_priority(2)
        .mount(&pve.server)
        .await;
    mount_version(&pve, offset).await;

    client.raw("version").get(()).await.expect("GET");

    assert_eq!(
        ticket_passwords(&pve).await,
        [PASSWORD, PASSWORD],
        "logged in again, not renewed with the expired ticket"
    );
    assert_eq!(api_cookies(&pve).await, [cookie_of(&new)]);
}

#[tokio::test]
async fn exported_session_keeps_the_servers_clock_for_the_next_run() {
    let pve = Pve::start().await;
    let offset = -2 * HOUR as i64;
    let ticket = ticket_at(unix_now() - 2 * HOUR, "SIGbehind");
    let first = logged_in(&pve, pve.client(), &ticket, offset).await;
    mount_version(&pve, offset).await;
    let cached = serde_json::to_string(&first.session().expect("session")).expect("JSON");

    // A later run: nothing seen from the server yet, the cached session says how it ticks.
    let second = pve.client();
    second.set_session(serde_json::from_str::<Session>(&cached).expect("session"));
    second.raw("version").get(()).await.expect("GET");

    assert_eq!(
        pve.ticket_requests().await.len(),
        1,
        "only the first run's login"
    );
    assert_eq!(api_cookies(&pve).await, [cookie_of(&ticket)]);
}

/// Answers every login with a fresh ticket (issued now, by the test's clock) and a `Date`
/// header `date(n)` seconds from now, `n` counting every answer of the test's server.
struct FreshTickets {
    answers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    date: fn(usize) -> i64,
}

impl wiremock::Respond for FreshTickets {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self
            .answers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        login_answer(&ticket_at(unix_now(), &format!("SIG{n}")), CSRF)
            .insert_header("Date", http_date((self.date)(n)).as_str())
    }
}

/// Answers `/version` with a `Date` header `date(n)` seconds from now (see
/// [`FreshTickets`]).
struct DatedVersion {
    answers: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    date: fn(usize) -> i64,
}

impl wiremock::Respond for DatedVersion {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self
            .answers
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        ok(json!({"version": "9.2"})).insert_header("Date", http_date((self.date)(n)).as_str())
    }
}

/// A server whose tickets are fresh but whose `Date` headers are `date(n)` seconds from now
/// on its `n`th answer; a client logged in to it, with its password.
async fn server_dated_by(date: fn(usize) -> i64) -> (Pve, Client) {
    let pve = Pve::start().await;
    let answers = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    Mock::given(ticket_request(PASSWORD))
        .respond_with(FreshTickets {
            answers: answers.clone(),
            date,
        })
        .mount(&pve.server)
        .await;
    Mock::given(path("/api2/json/version"))
        .respond_with(DatedVersion { answers, date })
        .mount(&pve.server)
        .await;
    let client = pve.client();
    client.login(USER, PASSWORD).await.expect("login");
    (pve, client)
}

const TEN_YEARS: i64 = 10 * 365 * 24 * HOUR as i64;

#[tokio::test]
async fn a_date_far_in_the_future_costs_one_login_again_not_one_per_call() {
    let (pve, client) = server_dated_by(|_| TEN_YEARS).await;

    for _ in 0..5 {
        client.raw("version").get(()).await.expect("GET");
    }

    // The login's ticket looks ten years old: one login again; its ticket looks as old at
    // once, so the Date headers are wrong and the tickets' own times are believed.
    assert_eq!(ticket_passwords(&pve).await, [PASSWORD, PASSWORD]);
    let second = client.session().expect("session");
    assert_eq!(
        api_cookies(&pve).await,
        vec![cookie_of(second.ticket().expose()); 5]
    );
    assert!(!second.is_expired(), "{second:?}");
}

#[tokio::test]
async fn a_date_flapping_ten_years_ahead_costs_one_login_again_not_one_per_flap() {
    // Every other answer is ten years ahead.
    let (pve, client) = server_dated_by(|n| if n % 2 == 1 { TEN_YEARS } else { 0 }).await;

    for _ in 0..10 {
        client.raw("version").get(()).await.expect("GET");
    }

    assert_eq!(ticket_passwords(&pve).await, [PASSWORD, PASSWORD]);
    assert_eq!(pve.api_requests().await.len(), 10);
}

#[tokio::test]
async fn without_date_headers_the_servers_clock_is_read_from_its_tickets() {
    // No `Date` headers, and a clock three hours behind: the ticket is issued now by the
    // server's clock, three hours ago by the client's.
    let server = proxmoxia_tests::RawHttp::start(|head, mut socket| async move {
        let body = if proxmoxia_tests::raw_http::path_of(&head) == TICKET_PATH {
            let ticket = ticket_at(unix_now() - 3 * HOUR, "SIGbehind");
            json!({"data": {"ticket": ticket, "CSRFPreventionToken": CSRF, "username": USER}})
        } else {
            json!({"data": {"version": "9.2"}})
        };
        let body = body.to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(answer.as_bytes()).await;
    })
    .await;
    let client = server.front.builder().build().expect("client");
    client.login(USER, PASSWORD).await.expect("login");

    for _ in 0..5 {
        client.raw("version").get(()).await.expect("GET");
    }

    let lines = server.request_lines();
    let logins = lines
        .iter()
        .filter(|l| l.contains("/access/ticket"))
        .count();
    assert_eq!((logins, lines.len()), (1, 6), "{lines:?}");
    let session = client.session().expect("session");
    assert!(!session.is_expired(), "{session:?}");
}

// ---------------------------------------------------------------------------------------
// refused before sending

#[tokio::test]
async fn writes_before_login_are_refused_without_sending_anything() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu/100/status/start", json!("UPID"))
        .await;
    let client = pve.client();

    let post = client
        .raw("nodes/pve1/qemu/100/status/start")
        .post(())
        .await;
    let put = client
        .raw("nodes/pve1/qemu/100/config")
        .put(json!({"memory": 2048}))
        .await;
    let delete = client.raw("nodes/pve1/qemu/100").delete(()).await;

    for (verb, result) in [("POST", post), ("PUT", put), ("DELETE", delete)] {
        assert!(
            matches!(result, Err(Error::Auth(AuthError::NotLoggedIn))),
            "{verb}: {result:?}"
        );
    }
    assert!(pve.requests().await.is_empty(), "nothing is sent");
}

#[tokio::test]
async fn writes_pve_serves_without_login_are_still_sent() {
    let pve = Pve::start().await;
    pve.mount(
        TICKET_PATH,
        login_answer(&ticket_at(unix_now(), "SIG"), CSRF),
    )
    .await;
    let client = pve.client();

    let data = client
        .raw("access/ticket")
        .post(json!({"username": USER, "password": PASSWORD}))
        .await
        .expect("POST access/ticket");

    assert_eq!(data["username"], USER);
    assert_eq!(pve.requests().await.len(), 1);
}

#[test]
fn hosts_with_a_path_or_query_are_refused_and_bare_ipv6_is_a_host() {
    for host in ["pve1/x", "pve1?x", "https://pve1:8006/api2/json"] {
        match Client::builder(host).build() {
            Err(Error::Config(message)) => {
                assert!(
                    message.contains("without a path, query or fragment"),
                    "{host}: {message}"
                )
            }
            other => panic!("{host}: expected a Config error, got {other:?}"),
        }
    }
    let client = Client::builder("::1").build().expect("::1");
    assert_eq!(client.base_url(), "https://[::1]:8006/api2/json");
}

#[test]
fn empty_or_multiline_token_secrets_are_refused_at_build() {
    for secret in ["", "aaaa\r\nX-Injected: 1", "aaaa\n"] {
        match Client::builder("pve1")
            .api_token("root@pam!ci", secret)
            .build()
        {
            Err(Error::Config(message)) => {
                assert!(
                    message.contains("secret of API token root@pam!ci"),
                    "{message}"
                );
                assert!(!message.contains("aaaa"), "the secret is quoted: {message}");
            }
            other => panic!("{secret:?}: expected a Config error, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// status lines and pins

/// A plain-HTTP server answering every request with `answer` and closing.
async fn raw_server(answer: &'static [u8]) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let _ = socket.write_all(answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn error_without_message_or_usable_reason_names_the_status() {
    let cases: [(&str, &'static [u8]); 3] = [
        ("empty reason", b"HTTP/1.1 500 \r\nContent-Length: 4\r\nConnection: close\r\n\r\noops"),
        (
            "non-ASCII reason",
            b"HTTP/1.1 500 \xc3\xa9chec \xff\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
        ),
        (
            "empty JSON message",
            b"HTTP/1.1 500 \r\nContent-Length: 27\r\nConnection: close\r\n\r\n{\"data\":null,\"message\":\"\"}\n",
        ),
    ];
    for (case, answer) in cases {
        let front = TlsFront::start(raw_server(answer).await).await;
        let client = front.builder().build().expect("client");

        let err = client.raw("version").get(()).await.expect_err(case);

        assert_eq!(
            err.to_string(),
            "Internal Server Error (HTTP 500 on GET version) (a read: safe to retry)",
            "{case}"
        );
    }
}

#[tokio::test]
async fn a_pinned_fingerprint_is_enforced_even_with_invalid_certs_accepted() {
    let pve = Pve::start().await;
    pve.mount_data("version", json!({"version": "9.2"})).await;
    let right = Fingerprint::of_pem(pve.front.cert.cert_pem.as_bytes()).expect("fingerprint");
    let wrong = "00:".repeat(31) + "00";

    let pinned_wrong = Client::builder(&pve.front.url())
        .danger_accept_invalid_certs(true)
        .fingerprint(&wrong)
        .build()
        .expect("client");
    let err = pinned_wrong
        .raw("version")
        .get(())
        .await
        .expect_err("wrong pin");
    match &err {
        Error::Tls { message, .. } => assert!(
            message.contains(&format!("fingerprint {right} does not match")),
            "{message}"
        ),
        other => panic!("expected a TLS error, got {other:?}"),
    }

    let pinned_right = Client::builder(&pve.front.url())
        .danger_accept_invalid_certs(true)
        .fingerprint(&right.to_string())
        .build()
        .expect("client");
    pinned_right
        .raw("version")
        .get(())
        .await
        .expect("right pin");
    assert_eq!(
        pve.requests().await.len(),
        1,
        "only the right pin's request"
    );
}
