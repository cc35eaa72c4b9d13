//! Scripted faults of the embedded fake PVE (`proxmoxia::mock::MockPve`) and what the client
//! makes of them: HTTP errors, failed tasks, dropped connections, delays; lost quorum, an
//! offline node, failing starts; the request log; a task wait that rides out dropped polls.
//!
//! Each test starts its own fake with the default seed (VM 100 running, VM 101 stopped).

use std::time::{Duration, Instant};

use proxmoxia::mock::{Fault, GuestSpec, MockPve};
use proxmoxia::{Client, Error, TaskHandle, TaskOutcome, TransportErrorKind};
use proxmoxia_tests::{api_err, assert_api, fake_with_root, req, within};
use serde_json::json;

/// The `TransportError` of a result that must be one: (kind, retry_safe).
fn transport<T: std::fmt::Debug>(result: proxmoxia::Result<T>) -> (TransportErrorKind, bool) {
    match result {
        Err(Error::Transport(t)) => (t.kind, t.retry_safe),
        other => panic!("expected Error::Transport, got {other:?}"),
    }
}

/// Starts VM 101 through the typed API, answering the task handle.
async fn start_101(client: &Client) -> proxmoxia::Result<TaskHandle> {
    client
        .nodes("pve1")
        .qemu(101)
        .status()
        .start()
        .post()
        .task()
        .await
        .map(|t| t.poll_interval(Duration::from_millis(20)))
}

// ------------------------------------------------------------------------------------------
// Fault::Status, and how many requests a rule hits.

#[tokio::test]
async fn fail_next_answers_one_request_with_pves_error_envelope() {
    let (pve, client) = fake_with_root().await;
    pve.fail_next("GET", "/version", Fault::Status(500, "got timeout".into()));
    let e = api_err(client.version().get().await);
    assert_eq!(
        (e.status, e.method.as_str(), e.path.as_str()),
        (500, "GET", "version")
    );
    assert_eq!(e.message, "got timeout");
    assert_eq!(e.reason, "got timeout");
    assert!(e.errors.is_empty());
    assert_eq!(
        e.body,
        json!({"data": null, "message": "got timeout\n"}).to_string()
    );
    assert!(
        Error::Api(e).is_retry_safe(),
        "a read, whatever PVE answered"
    );
    // Only the next one.
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");

    // A write: refused, and nothing done.
    pve.fail_next(
        "POST",
        "/nodes/pve1/qemu/101/status/start",
        Fault::Status(503, "service unavailable".into()),
    );
    let err = start_101(&client).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(!err.is_retry_safe(), "a POST");
    assert!(!pve.guest(101).unwrap().running);
    assert!(pve.tasks().is_empty());
    // A read with a gateway status is safe to retry.
    pve.fail_next("GET", "/nodes", Fault::Status(503, "busy".into()));
    let err = client.get_nodes().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retry_safe());
}

#[tokio::test]
async fn fail_times_hits_that_many_requests_and_fail_always_until_cleared() {
    let (pve, client) = fake_with_root().await;
    pve.fail_times(
        "GET",
        "/version",
        Fault::Status(502, "bad gateway".into()),
        2,
    );
    for _ in 0..2 {
        assert_api(client.version().get().await, 502, "bad gateway");
    }
    client.version().get().await.unwrap();
    client.version().get().await.unwrap();

    pve.fail_always(
        "GET",
        "/cluster/status",
        Fault::Status(500, "cfs down".into()),
    );
    for _ in 0..4 {
        assert_api(client.cluster().status().get().await, 500, "cfs down");
    }
    // Other paths are not hit.
    client.version().get().await.unwrap();
    pve.clear_faults();
    assert_eq!(client.cluster().status().get().await.unwrap().len(), 2);

    // Rules are used in the order they were added.
    pve.fail_next("GET", "/version", Fault::Status(500, "first".into()));
    pve.fail_next("GET", "/version", Fault::Status(500, "second".into()));
    assert_api(client.version().get().await, 500, "first");
    assert_api(client.version().get().await, 500, "second");
    client.version().get().await.unwrap();
    // `clear_faults` drops rules that have not fired yet too.
    pve.fail_times("GET", "/version", Fault::Status(500, "never".into()), 5);
    pve.clear_faults();
    client.version().get().await.unwrap();
}

#[tokio::test]
async fn fault_paths_are_concrete_or_schema_templates() {
    let (pve, client) = fake_with_root().await;
    pve.add_guest(GuestSpec::qemu(150).name("extra"));
    let node = client.nodes("pve1");
    pve.fail_always(
        "POST",
        "/nodes/{node}/qemu/{vmid}/status/start",
        Fault::Status(500, "start refused".into()),
    );
    for vmid in [101, 150] {
        assert_api(
            node.qemu(vmid).status().start().post().await,
            500,
            "start refused",
        );
    }
    // Another action, another method, another kind of guest: not hit.
    node.qemu(100).status().stop().post().await.unwrap();
    node.qemu(101).status().current().get().await.unwrap();
    node.lxc(200).status().stop().post().await.unwrap();
    pve.clear_faults();

    // A concrete path hits that path only; the method is matched case-insensitively, and
    // slashes around the path do not matter.
    pve.fail_always(
        "post",
        "nodes/pve1/qemu/101/status/start/",
        Fault::Status(500, "only 101".into()),
    );
    assert_api(
        node.qemu(101).status().start().post().await,
        500,
        "only 101",
    );
    wait(
        &client,
        node.qemu(150).status().start().post().await.unwrap(),
    )
    .await;
    assert!(pve.guest(150).unwrap().running);
    assert!(!pve.guest(101).unwrap().running);
}

/// Waits for the task of a UPID a typed call answered.
async fn wait(client: &Client, upid: String) -> TaskOutcome {
    client
        .task(&upid.parse().unwrap())
        .poll_interval(Duration::from_millis(20))
        .wait()
        .await
        .unwrap()
}

#[tokio::test]
async fn fail_times_zero_fails_nothing() {
    let (pve, client) = fake_with_root().await;
    pve.fail_times("GET", "/version", Fault::Status(500, "x".into()), 0);
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
}

#[tokio::test]
async fn a_template_fault_matches_a_volume_id_with_a_slash() {
    let (pve, client) = fake_with_root().await;
    pve.store_file("local:iso/x.iso", 10);
    pve.fail_next(
        "GET",
        "/nodes/{node}/storage/{storage}/content/{volume}",
        Fault::Status(503, "storage busy".into()),
    );
    assert_api(
        client
            .nodes("pve1")
            .storage("local")
            .content("local:iso/x.iso")
            .get()
            .await,
        503,
        "storage busy",
    );
}

// ------------------------------------------------------------------------------------------
// Fault::TaskError.

#[tokio::test]
async fn a_task_error_fault_answers_a_upid_whose_task_fails_with_the_message() {
    let (pve, client) = fake_with_root().await;
    pve.fail_next(
        "POST",
        "/nodes/{node}/qemu/{vmid}/status/start",
        Fault::TaskError("no bootable disk".into()),
    );
    let task = start_101(&client).await.unwrap();
    let upid = task.upid().clone();
    assert_eq!(
        (upid.node(), upid.task_type(), upid.id(), upid.user()),
        ("pve1", "qmstart", "101", "root@pam")
    );
    match task.wait().await {
        Err(Error::Task(failed)) => {
            assert_eq!(failed.exitstatus, "no bootable disk");
            assert_eq!(failed.upid, upid);
        }
        other => panic!("expected Error::Task, got {other:?}"),
    }
    let status = task.status().await.unwrap();
    assert_eq!(
        (status.status.as_str(), status.exitstatus.as_deref()),
        ("stopped", Some("no bootable disk"))
    );
    let log: Vec<(i64, String)> = task
        .log()
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.n, l.t))
        .collect();
    assert_eq!(
        log,
        [
            (1, "no bootable disk".to_owned()),
            (2, "TASK ERROR: no bootable disk".to_owned())
        ]
    );
    // The start did not happen; the next one does.
    assert!(!pve.guest(101).unwrap().running);
    assert_eq!(
        start_101(&client).await.unwrap().wait().await.unwrap(),
        TaskOutcome::Ok
    );
    assert!(pve.guest(101).unwrap().running);
}

#[tokio::test]
async fn a_failed_create_task_creates_nothing() {
    let (pve, client) = fake_with_root().await;
    pve.fail_next(
        "POST",
        "/nodes/{node}/qemu",
        Fault::TaskError("unable to create VM 150 - no space left".into()),
    );
    let task = client
        .nodes("pve1")
        .post_qemu(150)
        .scsis(0, "local-lvm:32".parse().unwrap())
        .task()
        .await
        .unwrap();
    assert_eq!(task.upid().task_type(), "qmcreate");
    match task.wait().await {
        Err(Error::Task(failed)) => {
            assert_eq!(failed.exitstatus, "unable to create VM 150 - no space left")
        }
        other => panic!("expected Error::Task, got {other:?}"),
    }
    assert_eq!(pve.guest(150), None);
    // Only the seeded guests' disks.
    assert_eq!(
        pve.volumes("local-lvm"),
        ["local-lvm:vm-100-disk-0", "local-lvm:vm-200-disk-0"]
    );
    assert_eq!(pve.tasks().len(), 1);
    assert_eq!(
        pve.tasks()[0].exitstatus.as_deref(),
        Some("unable to create VM 150 - no space left")
    );
}

// ------------------------------------------------------------------------------------------
// Fault::Drop and Fault::Delay.

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error_retry_safe_for_reads_only() {
    let (pve, client) = fake_with_root().await;
    pve.fail_next("GET", "/version", Fault::Drop);
    assert_eq!(
        transport(client.version().get().await),
        (TransportErrorKind::Io, true)
    );
    client.version().get().await.unwrap();

    pve.fail_next("POST", "/nodes/pve1/qemu/101/status/start", Fault::Drop);
    let err = start_101(&client).await.unwrap_err();
    assert!(!err.is_retry_safe(), "{err}");
    assert_eq!(
        transport(Err::<(), _>(err)),
        (TransportErrorKind::Io, false)
    );
    // The dropped request did nothing.
    assert!(!pve.guest(101).unwrap().running);
    assert!(pve.tasks().is_empty());
    assert_eq!(
        pve.requests(),
        [
            req("POST", "/access/ticket"),
            req("GET", "/version"),
            req("GET", "/version"),
            req("POST", "/nodes/pve1/qemu/101/status/start"),
        ]
    );
}

#[tokio::test]
async fn a_delay_longer_than_the_client_timeout_is_a_timeout() {
    let pve = MockPve::start().await.unwrap();
    // Logged in with the default timeout (a busy machine cannot time the login out); the
    // short timeout is for a request the fake answers only after an hour.
    let session = pve.login().await.unwrap().session().unwrap();
    let client = pve
        .client_builder()
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    client.set_session(session);

    pve.fail_next("GET", "/version", Fault::Delay(Duration::from_secs(3600)));
    let started = Instant::now();
    assert_eq!(
        transport(client.version().get().await),
        (TransportErrorKind::Timeout, true)
    );
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");

    // A delay is only a delay for a client that waits: the answer comes after it.
    let patient = pve.login().await.unwrap();
    pve.fail_next("GET", "/version", Fault::Delay(Duration::from_millis(150)));
    let started = Instant::now();
    assert_eq!(patient.version().get().await.unwrap().version, "9.2.0");
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_delayed_write_happens_even_if_the_client_gave_up() {
    let pve = MockPve::start().await.unwrap();
    let session = pve.login().await.unwrap().session().unwrap();
    let client = pve
        .client_builder()
        .timeout(Some(Duration::from_millis(200)))
        .build()
        .unwrap();
    client.set_session(session);
    // The config write waits at the fake for VM 101's config lock, held until released: the
    // client gives up first, whatever the machine's load. (A write cancelled during a
    // `Fault::Delay` is in mock/retries.rs.)
    pve.set_lock_wait(Duration::from_secs(3600));
    pve.hold_config_lock(101, None);
    let err = client
        .raw("nodes/pve1/qemu/101/config")
        .put(serde_json::json!({"description": "late"}))
        .await;
    assert_eq!(transport(err), (TransportErrorKind::Timeout, false));
    pve.release_config_lock(101);
    // The write happens once the lock is free.
    let written = pve.wait_until(|pve| {
        pve.guest(101)
            .unwrap()
            .config
            .get("description")
            .map(String::as_str)
            == Some("late")
    });
    within("the late write", written).await;
}

// ------------------------------------------------------------------------------------------
// Cluster faults.

#[tokio::test]
async fn without_quorum_writes_fail_and_reads_work() {
    let (pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    pve.lose_quorum();
    let quorum = "cluster not ready - no quorum?";
    assert_api(node.qemu(101).status().start().post().await, 500, quorum);
    assert_api(node.qemu(101).config().put().cores(4).await, 500, quorum);
    assert_api(node.post_qemu(150).send().await, 500, quorum);
    assert_api(
        node.storage("local-lvm")
            .post_content(
                proxmoxia::api::nodes::node::storage::storage::content::post::Required {
                    filename: "vm-101-disk-1".into(),
                    size: "1G".into(),
                    vmid: 101,
                },
            )
            .await,
        500,
        quorum,
    );
    assert!(!pve.guest(101).unwrap().running);
    assert_eq!(pve.guest(101).unwrap().config["cores"], "2");
    assert_eq!(pve.guest(150), None);
    assert!(pve.tasks().is_empty());
    // Reads, and logging in, work.
    assert_eq!(node.get_qemu().await.unwrap().len(), 2);
    assert_eq!(node.qemu(101).config().get().await.unwrap().cores, Some(2));
    pve.login().await.unwrap();
    let status = client.cluster().status().get().await.unwrap();
    assert_eq!(status[0].quorate, Some(false));

    pve.regain_quorum();
    let task = start_101(&client).await.unwrap();
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
    assert!(pve.guest(101).unwrap().running);
}

/// Only the login works without quorum. User changes lock `user.cfg` on pmxcfs
/// (`lock_user_config`), which fails without quorum: pve-cluster's `cfs_lock` says `cfs-lock
/// 'file-user_cfg' error: no quorum!` (after its 10 s lock timeout; the fake answers at once),
/// behind the call's own `create user failed: `. (`cluster not ready - no quorum?` is
/// `check_cfs_quorum`'s, which the guest calls run first; the user calls do not.)
#[tokio::test]
async fn without_quorum_user_changes_fail_too() {
    let (pve, client) = fake_with_root().await;
    pve.lose_quorum();
    assert_api(
        client.access().post_users("alice@pve").await,
        500,
        "create user failed: cfs-lock 'file-user_cfg' error: no quorum!",
    );
    assert_eq!(pve.user_ids(), ["root@pam"]);
    // A login still works.
    pve.login().await.unwrap();
}

#[tokio::test]
async fn an_offline_node_answers_595_until_it_is_back() {
    let (pve, client) = fake_with_root().await;
    pve.set_node_online("pve1", false);
    let node = client.nodes("pve1");
    let e = api_err(node.get_qemu().await);
    assert_eq!((e.status, e.message.as_str()), (595, "No route to host"));
    assert!(
        Error::Api(e).is_retry_safe(),
        "a GET to an unreachable node"
    );
    let err = node.qemu(101).status().start().post().await.unwrap_err();
    assert_eq!(err.status(), Some(595));
    // The node was never reached: a POST too is safe to repeat.
    assert!(err.is_retry_safe(), "{err}");
    assert!(!pve.guest(101).unwrap().running);
    // Paths without a node still answer.
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");
    let resources = client.cluster().resources().get().await.unwrap();
    let pve1 = resources.iter().find(|r| r.id == "node/pve1").unwrap();
    assert_eq!(pve1.status.as_deref(), Some("offline"));

    pve.set_node_online("pve1", true);
    assert_eq!(node.get_qemu().await.unwrap().len(), 2);
}

#[tokio::test]
async fn set_start_error_makes_start_tasks_fail_until_cleared() {
    let (pve, client) = fake_with_root().await;
    pve.set_start_error(
        101,
        Some("kvm: -drive: Could not open '/dev/pve/vm-101-disk-0'"),
    );
    let task = start_101(&client).await.unwrap();
    match task.wait().await {
        Err(Error::Task(failed)) => assert_eq!(
            failed.exitstatus,
            "kvm: -drive: Could not open '/dev/pve/vm-101-disk-0'"
        ),
        other => panic!("expected Error::Task, got {other:?}"),
    }
    assert!(!pve.guest(101).unwrap().running);
    pve.set_start_error(101, None);
    assert_eq!(
        start_101(&client).await.unwrap().wait().await.unwrap(),
        TaskOutcome::Ok
    );
    assert!(pve.guest(101).unwrap().running);

    // The same from the guest's spec.
    pve.add_guest(GuestSpec::qemu(150).start_error("QEMU exited with code 1"));
    let task = client
        .nodes("pve1")
        .qemu(150)
        .status()
        .start()
        .post()
        .task()
        .await
        .unwrap();
    match task.wait().await {
        Err(Error::Task(failed)) => assert_eq!(failed.exitstatus, "QEMU exited with code 1"),
        other => panic!("expected Error::Task, got {other:?}"),
    }
    // Other actions are not affected.
    let stop = client
        .nodes("pve1")
        .qemu(150)
        .status()
        .stop()
        .post()
        .task()
        .await
        .unwrap();
    assert_eq!(stop.wait().await.unwrap(), TaskOutcome::Ok);
}

// ------------------------------------------------------------------------------------------
// The request log, and a task wait through dropped polls.

#[tokio::test]
async fn requests_records_method_and_path_of_every_request_oldest_first() {
    let pve = MockPve::start().await.unwrap();
    assert!(pve.requests().is_empty());
    let client = pve.login().await.unwrap();
    let node = client.nodes("pve1");
    node.get_qemu().await.unwrap();
    node.qemu(101).config().put().cores(3).await.unwrap();
    client
        .raw("nodes/pve1/nonexistent")
        .get(())
        .await
        .unwrap_err();
    client
        .raw("nodes/pve1/qemu")
        .get(json!({"full": 1}))
        .await
        .unwrap();
    client.cluster().nextid().get().await.unwrap();
    node.qemu(999).config().get().await.unwrap_err();
    // A missing snapshot: PVE answers a task, which fails.
    let snapshot = node
        .qemu(101)
        .snapshot("pre-upgrade")
        .delete()
        .task()
        .await
        .unwrap();
    assert_eq!(
        pve.requests(),
        [
            req("POST", "/access/ticket"),
            req("GET", "/nodes/pve1/qemu"),
            req("PUT", "/nodes/pve1/qemu/101/config"),
            req("GET", "/nodes/pve1/nonexistent"),
            req("GET", "/nodes/pve1/qemu"),
            req("GET", "/cluster/nextid"),
            req("GET", "/nodes/pve1/qemu/999/config"),
            req("DELETE", "/nodes/pve1/qemu/101/snapshot/pre-upgrade"),
        ]
    );
    assert!(snapshot.wait().await.is_err());
}

#[tokio::test]
async fn a_task_wait_rides_out_dropped_status_polls() {
    let (pve, client) = fake_with_root().await;
    pve.fail_times("GET", "/nodes/{node}/tasks/{upid}/status", Fault::Drop, 2);
    let task = start_101(&client).await.unwrap();
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
    assert!(pve.guest(101).unwrap().running);
    let path = format!("/nodes/pve1/tasks/{}/status", task.upid());
    let polls = pve
        .requests()
        .iter()
        .filter(|(m, p)| m == "GET" && *p == path)
        .count();
    assert_eq!(polls, 3, "two dropped polls, then the answer");

    // More dropped polls in a row than the client tolerates (5): the wait gives up.
    pve.fail_always("GET", "/nodes/{node}/tasks/{upid}/status", Fault::Drop);
    let task = client
        .nodes("pve1")
        .qemu(101)
        .status()
        .stop()
        .post()
        .task()
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(10));
    assert_eq!(transport(task.wait().await), (TransportErrorKind::Io, true));
    let path = format!("/nodes/pve1/tasks/{}/status", task.upid());
    let polls = pve.requests().iter().filter(|(_, p)| *p == path).count();
    assert_eq!(polls, 6, "the first poll and five retries");
}
