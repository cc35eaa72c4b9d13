//! End to end, on both peers: error kinds from real answers, opt-in retries (a lock ridden
//! out, a dropped write not repeated, the bounds honoured), creating on the next free id,
//! and cancelled requests. Time is scripted through the peers: locks are released by the
//! peer's own timer or by the test once the peer has seen the client's attempt.

use std::time::Duration;

use proxmoxia::{Client, Error, ErrorKind, Result, RetryPolicy, TaskOutcome, Upid};
use proxmoxia_tests::log_capture::{Captured, capture};
use proxmoxia_tests::{Options, Peer, PeerKind, Recorded, Scenario, peer_tests};
use serde_json::{Value, json};

const LOCK_101: &str = "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout";
const CONFIG: &str = "/nodes/{node}/qemu/{vmid}/config";
const START: &str = "/nodes/{node}/qemu/{vmid}/status/start";
const RETRY_EVENT: &str = "retrying PVE request";

/// Quick retries, bounded by attempts only.
fn quick() -> RetryPolicy {
    RetryPolicy::new()
        .attempts(1000)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .deadline(None)
}

async fn client_with(pve: &Peer, policy: RetryPolicy) -> Client {
    let client = pve.builder().retry(policy).build().unwrap();
    client.login(pve.user(), pve.password()).await.unwrap();
    client
}

async fn put_description(client: &Client, text: &str) -> Result<Value> {
    client
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"description": text}))
        .await
}

async fn description(client: &Client) -> Value {
    let config = client.raw("nodes/pve1/qemu/101/config").get(()).await;
    config.unwrap()["description"].clone()
}

/// How many of `log`'s requests are of `method` to `path`.
fn count(log: &[Recorded], method: &str, path: &str) -> usize {
    log.iter()
        .filter(|r| r.method == method && r.path == path)
        .count()
}

/// How many requests of `method` to `path` the peer has seen.
async fn seen(pve: &Peer, method: &str, path: &str) -> usize {
    count(&pve.requests().await, method, path)
}

/// Waits (without a clock) until the peer has seen `n` requests of `method` to `path`.
async fn until_seen(pve: &Peer, method: &str, path: &str, n: usize) {
    let what = format!("{n} {method} {path}");
    pve.until_requested(&what, |log| count(log, method, path) >= n)
        .await;
}

fn retries(log: &Captured) -> Vec<String> {
    log.lines_with(RETRY_EVENT)
}

// --------------------------------------------------------------------------- kinds

async fn answers_of_both_peers_are_classified(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        Options {
            scenarios: vec![Scenario::OfflineNode, Scenario::LockedVm],
            ..Options::default()
        },
    )
    .await;
    let client = pve.login().await;

    let missing = client.raw("nodes/pve1/qemu/999/config").get(()).await;
    let missing = missing.unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert!(missing.is_retry_safe(), "a read");

    let exists = client
        .raw("nodes/pve1/qemu")
        .post(json!({"vmid": 101, "name": "again"}))
        .await
        .unwrap_err();
    assert_eq!(exists.kind(), ErrorKind::AlreadyExists, "{exists}");
    assert!(exists.is_retry_safe(), "refused before acting: {exists}");

    let offline = pve.offline_node().to_owned();
    let err = client
        .raw("nodes")
        .segment(&offline)
        .segment("status")
        .get(())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NodeOffline, "{err}");

    let bad = client
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"net0": "bogus"}))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::Validation, "{bad}");
    assert!(bad.is_retry_safe());

    // A held config lock: the write is refused, the start task fails on it.
    pve.hold_config_lock(101, None).await;
    let locked = put_description(&client, "locked out").await.unwrap_err();
    assert_eq!(locked.kind(), ErrorKind::Locked, "{locked}");
    assert!(locked.is_retry_safe());
    assert!(
        locked
            .to_string()
            .ends_with(&format!("{LOCK_101} (HTTP 500 on PUT nodes/pve1/qemu/101/config) (PVE refused before acting: safe to retry)")),
        "{locked}"
    );
    let upid = start(&client, 101).await.unwrap();
    let failed = client.task(&upid).wait().await.unwrap_err();
    assert!(matches!(failed, Error::Task(_)), "{failed:?}");
    assert_eq!(failed.kind(), ErrorKind::Locked, "{failed}");
    assert!(failed.is_retry_safe());
    pve.release_config_lock(101).await;

    // A guest locked by a backup: its start task fails with PVE's "VM is locked (backup)".
    let upid = start(&client, pve.locked_vmid()).await.unwrap();
    let failed = client.task(&upid).wait().await.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::Locked, "{failed}");
}

async fn writes_without_quorum_are_no_quorum_and_safe(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        Options {
            scenarios: vec![Scenario::NoQuorum],
            ..Options::default()
        },
    )
    .await;
    let client = pve.login().await;
    let err = put_description(&client, "no quorum").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoQuorum, "{err}");
    assert!(err.is_retry_safe(), "{err}");
    assert!(
        err.to_string()
            .ends_with("(PVE refused before acting: safe to retry)"),
        "{err}"
    );
}

async fn start(client: &Client, vmid: u32) -> Result<Upid> {
    let answer = client
        .raw("nodes/pve1/qemu")
        .segment(vmid)
        .segment("status")
        .segment("start")
        .post(())
        .await?;
    Ok(Upid::try_from(answer)?)
}

// ------------------------------------------------------------------------- retries

async fn a_config_lock_held_for_two_seconds_is_ridden_out(kind: PeerKind) {
    // fakepve runs its timers (the lock's release) only with a time scale; nothing waits for
    // a held lock (lock wait 0): each attempt fails at once while it is held.
    let pve = Peer::start_with(
        kind,
        Options {
            time_scale: 1.0,
            ..Options::default()
        },
    )
    .await;
    pve.set_lock_wait(Duration::ZERO).await;
    let client = client_with(&pve, quick()).await;
    let (log, _guard) = capture();

    pve.hold_config_lock(101, None).await;
    let writer = client.clone();
    let put = tokio::spawn(async move { put_description(&writer, "ridden out").await });
    // The first attempt has met the lock; from now on the peer holds it 2 s more.
    let path = "/nodes/pve1/qemu/101/config";
    until_seen(&pve, "PUT", path, 1).await;
    pve.release_config_lock_after(101, Duration::from_secs(2))
        .await;

    assert_eq!(put.await.unwrap().unwrap(), Value::Null);
    assert_eq!(description(&client).await, "ridden out");
    let puts = seen(&pve, "PUT", path).await;
    assert!(puts >= 2, "the first attempt met the lock");
    let retried = retries(&log);
    // Every attempt but the last met the lock, and each retry was logged with its reason.
    assert_eq!(retried.len(), puts - 1, "{}", log.text());
    for (n, line) in retried.iter().enumerate() {
        assert!(line.contains(&format!("attempt={}", n + 1)), "{line}");
        assert!(line.contains("kind=locked"), "{line}");
        assert!(line.contains("got timeout"), "{line}");
    }
}

async fn scripted_lock_and_quorum_refusals_are_retried_exactly(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = client_with(&pve, quick()).await;
    let (log, _guard) = capture();

    // Three lock timeouts, then the lock is free: four attempts.
    pve.fail("PUT", CONFIG, 500, LOCK_101, 3).await;
    put_description(&client, "fourth time").await.unwrap();
    assert_eq!(seen(&pve, "PUT", "/nodes/pve1/qemu/101/config").await, 4);
    assert_eq!(description(&client).await, "fourth time");
    assert_eq!(retries(&log).len(), 3);

    // Quorum lost twice for a start: PVE changed nothing, so it is sent a third time.
    pve.fail("POST", START, 500, "cluster not ready - no quorum?", 2)
        .await;
    let upid = start(&client, 101).await.unwrap();
    assert_eq!(client.task(&upid).wait().await.unwrap(), TaskOutcome::Ok);
    assert_eq!(
        seen(&pve, "POST", "/nodes/pve1/qemu/101/status/start").await,
        3
    );
    let retried = retries(&log);
    assert_eq!(retried.len(), 5);
    assert!(retried[3].contains("kind=no-quorum"), "{}", retried[3]);
}

async fn a_dropped_post_is_not_retried(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    // Even with the kind asked for: a write whose fate is unknown is never repeated.
    let policy = quick().retry_on([ErrorKind::Disconnected, ErrorKind::Timeout]);
    let client = client_with(&pve, policy).await;
    let (log, _guard) = capture();

    pve.drop_requests("POST", START).await;
    let err = start(&client, 101).await.unwrap_err();
    pve.stop_dropping().await;

    assert_eq!(err.kind(), ErrorKind::Disconnected, "{err:?}");
    assert!(!err.is_retry_safe());
    assert!(
        err.to_string()
            .ends_with("(the write may have been carried out: not safe to retry blindly)"),
        "{err}"
    );
    // One attempt: no retry, one failed exchange (fakepve does not record dropped requests).
    assert_eq!(retries(&log), Vec::<String>::new());
    assert_eq!(log.lines_with("request failed").len(), 1, "{}", log.text());
    if kind.is_mock() {
        assert_eq!(
            seen(&pve, "POST", "/nodes/pve1/qemu/101/status/start").await,
            1
        );
    }
    // The client is fine afterwards.
    assert_eq!(description(&client).await, Value::Null);
}

async fn retries_stop_at_the_attempts_and_the_deadline(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    pve.hold_config_lock(101, None).await;
    let path = "/nodes/pve1/qemu/101/config";

    // Three attempts at most.
    let client = client_with(&pve, quick().attempts(3)).await;
    let err = put_description(&client, "never").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked, "{err}");
    assert_eq!(seen(&pve, "PUT", path).await, 3);

    // The first retry would start 10 s in, past the 1 s deadline: the lock error comes back
    // after one attempt, without waiting.
    let policy = quick()
        .backoff(Duration::from_secs(10), Duration::from_secs(10))
        .jitter(false)
        .deadline(Some(Duration::from_secs(1)));
    let client = client_with(&pve, policy).await;
    let err = put_description(&client, "never").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Locked, "{err}");
    assert_eq!(seen(&pve, "PUT", path).await, 4);
    pve.release_config_lock(101).await;
    assert_eq!(description(&client).await, Value::Null);
}

// -------------------------------------------------------------------------- next id

async fn create_vm(client: &Client, vmid: u32, name: &str) -> Result<TaskOutcome> {
    let answer = client
        .raw("nodes/pve1/qemu")
        .post(json!({"vmid": vmid, "name": name, "memory": 512}))
        .await?;
    client.task(&Upid::try_from(answer)?).wait().await
}

async fn the_next_free_id_skips_an_id_another_client_took(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let other = pve.login().await;
    assert_eq!(client.next_free_id().get().await.unwrap(), 102);

    // The other client takes the id between our nextid and our create (the first time).
    let mut first = true;
    let (vmid, outcome) = client
        .next_free_id()
        .create(|vmid| {
            let take = std::mem::take(&mut first);
            let (client, other) = (&client, &other);
            async move {
                if take {
                    create_vm(other, vmid, "theirs").await?;
                }
                create_vm(client, vmid, "ours").await
            }
        })
        .await
        .unwrap();
    assert_eq!((vmid, outcome), (103, TaskOutcome::Ok));
    let name = |vmid: u32| {
        let client = client.clone();
        async move {
            let path = format!("nodes/pve1/qemu/{vmid}/config");
            client.raw(&path).get(()).await.unwrap()["name"].clone()
        }
    };
    assert_eq!(name(102).await, "theirs");
    assert_eq!(name(103).await, "ours");
    assert_eq!(seen(&pve, "GET", "/cluster/nextid").await, 3);

    // With one attempt the clash is the answer.
    let err = client
        .next_free_id()
        .attempts(1)
        .create(|vmid| {
            let other = &other;
            async move {
                create_vm(other, vmid, "theirs-too").await?;
                create_vm(other, vmid, "clash").await
            }
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(name(104).await, "theirs-too");
}

// --------------------------------------------------------------------- cancellation

async fn a_cancelled_write_still_happens_and_the_client_stays_usable(kind: PeerKind) {
    // The write waits at the peer for a held config lock (up to an hour) until released.
    let pve = Peer::start_with(
        kind,
        Options {
            time_scale: 1.0,
            ..Options::default()
        },
    )
    .await;
    pve.set_lock_wait(Duration::from_secs(3600)).await;
    let client = pve.login().await;
    pve.hold_config_lock(101, None).await;

    let writer = client.clone();
    let put = tokio::spawn(async move { put_description(&writer, "cancelled").await });
    until_seen(&pve, "PUT", "/nodes/pve1/qemu/101/config", 1).await;
    // Cancelled mid-flight: the future is dropped while PVE works on the request.
    put.abort();
    assert!(put.await.unwrap_err().is_cancelled());

    // The client is usable at once, for reads and writes.
    assert_eq!(description(&client).await, Value::Null);
    let other = client
        .raw("nodes/pve1/qemu/100/config")
        .put(json!({"description": "usable"}))
        .await;
    assert_eq!(other.unwrap(), Value::Null);

    // PVE carries the cancelled write out once the lock is free.
    pve.release_config_lock(101).await;
    pve.until_config(101, "description", "cancelled").await;
    assert_eq!(description(&client).await, "cancelled");
}

peer_tests!(
    answers_of_both_peers_are_classified,
    writes_without_quorum_are_no_quorum_and_safe,
    a_config_lock_held_for_two_seconds_is_ridden_out,
    scripted_lock_and_quorum_refusals_are_retried_exactly,
    a_dropped_post_is_not_retried,
    retries_stop_at_the_attempts_and_the_deadline,
    the_next_free_id_skips_an_id_another_client_took,
    a_cancelled_write_still_happens_and_the_client_stays_usable,
);
