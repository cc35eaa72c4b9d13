//! Retries, the next free id and cancellation against the embedded fake alone: concurrent
//! creators, faults only it can script once (a dropped read, a hung renewal).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use proxmoxia::mock::{Fault, MockPve};
use proxmoxia::{Client, ErrorKind, Result, RetryPolicy, TaskOutcome, Upid};
use proxmoxia_tests::log_capture::capture;
use proxmoxia_tests::within;
use serde_json::json;

fn quick() -> RetryPolicy {
    RetryPolicy::new()
        .attempts(5)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .deadline(None)
}

fn count(pve: &MockPve, method: &str, path: &str) -> usize {
    pve.requests()
        .iter()
        .filter(|(m, p)| m == method && p == path)
        .count()
}

/// Waits (without a clock) until the fake has seen `n` requests of `method` to `path`.
async fn until_seen(pve: &MockPve, method: &str, path: &str, n: usize) {
    let seen = pve.wait_until(|pve| count(pve, method, path) >= n);
    within(&format!("{n} {method} {path}"), seen).await;
}

async fn create_vm(client: &Client, vmid: u32, name: &str) -> Result<TaskOutcome> {
    let answer = client
        .raw("nodes/pve1/qemu")
        .post(json!({"vmid": vmid, "name": name}))
        .await?;
    client.task(&Upid::try_from(answer)?).wait().await
}

#[tokio::test]
async fn concurrent_creators_each_get_their_own_free_id() {
    const CREATORS: usize = 8;
    let pve = MockPve::start().await.unwrap();
    let before: BTreeSet<u32> = pve.guest_ids().into_iter().collect();
    let client = pve.login().await.unwrap();
    // Every creator asks for the next id before any of them creates: all get the same id
    // first, so at least CREATORS - 1 of them clash and move on.
    let barrier = Arc::new(tokio::sync::Barrier::new(CREATORS));
    let mut creators = tokio::task::JoinSet::new();
    for i in 0..CREATORS {
        let (client, barrier) = (client.clone(), barrier.clone());
        creators.spawn(async move {
            let mut first = true;
            let name = format!("creator-{i}");
            let created = client
                .next_free_id()
                .attempts(CREATORS as u32)
                .create(|vmid| {
                    let wait = std::mem::take(&mut first).then(|| barrier.clone());
                    let (client, name) = (&client, &name);
                    async move {
                        if let Some(barrier) = wait {
                            barrier.wait().await;
                        }
                        create_vm(client, vmid, name).await
                    }
                })
                .await;
            (name, created)
        });
    }
    let mut taken = BTreeSet::new();
    while let Some(done) = creators.join_next().await {
        let (name, created) = done.unwrap();
        let (vmid, outcome) = created.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(outcome, TaskOutcome::Ok);
        assert!(taken.insert(vmid), "{vmid} given twice");
        assert_eq!(pve.guest(vmid).unwrap().config["name"], name);
    }
    // The lowest free ids, each once.
    let expected: BTreeSet<u32> = (100..)
        .filter(|id| !before.contains(id))
        .take(CREATORS)
        .collect();
    assert_eq!(taken, expected);
    // One nextid per attempt, one create per attempt; the first round clashed.
    let creates = count(&pve, "POST", "/nodes/pve1/qemu");
    assert_eq!(count(&pve, "GET", "/cluster/nextid"), creates);
    assert!(creates >= 2 * CREATORS - 1, "{creates} creates");
}

#[tokio::test]
async fn a_dropped_read_is_retried_and_a_proxy_page_only_for_reads() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.client_builder().retry(quick()).build().unwrap();
    client.login("root@pam", "secret").await.unwrap();
    let (log, _guard) = capture();

    pve.fail_next("GET", "/version", Fault::Drop);
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    assert_eq!(count(&pve, "GET", "/version"), 2);
    let retried = log.lines_with("retrying PVE request");
    assert_eq!(retried.len(), 1);
    assert!(retried[0].contains("kind=disconnected"), "{}", retried[0]);

    // A proxy's 502 page: a read is repeated, a write is not (PVE may have done it).
    let page = "<html>bad gateway</html>".to_owned();
    pve.fail_next("GET", "/version", Fault::Page(502, page.clone()));
    client.version().get().await.unwrap();
    assert_eq!(count(&pve, "GET", "/version"), 4);
    let start = "/nodes/pve1/qemu/101/status/start";
    pve.fail_next("POST", start, Fault::Page(502, page));
    let err = client.raw(&start[1..]).post(()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProxyTimeout);
    assert!(!err.is_retry_safe());
    assert_eq!(count(&pve, "POST", start), 1);
}

#[tokio::test]
async fn a_cancelled_ticket_renewal_leaves_the_client_usable() {
    let pve = MockPve::start().await.unwrap();
    let client = pve
        .client_builder()
        .ticket_renew_after(Duration::ZERO)
        .build()
        .unwrap();
    client.login("root@pam", "secret").await.unwrap();
    let ticket = client.session().unwrap();
    // The renewal hangs at the fake; the request waiting for it is cancelled.
    pve.fail_next(
        "POST",
        "/access/ticket",
        Fault::Delay(Duration::from_secs(3600)),
    );
    let reader = client.clone();
    let read = tokio::spawn(async move { reader.version().get().await });
    until_seen(&pve, "POST", "/access/ticket", 2).await;
    read.abort();
    assert!(read.await.unwrap_err().is_cancelled());
    assert_eq!(client.session().unwrap().ticket(), ticket.ticket());

    // The next request renews (the renewal lock was freed) and goes through.
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    assert_ne!(client.session().unwrap().ticket(), ticket.ticket());
    assert_eq!(count(&pve, "POST", "/access/ticket"), 3);
}

#[tokio::test]
async fn a_write_cancelled_during_a_delay_still_happens() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let start = "/nodes/pve1/qemu/101/status/start";
    pve.fail_next("POST", start, Fault::Delay(Duration::from_millis(200)));
    let writer = client.clone();
    let write = tokio::spawn(async move { writer.raw(&start[1..]).post(()).await });
    until_seen(&pve, "POST", start, 1).await;
    write.abort();
    assert!(write.await.unwrap_err().is_cancelled());
    // The client is usable at once; the fake carries the start out after its delay.
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    let started = pve.wait_until(|pve| pve.guest(101).unwrap().running);
    within("VM 101 started", started).await;
    assert_eq!(pve.tasks().len(), 1);
}
