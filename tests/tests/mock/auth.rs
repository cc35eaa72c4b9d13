//! Logging in to the embedded fake PVE (`proxmoxia::mock::MockPve`): tickets, CSRF, renewal
//! and re-login, the TFA second step, and API tokens, end to end through the client.
//!
//! Each test starts its own fake (user `root@pam`, password `secret`). `pve.requests()` shows
//! what reached it: `("POST", "/access/ticket")` is a login or a renewal.

use std::time::Duration;

use proxmoxia::api::access::password;
use proxmoxia::mock::MockPve;
use proxmoxia::{AuthError, Client, Error, LoginStep, Secret, Session, TfaAnswer, TfaChallenge};
use proxmoxia_tests::req;
use serde_json::json;

const TICKET: (&str, &str) = ("POST", "/access/ticket");

/// How many requests of `pve` were `(method, path)`.
fn count(pve: &MockPve, (method, path): (&str, &str)) -> usize {
    pve.requests()
        .iter()
        .filter(|(m, p)| m == method && p == path)
        .count()
}

/// The `AuthError` of a result that must be one.
fn auth_err<T: std::fmt::Debug>(result: proxmoxia::Result<T>) -> AuthError {
    match result {
        Err(Error::Auth(e)) => e,
        other => panic!("expected Error::Auth, got {other:?}"),
    }
}

/// Asserts `AuthError::Rejected` for `user` with PVE's `authentication failure`.
fn assert_rejected<T: std::fmt::Debug>(result: proxmoxia::Result<T>, user: &str) {
    match auth_err(result) {
        AuthError::Rejected { user: who, message } => assert_eq!(
            (who.as_str(), message.as_str()),
            (user, "authentication failure")
        ),
        other => panic!("expected AuthError::Rejected, got {other:?}"),
    }
}

/// Asserts `AuthError::TicketExpired` for `root@pam` with this message.
fn assert_ticket_expired<T: std::fmt::Debug>(result: proxmoxia::Result<T>, message: &str) {
    match auth_err(result) {
        AuthError::TicketExpired { user, message: why } => {
            assert_eq!((user.as_str(), why.as_str()), ("root@pam", message))
        }
        other => panic!("expected AuthError::TicketExpired, got {other:?}"),
    }
}

/// The challenge of a first login step that must ask for a second factor.
fn challenge(step: LoginStep) -> TfaChallenge {
    match step {
        LoginStep::NeedTfa(challenge) => challenge,
        LoginStep::Done(info) => panic!("expected a TFA challenge, logged in as {info:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// Password logins.

#[tokio::test]
async fn a_login_with_the_right_password_gets_a_ticket_and_a_wrong_one_401() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.client().unwrap();
    let info = client.login("root@pam", "secret").await.unwrap();
    assert_eq!(info.user, "root@pam");
    assert_eq!(info.cluster_name.as_deref(), Some("mockcluster"));
    assert_eq!(info.capabilities, json!({}));
    let session = client.session().expect("a ticket is kept");
    assert_eq!(session.user, "root@pam");
    assert!(
        session.ticket().expose().starts_with("PVE:root@pam:"),
        "{session:?}"
    );
    assert_eq!(session.expires_at(), info.expires_at);
    assert_eq!(session.age(), Duration::ZERO);
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");

    // A realm-less user name is a `pam` user (PVE's default realm).
    let bare = pve.client().unwrap();
    assert_eq!(bare.login("root", "secret").await.unwrap().user, "root@pam");

    let wrong = pve.client().unwrap();
    assert_rejected(wrong.login("root@pam", "guess").await, "root@pam");
    assert!(wrong.session().is_none());
    assert_rejected(wrong.login("nobody@pve", "secret").await, "nobody@pve");
    // A login for another user of the fake.
    pve.add_user("alice@pve", "wonderland");
    assert_eq!(
        wrong.login("alice@pve", "wonderland").await.unwrap().user,
        "alice@pve"
    );
    assert_eq!(count(&pve, TICKET), 5);
}

#[tokio::test]
async fn requests_without_a_login_are_401_and_the_client_says_not_logged_in() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.client().unwrap();
    assert!(matches!(
        auth_err(client.version().get().await),
        AuthError::NotLoggedIn
    ));
    assert!(matches!(
        auth_err(
            client
                .raw("nodes/pve1/qemu/101/status/start")
                .post(())
                .await
        ),
        AuthError::NotLoggedIn
    ));
    assert!(!pve.guest(101).unwrap().running);
    // The read reached the fake (and was refused there); the write was refused unsent.
    assert_eq!(pve.requests(), [req("GET", "/version")]);
    // The realm list needs no login (PVE: `world`), for the login box.
    client.access().get_domains().await.unwrap();

    // After a logout, the same.
    let client = pve.login().await.unwrap();
    client.version().get().await.unwrap();
    client.logout();
    assert!(matches!(
        auth_err(client.version().get().await),
        AuthError::NotLoggedIn
    ));
}

#[tokio::test]
async fn writes_need_the_csrf_token_of_the_ticket() {
    let pve = MockPve::start().await.unwrap();
    let good = pve.login().await.unwrap();
    let session = good.session().unwrap();

    // The same ticket with a corrupted CSRF token.
    let bad = pve.client().unwrap();
    bad.set_session(Session::new(
        session.user.clone(),
        session.ticket().clone(),
        Secret::new("bad"),
    ));
    // Reads need no CSRF token.
    assert_eq!(
        bad.raw("version").get(()).await.unwrap()["version"],
        "9.2.0"
    );
    // Writes are refused with PVE's 401; without a password the client cannot recover.
    assert_ticket_expired(
        bad.raw("nodes/pve1/qemu/101/status/start").post(()).await,
        "Permission denied - invalid csrf token",
    );
    assert_ticket_expired(
        bad.raw("nodes/pve1/qemu/101/config")
            .put(json!({"cores": 4}))
            .await,
        "Permission denied - invalid csrf token",
    );
    assert!(!pve.guest(101).unwrap().running);
    assert_eq!(pve.guest(101).unwrap().config["cores"], "2");
    assert!(pve.tasks().is_empty());

    // With the ticket's own token the same write works.
    good.raw("nodes/pve1/qemu/101/config")
        .put(json!({"cores": 4}))
        .await
        .unwrap();
    assert_eq!(pve.guest(101).unwrap().config["cores"], "4");
    assert_eq!(
        pve.requests(),
        [
            req("POST", "/access/ticket"),
            req("GET", "/version"),
            req("POST", "/nodes/pve1/qemu/101/status/start"),
            req("PUT", "/nodes/pve1/qemu/101/config"),
            req("PUT", "/nodes/pve1/qemu/101/config"),
        ]
    );
}

// ------------------------------------------------------------------------------------------
// Renewal and re-login.

#[tokio::test]
async fn a_ticket_older_than_renew_after_is_renewed_with_the_ticket_itself() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.client().unwrap();
    client.login("root@pam", "secret").await.unwrap();
    let first = client.session().unwrap();
    // Neither a kept password nor the old password could log in now: only a renewal (the
    // ticket as the password) gets a new ticket.
    client.forget_password();
    pve.add_user("root@pam", "changed");

    client.version().get().await.unwrap();
    assert_eq!(count(&pve, TICKET), 1, "not due yet");
    // Time passes on the node's clock, not the test's: 70 minutes, past the one hour after
    // which the client renews, within the two hours a ticket lasts. The client learns the
    // node's time from the next answer.
    pve.set_clock_offset(70 * 60);
    client.version().get().await.unwrap();
    assert_eq!(
        count(&pve, TICKET),
        1,
        "the client saw the new time only with this answer"
    );
    client.version().get().await.unwrap();
    let second = client.session().unwrap();
    assert_ne!(second.ticket(), first.ticket());
    assert_eq!(second.user, "root@pam");
    assert!(
        second.issued >= first.issued + 70 * 60,
        "{first:?} {second:?}"
    );
    assert_eq!(
        pve.requests(),
        [
            req("POST", "/access/ticket"),
            req("GET", "/version"),
            req("GET", "/version"),
            req("POST", "/access/ticket"),
            req("GET", "/version"),
        ]
    );
    // The old ticket is still valid until its own end; the client uses the new one.
    let old = pve.client().unwrap();
    old.set_session(first);
    old.version().get().await.unwrap();
}

#[tokio::test]
async fn concurrent_requests_share_one_renewal() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    // 70 minutes on the node's clock (see above); one answer tells the client.
    pve.set_clock_offset(70 * 60);
    client.version().get().await.unwrap();

    let calls: Vec<_> = (0..8)
        .map(|_| tokio::spawn(client.version().get().into_future()))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().release, "9.2");
    }
    assert_eq!(count(&pve, TICKET), 2, "the login and one renewal");
    assert_eq!(count(&pve, ("GET", "/version")), 9);
    assert_eq!(pve.requests()[2], req("POST", "/access/ticket"));
}

#[tokio::test]
async fn an_expired_ticket_is_replaced_by_a_new_login_with_the_kept_password() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let first = client.session().unwrap();
    // Three hours on the node's clock: the ticket (two hours) has run out there. The client
    // has not seen that time yet, so it sends the request and gets the 401.
    pve.set_clock_offset(3 * 60 * 60);

    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    assert_ne!(client.session().unwrap().ticket(), first.ticket());
    // The 401, the login with the password, the request again.
    assert_eq!(
        pve.requests(),
        [
            req("POST", "/access/ticket"),
            req("GET", "/version"),
            req("POST", "/access/ticket"),
            req("GET", "/version"),
        ]
    );
    // The expired ticket is refused.
    let stale = pve.client().unwrap();
    stale.set_session(first);
    assert_ticket_expired(
        stale.version().get().await,
        "permission denied - invalid PVE ticket",
    );
}

#[tokio::test]
async fn revoked_tickets_are_replaced_by_a_new_login() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let first = client.session().unwrap();
    pve.revoke_tickets();
    wait_for_start(&client).await;
    assert_ne!(client.session().unwrap().ticket(), first.ticket());
    assert!(pve.guest(101).unwrap().running);
    assert_eq!(
        pve.requests()[..4],
        [
            req("POST", "/access/ticket"),
            req("POST", "/nodes/pve1/qemu/101/status/start"),
            req("POST", "/access/ticket"),
            req("POST", "/nodes/pve1/qemu/101/status/start"),
        ]
    );
}

/// Starts VM 101 and waits for its task.
async fn wait_for_start(client: &Client) {
    client
        .nodes("pve1")
        .qemu(101)
        .status()
        .start()
        .post()
        .task()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
}

#[tokio::test]
async fn without_a_password_an_invalid_ticket_is_ticket_expired() {
    let pve = MockPve::start().await.unwrap();
    // A session given by `set_session` (no password).
    let source = pve.login().await.unwrap();
    let imported = pve.client().unwrap();
    imported.set_session(source.session().unwrap());
    imported.version().get().await.unwrap();
    // A login whose password was forgotten.
    let forgetful = pve.login().await.unwrap();
    forgetful.forget_password();
    forgetful.version().get().await.unwrap();

    pve.revoke_tickets();
    assert_ticket_expired(
        imported.version().get().await,
        "permission denied - invalid PVE ticket",
    );
    assert_ticket_expired(
        forgetful.nodes("pve1").get_qemu().await,
        "permission denied - invalid PVE ticket",
    );
    // The client with the password recovers.
    source.version().get().await.unwrap();
    assert_eq!(count(&pve, TICKET), 3, "two logins and one re-login");

    // The same when the ticket ran out.
    let short = pve.login().await.unwrap();
    short.forget_password();
    pve.set_clock_offset(6 * 60 * 60);
    assert_ticket_expired(
        short.version().get().await,
        "permission denied - invalid PVE ticket",
    );
}

// ------------------------------------------------------------------------------------------
// TFA.

#[tokio::test]
async fn a_user_with_tfa_logs_in_in_two_steps_with_a_totp_code() {
    let pve = MockPve::start().await.unwrap();
    pve.enable_tfa("root@pam", "123456", &["rec-1"]);
    let client = pve.client().unwrap();

    match auth_err(client.login("root@pam", "secret").await) {
        AuthError::TfaRequired { user } => assert_eq!(user, "root@pam"),
        other => panic!("expected TfaRequired, got {other:?}"),
    }
    assert!(client.session().is_none());
    // A wrong password is refused before any challenge.
    assert_rejected(client.start_login("root@pam", "guess").await, "root@pam");

    let ch = challenge(client.start_login("root@pam", "secret").await.unwrap());
    assert_eq!(ch.user(), "root@pam");
    assert!(ch.totp());
    assert!(ch.recovery());
    assert!(!ch.yubico());
    assert!(ch.webauthn().is_none());
    assert_eq!(ch.raw(), &json!({"totp": true, "recovery": "available"}));
    // The half-logged-in ticket is not a login.
    assert!(client.session().is_none());
    assert!(matches!(
        auth_err(client.version().get().await),
        AuthError::NotLoggedIn
    ));

    assert_rejected(
        client.finish_tfa(&ch, TfaAnswer::totp("000000")).await,
        "root@pam",
    );
    assert!(client.session().is_none());
    // The challenge can be answered again after a wrong code.
    let info = client
        .finish_tfa(&ch, TfaAnswer::totp("123456"))
        .await
        .unwrap();
    assert_eq!(info.user, "root@pam");
    assert_eq!(client.session().unwrap().user, "root@pam");
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    // An answered challenge is spent.
    let again = pve.client().unwrap();
    assert_rejected(
        again.finish_tfa(&ch, TfaAnswer::totp("123456")).await,
        "root@pam",
    );
}

#[tokio::test]
async fn a_recovery_key_works_once() {
    let pve = MockPve::start().await.unwrap();
    pve.enable_tfa("root@pam", "123456", &["rec-1"]);
    let client = pve.client().unwrap();
    let ch = challenge(client.start_login("root@pam", "secret").await.unwrap());
    client
        .finish_tfa(&ch, TfaAnswer::recovery("rec-1"))
        .await
        .unwrap();
    client.version().get().await.unwrap();

    // The only key is used: the next challenge offers no recovery, and the key is refused.
    let other = pve.client().unwrap();
    let ch = challenge(other.start_login("root@pam", "secret").await.unwrap());
    assert!(ch.totp());
    assert!(!ch.recovery());
    assert_eq!(ch.raw(), &json!({"totp": true, "recovery": "unavailable"}));
    assert_rejected(
        other.finish_tfa(&ch, TfaAnswer::recovery("rec-1")).await,
        "root@pam",
    );
    assert_rejected(
        other.finish_tfa(&ch, TfaAnswer::recovery("rec-2")).await,
        "root@pam",
    );
    other
        .finish_tfa(&ch, TfaAnswer::totp("123456"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_tfa_login_is_renewed_but_not_re_obtained() {
    let pve = MockPve::start().await.unwrap();
    pve.enable_tfa("root@pam", "123456", &[]);
    let client = pve.client().unwrap();
    let ch = challenge(client.start_login("root@pam", "secret").await.unwrap());
    assert!(!ch.recovery(), "no recovery keys");
    client
        .finish_tfa(&ch, TfaAnswer::totp("123456"))
        .await
        .unwrap();
    pve.revoke_tickets();
    // No password is kept for a TFA login.
    assert_ticket_expired(
        client.version().get().await,
        "permission denied - invalid PVE ticket",
    );
}

// ------------------------------------------------------------------------------------------
// API tokens.

#[tokio::test]
async fn an_api_token_authenticates_without_a_ticket() {
    let pve = MockPve::start().await.unwrap();
    let secret = pve.add_token("root@pam!ci");
    assert_eq!(secret.len(), 32, "{secret}");
    let client = pve
        .client_builder()
        .api_token("root@pam!ci", &secret)
        .build()
        .unwrap();
    assert!(client.session().is_none());
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    let task = client
        .nodes("pve1")
        .qemu(101)
        .status()
        .start()
        .post()
        .task()
        .await
        .unwrap();
    assert_eq!(task.upid().user(), "root@pam!ci");
    task.wait().await.unwrap();
    assert!(pve.guest(101).unwrap().running);
    assert_eq!(count(&pve, TICKET), 0, "a token needs no login");

    // A wrong secret, an unknown token.
    let wrong = pve
        .client_builder()
        .api_token("root@pam!ci", "0".repeat(32))
        .build()
        .unwrap();
    assert_rejected(wrong.version().get().await, "root@pam!ci");
    let unknown = pve
        .client_builder()
        .api_token("root@pam!nope", &secret)
        .build()
        .unwrap();
    assert_rejected(unknown.version().get().await, "root@pam!nope");
}

#[tokio::test]
async fn a_token_is_refused_with_403_where_the_schema_forbids_tokens() {
    let pve = MockPve::start().await.unwrap();
    let secret = pve.add_token("root@pam!ci");
    let client = pve
        .client_builder()
        .api_token("root@pam!ci", &secret)
        .build()
        .unwrap();
    // PUT /access/password: `allowtoken: 0`.
    let e = match client
        .access()
        .password()
        .put(password::put::Required {
            password: "hijacked".into(),
            userid: "root@pam".into(),
        })
        .await
    {
        Err(Error::Api(e)) => e,
        other => panic!("expected a 403, got {other:?}"),
    };
    assert_eq!(
        (e.status, e.message.as_str()),
        (403, "Permission check failed (API token not allowed)")
    );
    // POST /access/tfa/{userid}: `allowtoken: 0` too.
    let e = match client
        .raw("access/tfa/root@pam")
        .post(json!({"type": "recovery"}))
        .await
    {
        Err(Error::Api(e)) => e,
        other => panic!("expected a 403, got {other:?}"),
    };
    assert_eq!(e.status, 403);
    // The password did not change.
    pve.login().await.unwrap();

    // With a ticket the same call works.
    let root = pve.login().await.unwrap();
    root.access()
        .password()
        .put(password::put::Required {
            password: "changed-pw".into(),
            userid: "root@pam".into(),
        })
        .await
        .unwrap();
    assert_rejected(
        pve.client().unwrap().login("root@pam", "secret").await,
        "root@pam",
    );
    pve.client()
        .unwrap()
        .login("root@pam", "changed-pw")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let pve = MockPve::start().await.unwrap();
    let root = pve.login().await.unwrap();
    let tokens = root.access().users("root@pam");
    let made = tokens.token("old").post().expire(1).await.unwrap();
    assert_eq!(made.info.expire, Some(1));
    assert_eq!(tokens.token("old").get().await.unwrap().expire, Some(1));
    let client = pve
        .client_builder()
        .api_token("root@pam!old", made.value.expose())
        .build()
        .unwrap();
    match auth_err(client.version().get().await) {
        AuthError::Rejected { user, .. } => assert_eq!(user, "root@pam!old"),
        other => panic!("expected AuthError::Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn the_token_of_a_disabled_user_is_refused() {
    let pve = MockPve::start().await.unwrap();
    let root = pve.login().await.unwrap();
    let access = root.access();
    access
        .post_users("ci@pve")
        .password("password1")
        .await
        .unwrap();
    let made = access.users("ci@pve").token("ci1").post().await.unwrap();
    let client = pve
        .client_builder()
        .api_token("ci@pve!ci1", made.value.expose())
        .build()
        .unwrap();
    client.version().get().await.unwrap();
    access.users("ci@pve").put().enable(false).await.unwrap();
    match auth_err(client.version().get().await) {
        AuthError::Rejected { user, .. } => assert_eq!(user, "ci@pve!ci1"),
        other => panic!("expected AuthError::Rejected, got {other:?}"),
    }
}
