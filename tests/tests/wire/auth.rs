//! Wire-level tests of logging in and staying logged in: what the client puts on the wire
//! for PVE's ticket, CSRF token and API token, how it renews and re-obtains tickets, the
//! two-step TFA login, session export and import, and answers that must not crash it.
//!
//! Every test runs a wiremock server behind [`TlsFront`], so requests go through the
//! client's real TLS path.

use std::time::{Duration, UNIX_EPOCH};

use proxmoxia::{
    ApiToken, AuthError, Client, Error, LoginStep, Secret, Session, TfaAnswer, TfaChallenge,
};
use proxmoxia_tests::wire::{TICKET_PATH, WirePve as Pve, header, no_panic, ticket_aged, unix_now};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

const USER: &str = "root@pam";
/// Holds every character that needs escaping in a form.
const PASSWORD: &str = "c0rrect horse&battery=staple+100%";
const CSRF: &str = "5F5E0F00:CSRFoldQx3JmYv9r0mZq";
const NEW_CSRF: &str = "5F5E0F00:CSRFnewHk8Lp2Ww4Nn7t";
/// Ticket signatures: base64, so they contain `/`, `+` and `=`.
const SIG: &str = "SIGold/aGVsbG8+d29ybGQ=";
const NEW_SIG: &str = "SIGnew/Zm9vYmFy+YmF6cXV4==";
const TOKEN_ID: &str = "root@pam!ci";
const TOKEN_SECRET: &str = "0b7e4f2c-TOKENSECRET-9d1a-5c3b8e6f";
/// PVE's half-logged-in ticket for a TFA account (TOTP and recovery keys allowed).
const TFA_TICKET: &str =
    "PVE:!tfa!%7B%22totp%22%3Atrue%2C%22recovery%22%3A%22available%22%7D:5F5E0F00::sig";
const TFA_USER: &str = "alice@pve";
const TFA_PASSWORD: &str = "alice-PASSWORD-1";
const TOTP_CODE: &str = "482915";

// ---------------------------------------------------------------------------------------
// helpers

/// The mocks the login tests mount on the shared harness.
trait AuthMocks {
    async fn mount_login(&self, password: &str, ticket: &str, csrf: &str, times: u64);
    async fn mount_ok(&self, api_path: &str, data: Value);
    async fn mount_for_ticket(&self, api_path: &str, ticket: &str, data: Value);
    async fn logged_in(&self, ticket: &str) -> Client;
}

impl AuthMocks for Pve {
    /// Answers a login with `password` by `ticket` and `csrf`.
    async fn mount_login(&self, password: &str, ticket: &str, csrf: &str, times: u64) {
        Mock::given(method("POST"))
            .and(path(TICKET_PATH))
            .and(form_has("password", password))
            .respond_with(login_answer(USER, ticket, csrf))
            .up_to_n_times(times)
            .expect(times)
            .mount(&self.server)
            .await;
    }

    /// Answers every request to `api_path` with `{"data": data}`.
    async fn mount_ok(&self, api_path: &str, data: Value) {
        Mock::given(path(format!("/api2/json/{api_path}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
            .mount(&self.server)
            .await;
    }

    /// Answers requests to `api_path` carrying `ticket` with `{"data": data}`, any others
    /// with PVE's 401 for an invalid ticket.
    async fn mount_for_ticket(&self, api_path: &str, ticket: &str, data: Value) {
        let cookie = cookie_of(ticket);
        Mock::given(path(format!("/api2/json/{api_path}")))
            .and(move |r: &Request| header(r, "cookie") == Some(cookie.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": data })))
            .with_priority(1)
            .mount(&self.server)
            .await;
        Mock::given(path(format!("/api2/json/{api_path}")))
            .respond_with(invalid_ticket())
            .with_priority(10)
            .mount(&self.server)
            .await;
    }

    /// A client logged in as `USER` with `ticket`.
    async fn logged_in(&self, ticket: &str) -> Client {
        self.mount_login(PASSWORD, ticket, CSRF, 1).await;
        let client = self.client();
        client.login(USER, PASSWORD).await.expect("login");
        client
    }
}

fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

fn fresh_ticket(sig: &str) -> String {
    ticket_aged(USER, Duration::ZERO, sig)
}

/// The issue time written in a ticket.
fn issued_of(ticket: &str) -> u64 {
    let hex = ticket.split(':').nth(2).expect("ticket has a time");
    u64::from_str_radix(hex, 16).expect("hex time")
}

fn cookie_of(ticket: &str) -> String {
    format!("PVEAuthCookie={ticket}")
}

fn login_answer(user: &str, ticket: &str, csrf: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {
        "ticket": ticket,
        "CSRFPreventionToken": csrf,
        "username": user,
        "cap": {"nodes": {"Sys.Audit": 1}},
    }}))
}

/// PVE's answer to a request with a ticket it does not accept.
fn invalid_ticket() -> ResponseTemplate {
    ResponseTemplate::new(401)
        .set_body_json(json!({"data": null, "message": "permission denied - invalid PVE ticket\n"}))
}

/// Decodes one `application/x-www-form-urlencoded` component.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii escape");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8 form")
}

/// The name/value pairs of a form body, in order.
fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    std::str::from_utf8(body)
        .expect("form body is ASCII")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A wiremock matcher: the form body has `name=value`.
fn form_has(name: &'static str, value: &str) -> impl Fn(&Request) -> bool + Send + Sync + use<> {
    let value = value.to_owned();
    move |r: &Request| {
        std::str::from_utf8(&r.body).is_ok()
            && form_pairs(&r.body)
                .iter()
                .any(|(k, v)| k == name && *v == value)
    }
}

/// Asserts the request carries exactly this ticket as its only cookie, byte for byte.
fn assert_cookie(request: &Request, ticket: &str) {
    let cookies: Vec<&[u8]> = request
        .headers
        .get_all("cookie")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    assert_eq!(
        cookies,
        vec![cookie_of(ticket).as_bytes()],
        "cookie of {} {}",
        request.method,
        request.url
    );
}

/// A TFA server: the password answers with a challenge, `tfa_password` (e.g. `totp:123456`)
/// with a full ticket.
async fn mount_tfa(pve: &Pve, tfa_password: &str, ticket: &str) {
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has("password", TFA_PASSWORD))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "ticket": TFA_TICKET, "username": TFA_USER, "NeedTFA": 1,
        }})))
        .mount(&pve.server)
        .await;
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has("tfa-challenge", TFA_TICKET))
        .and(form_has("password", tfa_password))
        .respond_with(login_answer(TFA_USER, ticket, NEW_CSRF))
        .mount(&pve.server)
        .await;
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has("tfa-challenge", TFA_TICKET))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"data": null})))
        .with_priority(10)
        .mount(&pve.server)
        .await;
}

async fn start_tfa(client: &Client) -> TfaChallenge {
    match client.start_login(TFA_USER, TFA_PASSWORD).await {
        Ok(LoginStep::NeedTfa(challenge)) => challenge,
        other => panic!("expected a TFA challenge, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// login

#[tokio::test]
async fn login_posts_user_password_and_new_format_as_a_form() {
    let pve = Pve::start().await;
    let ticket = fresh_ticket(SIG);
    pve.mount_login(PASSWORD, &ticket, CSRF, 1).await;

    let info = pve.client().login(USER, PASSWORD).await.expect("login");

    assert_eq!(info.user, USER);
    let issued = issued_of(&ticket);
    assert_eq!(
        info.expires_at,
        UNIX_EPOCH + Duration::from_secs(issued + 2 * 60 * 60)
    );
    assert_eq!(info.capabilities, json!({"nodes": {"Sys.Audit": 1}}));
    let requests = pve.requests().await;
    assert_eq!(requests.len(), 1);
    let login = &requests[0];
    assert_eq!(login.method.as_str(), "POST");
    assert_eq!(login.url.path(), TICKET_PATH);
    assert_eq!(login.url.query(), None);
    assert_eq!(
        header(login, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        form_pairs(&login.body),
        pairs(&[
            ("username", USER),
            ("password", PASSWORD),
            ("new-format", "1")
        ])
    );
    assert_eq!(header(login, "cookie"), None);
    assert_eq!(header(login, "csrfpreventiontoken"), None);
    assert_eq!(header(login, "authorization"), None);
}

#[tokio::test]
async fn login_with_a_wrong_password_is_rejected() {
    let pve = Pve::start().await;
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"data": null})))
        .mount(&pve.server)
        .await;
    let client = pve.client();

    let err = client.login(USER, "wrong").await.expect_err("401");

    match err {
        Error::Auth(AuthError::Rejected { user, .. }) => assert_eq!(user, USER),
        other => panic!("expected AuthError::Rejected, got {other:?}"),
    }
    assert!(client.session().is_none());
}

#[tokio::test]
async fn login_keeps_the_session_pve_issued() {
    let pve = Pve::start().await;
    let ticket = fresh_ticket(SIG);
    let client = pve.logged_in(&ticket).await;

    let session = client.session().expect("a session");

    assert_eq!(session.user, USER);
    assert_eq!(session.ticket().expose(), ticket);
    assert_eq!(session.csrf_token().expose(), CSRF);
    assert_eq!(session.issued, issued_of(&ticket));
}

// ---------------------------------------------------------------------------------------
// what requests carry

#[tokio::test]
async fn ticket_travels_raw_in_the_cookie_header() {
    let pve = Pve::start().await;
    let ticket = fresh_ticket(SIG);
    assert!(ticket.contains('/') && ticket.contains('+') && ticket.contains('='));
    let client = pve.logged_in(&ticket).await;
    pve.mount_ok("version", json!({"version": "9.2"})).await;

    client.raw("version").get(()).await.expect("GET");

    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_cookie(&requests[0], &ticket);
    assert_eq!(
        requests[0]
            .headers
            .get("cookie")
            .expect("cookie")
            .as_bytes(),
        format!(
            "PVEAuthCookie=PVE:root@pam:{:08X}::SIGold/aGVsbG8+d29ybGQ=",
            issued_of(&ticket)
        )
        .as_bytes()
    );
}

#[tokio::test]
async fn get_requests_carry_no_csrf_token() {
    let pve = Pve::start().await;
    let client = pve.logged_in(&fresh_ticket(SIG)).await;
    pve.mount_ok("nodes", json!([])).await;

    client.raw("nodes").get(()).await.expect("GET");

    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "GET");
    assert_eq!(header(&requests[0], "csrfpreventiontoken"), None);
    assert_eq!(header(&requests[0], "authorization"), None);
}

#[tokio::test]
async fn post_put_and_delete_carry_cookie_and_csrf_token() {
    let pve = Pve::start().await;
    let ticket = fresh_ticket(SIG);
    let client = pve.logged_in(&ticket).await;
    pve.mount_ok("nodes/pve1/qemu/100/config", Value::Null)
        .await;
    let config = client.raw("nodes/pve1/qemu/100/config");

    config.post(json!({"cores": 2})).await.expect("POST");
    config.put(json!({"cores": 4})).await.expect("PUT");
    config.delete(()).await.expect("DELETE");

    let requests = pve.api_requests().await;
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["POST", "PUT", "DELETE"]);
    for request in &requests {
        assert_cookie(request, &ticket);
        let csrf: Vec<&[u8]> = request
            .headers
            .get_all("csrfpreventiontoken")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(csrf, vec![CSRF.as_bytes()], "{}", request.method);
    }
}

#[tokio::test]
async fn api_token_goes_in_the_authorization_header_without_cookie_or_csrf() {
    let pve = Pve::start().await;
    pve.mount_ok("nodes", json!([])).await;
    let client = pve
        .front
        .builder()
        .api_token(TOKEN_ID, TOKEN_SECRET)
        .build()
        .expect("client");

    client.raw("nodes").get(()).await.expect("GET");
    client
        .raw("nodes")
        .post(json!({"x": 1}))
        .await
        .expect("POST");

    let requests = pve.requests().await;
    assert_eq!(requests.len(), 2);
    for request in &requests {
        let auth: Vec<&[u8]> = request
            .headers
            .get_all("authorization")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(
            auth,
            vec![format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}").as_bytes()],
            "{}",
            request.method
        );
        assert_eq!(header(request, "cookie"), None, "{}", request.method);
        assert_eq!(
            header(request, "csrfpreventiontoken"),
            None,
            "{}",
            request.method
        );
    }
}

#[tokio::test]
async fn set_api_token_replaces_the_ticket() {
    let pve = Pve::start().await;
    let client = pve.logged_in(&fresh_ticket(SIG)).await;
    pve.mount_ok("nodes", json!([])).await;

    client.set_api_token(ApiToken::new(TOKEN_ID, TOKEN_SECRET).expect("token"));
    client.raw("nodes").post(()).await.expect("POST");

    assert!(client.session().is_none());
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(format!("PVEAPIToken={TOKEN_ID}={TOKEN_SECRET}").as_str())
    );
    assert_eq!(header(&requests[0], "cookie"), None);
    assert_eq!(header(&requests[0], "csrfpreventiontoken"), None);
}

#[tokio::test]
async fn api_token_refused_with_401_is_rejected_without_any_login() {
    let pve = Pve::start().await;
    Mock::given(path("/api2/json/nodes"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"data": null})))
        .mount(&pve.server)
        .await;
    let client = pve
        .front
        .builder()
        .api_token(TOKEN_ID, TOKEN_SECRET)
        .build()
        .expect("client");

    let err = client.raw("nodes").get(()).await.expect_err("401");

    match err {
        Error::Auth(AuthError::Rejected { user, .. }) => assert_eq!(user, TOKEN_ID),
        other => panic!("expected AuthError::Rejected, got {other:?}"),
    }
    let requests = pve.requests().await;
    assert_eq!(requests.len(), 1, "the 401 is not retried");
}

#[tokio::test]
async fn request_without_credentials_refused_with_401_is_not_logged_in() {
    let pve = Pve::start().await;
    Mock::given(path("/api2/json/nodes"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"data": null})))
        .mount(&pve.server)
        .await;

    let err = pve.client().raw("nodes").get(()).await.expect_err("401");

    assert!(
        matches!(err, Error::Auth(AuthError::NotLoggedIn)),
        "expected NotLoggedIn, got {err:?}"
    );
    let requests = pve.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(header(&requests[0], "cookie"), None);
    assert_eq!(header(&requests[0], "authorization"), None);
}

// ---------------------------------------------------------------------------------------
// renewal

#[tokio::test]
async fn fresh_ticket_is_not_renewed() {
    let pve = Pve::start().await;
    let ticket = ticket_aged(USER, minutes(50), SIG);
    let client = pve.logged_in(&ticket).await;
    pve.mount_ok("version", json!({})).await;

    client.raw("version").get(()).await.expect("GET");
    client.raw("version").post(()).await.expect("POST");

    assert_eq!(pve.ticket_requests().await.len(), 1, "only the login");
    for request in pve.api_requests().await {
        assert_cookie(&request, &ticket);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_older_than_an_hour_is_renewed_once_for_many_concurrent_requests() {
    let pve = Pve::start().await;
    let old = ticket_aged(USER, minutes(90), SIG);
    let new = fresh_ticket(NEW_SIG);
    let client = pve.logged_in(&old).await;
    pve.mount_login(&old, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("version", &new, json!({"version": "9.2"}))
        .await;

    let mut tasks = Vec::new();
    for i in 0..20 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let version = client.raw("version");
            if i % 2 == 0 {
                version.get(()).await
            } else {
                version.post(json!({"i": i})).await
            }
        }));
    }
    for task in tasks {
        let data = task.await.expect("task").expect("request");
        assert_eq!(data["version"], "9.2");
    }

    pve.server.verify().await;
    let logins = pve.ticket_requests().await;
    assert_eq!(logins.len(), 2, "the login and ONE renewal");
    assert_eq!(
        form_pairs(&logins[1].body),
        pairs(&[("username", USER), ("password", &old), ("new-format", "1")])
    );
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 20);
    for request in &requests {
        assert_cookie(request, &new);
        if request.method.as_str() == "POST" {
            assert_eq!(header(request, "csrfpreventiontoken"), Some(NEW_CSRF));
        }
    }
    let session = client.session().expect("session");
    assert_eq!(session.ticket().expose(), new);
    assert_eq!(session.csrf_token().expose(), NEW_CSRF);
}

#[tokio::test]
async fn ticket_renew_after_sets_the_renewal_age() {
    let pve = Pve::start().await;
    let old = ticket_aged(USER, minutes(20), SIG);
    let new = fresh_ticket(NEW_SIG);
    pve.mount_login(PASSWORD, &old, CSRF, 1).await;
    pve.mount_login(&old, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("version", &new, json!({})).await;
    let client = pve
        .front
        .builder()
        .ticket_renew_after(minutes(10))
        .build()
        .expect("client");
    client.login(USER, PASSWORD).await.expect("login");

    client.raw("version").get(()).await.expect("GET");

    pve.server.verify().await;
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_cookie(&requests[0], &new);
}

#[tokio::test]
async fn renewal_keeps_the_password_for_a_later_relogin() {
    let pve = Pve::start().await;
    let old = ticket_aged(USER, minutes(90), SIG);
    let renewed = fresh_ticket(NEW_SIG);
    let client = pve.logged_in(&old).await;
    pve.mount_login(&old, &renewed, NEW_CSRF, 1).await;
    // The renewed ticket is then revoked: the client must log in with the password again.
    Mock::given(path("/api2/json/version"))
        .respond_with(invalid_ticket())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pve.server)
        .await;
    let third = ticket_aged(USER, Duration::ZERO, "SIGthird/x+y=");
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has("password", PASSWORD))
        .respond_with(login_answer(USER, &third, NEW_CSRF))
        .with_priority(1)
        .mount(&pve.server)
        .await;
    pve.mount_for_ticket("version", &third, json!({})).await;

    client.raw("version").get(()).await.expect("GET");

    let logins = pve.ticket_requests().await;
    let passwords: Vec<String> = logins
        .iter()
        .map(|r| form_pairs(&r.body)[1].1.clone())
        .collect();
    assert_eq!(passwords, [PASSWORD, old.as_str(), PASSWORD]);
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 2);
    assert_cookie(&requests[0], &renewed);
    assert_cookie(&requests[1], &third);
}

#[tokio::test]
async fn ticket_over_two_hours_old_is_replaced_by_logging_in_with_the_kept_password() {
    let pve = Pve::start().await;
    let expired = ticket_aged(USER, minutes(150), SIG);
    let new = fresh_ticket(NEW_SIG);
    // First login hands out an expired ticket, the second a fresh one.
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has("password", PASSWORD))
        .respond_with(login_answer(USER, &expired, CSRF))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&pve.server)
        .await;
    pve.mount_login(PASSWORD, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("version", &new, json!({})).await;
    let client = pve.client();
    client.login(USER, PASSWORD).await.expect("login");

    client.raw("version").get(()).await.expect("GET");

    let logins = pve.ticket_requests().await;
    assert_eq!(logins.len(), 2, "login, then login again");
    for login in &logins {
        assert_eq!(
            form_pairs(&login.body),
            pairs(&[
                ("username", USER),
                ("password", PASSWORD),
                ("new-format", "1")
            ]),
            "an expired ticket is not sent for renewal"
        );
    }
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_cookie(&requests[0], &new);
}

#[tokio::test]
async fn expired_ticket_from_set_session_fails_with_ticket_expired_and_sends_nothing() {
    let pve = Pve::start().await;
    pve.mount_ok("version", json!({})).await;
    let client = pve.client();
    let expired = ticket_aged(USER, minutes(150), SIG);
    client.set_session(Session::new(USER, Secret::new(expired), Secret::new(CSRF)));

    let err = client.raw("version").get(()).await.expect_err("expired");

    match err {
        Error::Auth(AuthError::TicketExpired { user, .. }) => assert_eq!(user, USER),
        other => panic!("expected TicketExpired, got {other:?}"),
    }
    assert!(pve.requests().await.is_empty(), "nothing is sent");
}

#[tokio::test]
async fn expired_ticket_after_forget_password_fails_with_ticket_expired() {
    let pve = Pve::start().await;
    let client = pve.logged_in(&ticket_aged(USER, minutes(150), SIG)).await;
    pve.mount_ok("version", json!({})).await;

    client.forget_password();
    let err = client.raw("version").get(()).await.expect_err("expired");

    assert!(
        matches!(err, Error::Auth(AuthError::TicketExpired { .. })),
        "expected TicketExpired, got {err:?}"
    );
    assert_eq!(pve.requests().await.len(), 1, "only the first login");
}

#[tokio::test]
async fn imported_session_older_than_an_hour_is_renewed_with_its_ticket() {
    let pve = Pve::start().await;
    let old = ticket_aged(USER, minutes(70), SIG);
    let new = fresh_ticket(NEW_SIG);
    pve.mount_login(&old, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("version", &new, json!({})).await;
    let client = pve.client();
    client.set_session(Session::new(
        USER,
        Secret::new(old.clone()),
        Secret::new(CSRF),
    ));

    client.raw("version").get(()).await.expect("GET");

    pve.server.verify().await;
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_cookie(&requests[0], &new);
}

// ---------------------------------------------------------------------------------------
// 401 on an ordinary request

#[tokio::test]
async fn invalid_ticket_leads_to_one_relogin_and_one_retry_with_the_new_ticket() {
    let pve = Pve::start().await;
    let revoked = fresh_ticket(SIG);
    let new = fresh_ticket(NEW_SIG);
    let client = pve.logged_in(&revoked).await;
    pve.mount_login(PASSWORD, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("version", &new, json!({"version": "9.2"}))
        .await;

    let data = client.raw("version").get(()).await.expect("GET");

    assert_eq!(data["version"], "9.2");
    pve.server.verify().await;
    let sequence: Vec<(String, String)> = pve
        .requests()
        .await
        .iter()
        .map(|r| (r.method.to_string(), r.url.path().to_owned()))
        .collect();
    let expected = [
        ("POST", TICKET_PATH),
        ("GET", "/api2/json/version"),
        ("POST", TICKET_PATH),
        ("GET", "/api2/json/version"),
    ];
    assert_eq!(
        sequence,
        expected
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect::<Vec<_>>()
    );
    let requests = pve.api_requests().await;
    assert_cookie(&requests[0], &revoked);
    assert_cookie(&requests[1], &new);
    let logins = pve.ticket_requests().await;
    assert_eq!(
        form_pairs(&logins[1].body),
        pairs(&[
            ("username", USER),
            ("password", PASSWORD),
            ("new-format", "1")
        ])
    );
}

#[tokio::test]
async fn invalid_ticket_on_a_post_is_retried_with_the_new_csrf_token_and_same_form() {
    let pve = Pve::start().await;
    let revoked = fresh_ticket(SIG);
    let new = fresh_ticket(NEW_SIG);
    let client = pve.logged_in(&revoked).await;
    pve.mount_login(PASSWORD, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("nodes/pve1/qemu/100/status/start", &new, json!("UPID"))
        .await;

    client
        .raw("nodes/pve1/qemu/100/status/start")
        .post(json!({"skiplock": true}))
        .await
        .expect("POST");

    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 2);
    assert_eq!(header(&requests[0], "csrfpreventiontoken"), Some(CSRF));
    assert_eq!(header(&requests[1], "csrfpreventiontoken"), Some(NEW_CSRF));
    assert_cookie(&requests[1], &new);
    assert_eq!(requests[0].body, b"skiplock=1");
    assert_eq!(requests[1].body, b"skiplock=1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_refused_with_401_share_one_relogin() {
    let pve = Pve::start().await;
    let revoked = fresh_ticket(SIG);
    let new = fresh_ticket(NEW_SIG);
    let client = pve.logged_in(&revoked).await;
    pve.mount_login(PASSWORD, &new, NEW_CSRF, 1).await;
    pve.mount_for_ticket("version", &new, json!({"version": "9.2"}))
        .await;

    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        tasks.push(tokio::spawn(
            async move { client.raw("version").get(()).await },
        ));
    }
    for task in tasks {
        let data = task.await.expect("task").expect("request");
        assert_eq!(data["version"], "9.2");
    }

    pve.server.verify().await;
    assert_eq!(
        pve.ticket_requests().await.len(),
        2,
        "login and ONE re-login"
    );
    let requests = pve.api_requests().await;
    let with_new = requests
        .iter()
        .filter(|r| header(r, "cookie") == Some(cookie_of(&new).as_str()))
        .count();
    assert_eq!(
        with_new, 20,
        "every request succeeds once with the new ticket"
    );
    assert!(requests.len() <= 40, "at most one retry each");
}

#[tokio::test]
async fn invalid_ticket_after_forget_password_is_ticket_expired() {
    let pve = Pve::start().await;
    let client = pve.logged_in(&fresh_ticket(SIG)).await;
    pve.mount_for_ticket("version", &fresh_ticket(NEW_SIG), json!({}))
        .await;

    client.forget_password();
    let err = client.raw("version").get(()).await.expect_err("401");

    match err {
        Error::Auth(AuthError::TicketExpired { user, message }) => {
            assert_eq!(user, USER);
            assert_eq!(message, "permission denied - invalid PVE ticket");
        }
        other => panic!("expected TicketExpired, got {other:?}"),
    }
    assert_eq!(pve.ticket_requests().await.len(), 1, "no second login");
    assert_eq!(pve.api_requests().await.len(), 1, "no retry");
}

#[tokio::test]
async fn invalid_ticket_after_set_session_is_ticket_expired() {
    let pve = Pve::start().await;
    pve.mount_for_ticket("version", &fresh_ticket(NEW_SIG), json!({}))
        .await;
    let client = pve.client();
    client.set_session(Session::new(
        USER,
        Secret::new(fresh_ticket(SIG)),
        Secret::new(CSRF),
    ));

    let err = client.raw("version").get(()).await.expect_err("401");

    assert!(
        matches!(err, Error::Auth(AuthError::TicketExpired { .. })),
        "expected TicketExpired, got {err:?}"
    );
    assert_eq!(pve.ticket_requests().await.len(), 0);
    assert_eq!(pve.api_requests().await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// two-step TFA

#[tokio::test]
async fn login_of_a_tfa_account_is_tfa_required() {
    let pve = Pve::start().await;
    mount_tfa(&pve, "totp:123456", &fresh_ticket(NEW_SIG)).await;
    let client = pve.client();

    let err = client.login(TFA_USER, TFA_PASSWORD).await.expect_err("TFA");

    match err {
        Error::Auth(AuthError::TfaRequired { user }) => assert_eq!(user, TFA_USER),
        other => panic!("expected TfaRequired, got {other:?}"),
    }
    assert!(client.session().is_none());
}

#[tokio::test]
async fn start_login_returns_the_tfa_challenge() {
    let pve = Pve::start().await;
    mount_tfa(&pve, "totp:123456", &fresh_ticket(NEW_SIG)).await;

    let challenge = start_tfa(&pve.client()).await;

    assert_eq!(challenge.user(), TFA_USER);
    assert!(challenge.totp());
    assert!(challenge.recovery());
    assert!(!challenge.yubico());
    assert!(challenge.webauthn().is_none());
    assert_eq!(
        challenge.raw(),
        &json!({"totp": true, "recovery": "available"})
    );
    let requests = pve.requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        form_pairs(&requests[0].body),
        pairs(&[
            ("username", TFA_USER),
            ("password", TFA_PASSWORD),
            ("new-format", "1")
        ])
    );
}

#[tokio::test]
async fn finish_tfa_sends_the_challenge_ticket_and_totp_code() {
    let pve = Pve::start().await;
    mount_tfa(&pve, "totp:123456", &fresh_ticket(NEW_SIG)).await;
    let client = pve.client();
    let challenge = start_tfa(&client).await;

    let info = client
        .finish_tfa(&challenge, TfaAnswer::totp("123456"))
        .await
        .expect("second step");

    assert_eq!(info.user, TFA_USER);
    let logins = pve.ticket_requests().await;
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[1].method.as_str(), "POST");
    assert_eq!(
        header(&logins[1], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        form_pairs(&logins[1].body),
        pairs(&[
            ("username", TFA_USER),
            ("tfa-challenge", TFA_TICKET),
            ("password", "totp:123456"),
            ("new-format", "1"),
        ])
    );
}

#[tokio::test]
async fn ticket_from_finish_tfa_is_used_by_later_requests() {
    let pve = Pve::start().await;
    let ticket = ticket_aged(TFA_USER, Duration::ZERO, NEW_SIG);
    mount_tfa(&pve, "totp:123456", &ticket).await;
    pve.mount_ok("nodes", json!([])).await;
    let client = pve.client();
    let challenge = start_tfa(&client).await;
    client
        .finish_tfa(&challenge, TfaAnswer::totp("123456"))
        .await
        .expect("second step");

    client.raw("nodes").get(()).await.expect("GET");
    client.raw("nodes").post(()).await.expect("POST");

    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 2);
    assert_cookie(&requests[0], &ticket);
    assert_cookie(&requests[1], &ticket);
    assert_eq!(header(&requests[0], "csrfpreventiontoken"), None);
    assert_eq!(header(&requests[1], "csrfpreventiontoken"), Some(NEW_CSRF));
    let session = client.session().expect("session");
    assert_eq!(session.user, TFA_USER);
    assert_eq!(session.ticket().expose(), ticket);
}

#[tokio::test]
async fn finish_tfa_with_a_recovery_key_sends_it_with_the_recovery_prefix() {
    let pve = Pve::start().await;
    let ticket = ticket_aged(TFA_USER, Duration::ZERO, NEW_SIG);
    mount_tfa(&pve, "recovery:ab12-cd34-ef56-0789", &ticket).await;
    let client = pve.client();
    let challenge = start_tfa(&client).await;

    client
        .finish_tfa(&challenge, TfaAnswer::recovery("ab12-cd34-ef56-0789"))
        .await
        .expect("second step");

    let logins = pve.ticket_requests().await;
    assert_eq!(
        form_pairs(&logins[1].body),
        pairs(&[
            ("username", TFA_USER),
            ("tfa-challenge", TFA_TICKET),
            ("password", "recovery:ab12-cd34-ef56-0789"),
            ("new-format", "1"),
        ])
    );
    assert_eq!(client.session().expect("session").ticket().expose(), ticket);
}

#[tokio::test]
async fn finish_tfa_with_a_wrong_code_is_rejected() {
    let pve = Pve::start().await;
    mount_tfa(&pve, "totp:123456", &fresh_ticket(NEW_SIG)).await;
    let client = pve.client();
    let challenge = start_tfa(&client).await;

    let err = client
        .finish_tfa(&challenge, TfaAnswer::totp("000000"))
        .await
        .expect_err("wrong code");

    match err {
        Error::Auth(AuthError::Rejected { user, .. }) => assert_eq!(user, TFA_USER),
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(client.session().is_none());
}

#[tokio::test]
async fn no_ticket_is_used_between_the_tfa_steps() {
    let pve = Pve::start().await;
    mount_tfa(&pve, "totp:123456", &fresh_ticket(NEW_SIG)).await;
    Mock::given(path("/api2/json/nodes"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"data": null})))
        .mount(&pve.server)
        .await;
    let client = pve.client();
    let _challenge = start_tfa(&client).await;

    let err = client.raw("nodes").get(()).await.expect_err("no ticket");

    assert!(client.session().is_none());
    assert!(
        matches!(err, Error::Auth(AuthError::NotLoggedIn)),
        "expected NotLoggedIn, got {err:?}"
    );
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 1);
    assert_eq!(header(&requests[0], "cookie"), None);
    assert_eq!(header(&requests[0], "csrfpreventiontoken"), None);
}

#[tokio::test]
async fn ticket_of_a_tfa_login_is_not_reobtained_with_the_password() {
    let pve = Pve::start().await;
    let ticket = ticket_aged(TFA_USER, Duration::ZERO, NEW_SIG);
    mount_tfa(&pve, "totp:123456", &ticket).await;
    Mock::given(path("/api2/json/nodes"))
        .respond_with(invalid_ticket())
        .mount(&pve.server)
        .await;
    let client = pve.client();
    let challenge = start_tfa(&client).await;
    client
        .finish_tfa(&challenge, TfaAnswer::totp("123456"))
        .await
        .expect("second step");

    let err = client.raw("nodes").get(()).await.expect_err("revoked");

    match err {
        Error::Auth(AuthError::TicketExpired { user, .. }) => assert_eq!(user, TFA_USER),
        other => panic!("expected TicketExpired, got {other:?}"),
    }
    assert_eq!(pve.ticket_requests().await.len(), 2, "no third login");
}

// ---------------------------------------------------------------------------------------
// session export and import, Debug

#[tokio::test]
async fn exported_session_works_on_a_second_client() {
    let pve = Pve::start().await;
    let ticket = fresh_ticket(SIG);
    let first = pve.logged_in(&ticket).await;
    pve.mount_ok("nodes", json!([])).await;

    let json = serde_json::to_string(&first.session().expect("session")).expect("serialise");
    let session: Session = serde_json::from_str(&json).expect("deserialise");
    let second = pve.client();
    second.set_session(session);
    second.raw("nodes").get(()).await.expect("GET");
    second.raw("nodes").post(()).await.expect("POST");

    assert_eq!(
        pve.ticket_requests().await.len(),
        1,
        "the second client did not log in"
    );
    let requests = pve.api_requests().await;
    assert_eq!(requests.len(), 2);
    assert_cookie(&requests[0], &ticket);
    assert_cookie(&requests[1], &ticket);
    assert_eq!(header(&requests[1], "csrfpreventiontoken"), Some(CSRF));
    let imported = second.session().expect("session");
    assert_eq!(imported.user, USER);
    assert_eq!(imported.issued, first.session().expect("session").issued);
}

#[tokio::test]
async fn debug_output_never_shows_credentials() {
    let pve = Pve::start().await;
    let ticket = fresh_ticket(SIG);
    pve.mount_login(PASSWORD, &ticket, CSRF, 1).await;
    let tfa_ticket_sig = "TFAsig/UQ+w==";
    let tfa_ticket = format!("PVE:!tfa!%7B%22totp%22%3Atrue%7D:5F5E0F00::{tfa_ticket_sig}");
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .and(form_has("password", TFA_PASSWORD))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "ticket": tfa_ticket, "username": TFA_USER, "NeedTFA": 1,
        }})))
        .mount(&pve.server)
        .await;
    let client = pve.client();
    let info = client.login(USER, PASSWORD).await.expect("login");
    let session = client.session().expect("session");
    let tfa_client = pve.client();
    let step = tfa_client
        .start_login(TFA_USER, TFA_PASSWORD)
        .await
        .expect("first step");
    let token = ApiToken::new(TOKEN_ID, TOKEN_SECRET).expect("token");
    let token_client = pve
        .front
        .builder()
        .token(token.clone())
        .build()
        .expect("client");
    let totp = TfaAnswer::totp(TOTP_CODE);
    let recovery = TfaAnswer::recovery("rk-7f3a-91cc-d2e0");
    let LoginStep::NeedTfa(challenge) = &step else {
        panic!("expected a TFA challenge, got {step:?}")
    };
    let builder = pve.front.builder().api_token(TOKEN_ID, TOKEN_SECRET);

    let shown = [
        format!("{session:?} {session:#?}"),
        format!("{info:?} {info:#?}"),
        format!("{challenge:?} {challenge:#?} {step:?}"),
        format!("{totp:?} {totp:#?} {recovery:?}"),
        format!("{token:?} {token:#?} {builder:?}"),
        format!("{client:?} {client:#?}"),
        format!("{token_client:?} {token_client:#?}"),
    ];

    let secrets = [
        ticket.as_str(),
        SIG,
        "SIGold",
        CSRF,
        "CSRFold",
        PASSWORD,
        tfa_ticket.as_str(),
        tfa_ticket_sig,
        TOKEN_SECRET,
        "TOKENSECRET",
        TOTP_CODE,
        "rk-7f3a-91cc-d2e0",
    ];
    for (i, text) in shown.iter().enumerate() {
        for secret in secrets {
            // The session shows the time left as a Duration, whose nanoseconds may happen
            // to contain any six digits; it never holds a TOTP code anyway.
            if i == 0 && secret == TOTP_CODE {
                continue;
            }
            assert!(!text.contains(secret), "{secret:?} shown in {text}");
        }
    }
    assert!(shown[0].contains(USER), "{}", shown[0]);
    assert!(shown[2].contains(TFA_USER), "{}", shown[2]);
    assert!(shown[4].contains(TOKEN_ID), "{}", shown[4]);
    assert!(shown[6].contains(TOKEN_ID), "{}", shown[6]);
}

// ---------------------------------------------------------------------------------------
// login answers that must not crash the client

async fn login_answered_with(answer: ResponseTemplate) -> Result<(), Error> {
    let pve = Pve::start().await;
    Mock::given(method("POST"))
        .and(path(TICKET_PATH))
        .respond_with(answer)
        .mount(&pve.server)
        .await;
    let client = pve.client();
    let result = no_panic("login", async move { client.login(USER, PASSWORD).await }).await;
    result.map(|_| ())
}

#[tokio::test]
async fn login_refused_with_401_and_a_garbage_body_is_rejected() {
    let answer = ResponseTemplate::new(401).set_body_bytes(b"\xff\xfe<html>{\"data\":".to_vec());

    let err = login_answered_with(answer).await.expect_err("401");

    assert!(
        matches!(err, Error::Auth(AuthError::Rejected { .. })),
        "expected Rejected, got {err:?}"
    );
}

#[tokio::test]
async fn login_answer_without_ticket_is_a_bad_answer() {
    let answer = ResponseTemplate::new(200)
        .set_body_json(json!({"data": {"CSRFPreventionToken": CSRF, "username": USER}}));

    let err = login_answered_with(answer).await.expect_err("no ticket");

    assert!(
        matches!(err, Error::Auth(AuthError::BadAnswer(_))),
        "expected BadAnswer, got {err:?}"
    );
}

#[tokio::test]
async fn login_answer_with_a_ticket_but_no_csrf_token_is_a_bad_answer() {
    let answer = ResponseTemplate::new(200)
        .set_body_json(json!({"data": {"ticket": fresh_ticket(SIG), "username": USER}}));

    let err = login_answered_with(answer).await.expect_err("no CSRF");

    match err {
        Error::Auth(AuthError::BadAnswer(why)) => {
            assert!(why.contains("CSRFPreventionToken"), "{why}");
            assert!(!why.contains("SIGold"), "{why}");
        }
        other => panic!("expected BadAnswer, got {other:?}"),
    }
}

#[tokio::test]
async fn login_answer_whose_data_is_not_an_object_is_a_bad_answer() {
    for data in [
        json!(null),
        json!([]),
        json!("PVE:root@pam:5F5E0F00::x"),
        json!(1),
    ] {
        let answer = ResponseTemplate::new(200).set_body_json(json!({ "data": data }));

        let err = login_answered_with(answer).await.expect_err("bad data");

        assert!(
            matches!(err, Error::Auth(AuthError::BadAnswer(_))),
            "data {data}: expected BadAnswer, got {err:?}"
        );
    }
}

#[tokio::test]
async fn login_answer_whose_ticket_is_not_a_string_is_a_bad_answer() {
    let answer = ResponseTemplate::new(200).set_body_json(
        json!({"data": {"ticket": 12, "CSRFPreventionToken": CSRF, "username": USER}}),
    );

    let err = login_answered_with(answer).await.expect_err("bad ticket");

    assert!(
        matches!(err, Error::Auth(AuthError::BadAnswer(_))),
        "expected BadAnswer, got {err:?}"
    );
}

#[tokio::test]
async fn login_answer_that_is_not_json_is_a_decode_error() {
    for body in [
        &b""[..],
        b"<html>pveproxy</html>",
        b"{\"data\":",
        b"\xc3\x28\xa0\xa1",
    ] {
        let answer = ResponseTemplate::new(200).set_body_bytes(body.to_vec());

        let err = login_answered_with(answer).await.expect_err("not JSON");

        assert!(
            matches!(err, Error::Decode(_)),
            "body {body:?}: expected Decode, got {err:?}"
        );
    }
}

#[tokio::test]
async fn login_answer_with_an_absurd_issue_time_does_not_panic() {
    for time in ["FFFFFFFFFFFFFFFF", "7FFFFFFFFFFFFFFF"] {
        let pve = Pve::start().await;
        let ticket = format!("PVE:root@pam:{time}::{SIG}");
        pve.mount_login(PASSWORD, &ticket, CSRF, 1).await;
        let client = pve.client();

        let result = no_panic(time, async move {
            let login = client.login(USER, PASSWORD).await;
            let shown = format!("{:?}", client.session());
            (login.map(|_| ()), shown)
        })
        .await;

        match result.0 {
            Ok(()) | Err(Error::Auth(AuthError::BadAnswer(_))) => {}
            Err(other) => panic!("{time}: expected Ok or BadAnswer, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn ticket_unfit_for_a_header_fails_the_request_without_panicking() {
    let pve = Pve::start().await;
    let ticket = format!("PVE:root@pam:{:08X}::a\nb", unix_now());
    pve.mount_login(PASSWORD, &ticket, CSRF, 1).await;
    pve.mount_ok("version", json!({})).await;
    let client = pve.client();
    client.login(USER, PASSWORD).await.expect("login");

    let result = no_panic("newline in ticket", async move {
        client.raw("version").get(()).await
    })
    .await;

    assert!(
        matches!(result, Err(Error::Config(_))),
        "expected a configuration error, got {result:?}"
    );
    assert!(pve.api_requests().await.is_empty());
}
