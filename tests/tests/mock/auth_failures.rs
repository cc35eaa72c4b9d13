//! Staying logged in to the embedded fake when its ticket endpoint fails (500, dropped
//! connections, no answer) and when its clock is hours away from the client's.
//!
//! Renewal is made due at once with `ticket_renew_after(0)`; the fake's faults and clock
//! knob script the rest, so nothing sleeps.

use std::time::Duration;

use proxmoxia::mock::{Fault, MockPve};
use proxmoxia::{Client, ClientBuilder};

const TICKET: (&str, &str) = ("POST", "/access/ticket");
const HOUR: i64 = 60 * 60;

/// How many requests of `pve` were `(method, path)`.
fn count(pve: &MockPve, (method, path): (&str, &str)) -> usize {
    pve.requests()
        .iter()
        .filter(|(m, p)| m == method && p == path)
        .count()
}

/// A client of `pve` whose ticket is due for renewal at once, logged in.
async fn due_for_renewal(pve: &MockPve, builder: ClientBuilder) -> Client {
    let client = builder
        .ticket_renew_after(Duration::ZERO)
        .build()
        .expect("client");
    client
        .login(pve.user(), pve.password())
        .await
        .expect("login");
    client
}

/// `n` concurrent `GET /version`s; panics unless every one succeeds.
async fn all_succeed(client: &Client, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.raw("version").get(()).await })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        task.await
            .expect("task")
            .unwrap_or_else(|e| panic!("call {i}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_answered_with_500_or_a_dropped_connection_keeps_the_ticket_for_all_callers() {
    for fault in [Fault::Status(500, "internal error".into()), Fault::Drop] {
        let pve = MockPve::start().await.expect("fake");
        let client = due_for_renewal(&pve, pve.client_builder()).await;
        let ticket = client.session().expect("session").ticket().clone();
        pve.fail_always("POST", "/access/ticket", fault.clone());

        all_succeed(&client, 100).await;
        all_succeed(&client, 20).await;

        assert_eq!(
            count(&pve, TICKET),
            2,
            "{fault:?}: the login and ONE renewal attempt for 120 calls"
        );
        assert_eq!(count(&pve, ("GET", "/version")), 120, "{fault:?}");
        assert_eq!(
            client.session().expect("session").ticket(),
            &ticket,
            "{fault:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_renewal_is_waited_for_once_by_all_callers() {
    let pve = MockPve::start().await.expect("fake");
    // The client's timeout only has to exceed how long an ordinary answer takes: the renewal
    // is answered after an hour.
    let builder = pve.client_builder().timeout(Some(Duration::from_secs(10)));
    let client = due_for_renewal(&pve, builder).await;
    pve.fail_always(
        "POST",
        "/access/ticket",
        Fault::Delay(Duration::from_secs(HOUR as u64)),
    );

    all_succeed(&client, 20).await;

    assert_eq!(count(&pve, TICKET), 2, "the login and ONE renewal attempt");
    assert_eq!(count(&pve, ("GET", "/version")), 20);
}

#[tokio::test]
async fn fake_two_hours_behind_or_three_ahead_is_judged_by_its_own_clock() {
    for offset in [-2 * HOUR, -3 * HOUR, 3 * HOUR] {
        let pve = MockPve::start().await.expect("fake");
        pve.set_clock_offset(offset);
        let client = pve.login().await.expect("login");
        client.forget_password();

        for _ in 0..5 {
            client.raw("version").get(()).await.expect("GET");
        }

        assert_eq!(count(&pve, TICKET), 1, "offset {offset}: only the login");
        let session = client.session().expect("session");
        assert!(!session.is_expired(), "offset {offset}: {session:?}");
        // Seen through `Date` headers, to the second: nowhere near an hour off.
        assert!(
            (offset - HOUR / 2..offset + HOUR / 2).contains(&session.clock_offset()),
            "offset {offset}: seen {}",
            session.clock_offset()
        );
    }
}

#[tokio::test]
async fn renewal_against_a_fake_two_hours_behind_is_a_renewal_not_an_expiry() {
    let pve = MockPve::start().await.expect("fake");
    pve.set_clock_offset(-2 * HOUR);
    let client = due_for_renewal(&pve, pve.client_builder()).await;
    let first = client.session().expect("session").ticket().clone();
    client.forget_password();

    client.raw("version").get(()).await.expect("GET");

    assert_eq!(count(&pve, TICKET), 2, "the login and one renewal");
    assert_ne!(client.session().expect("session").ticket(), &first);
}
