//! End to end: every fault the peers can stage comes back as the right typed error. Every
//! test runs against fakepve (`fakepve::name`) and the embedded fake (`mock::name`).

use std::time::Duration;

use proxmoxia::{
    AuthError, Client, Error, ErrorKind, TaskOutcome, TransportErrorKind, Upid, UploadContent,
};
use proxmoxia_tests::{Options, Peer, PeerKind, Recorded, Scenario, api_error, peer_tests};
use serde_json::{Value, json};

fn with(scenarios: Vec<Scenario>) -> Options {
    Options {
        scenarios,
        ..Options::default()
    }
}

/// The `AuthError` inside an error, or a panic naming what it was instead.
fn auth_error(err: Error) -> AuthError {
    match err {
        Error::Auth(e) => e,
        other => panic!("expected Error::Auth, got {other:?}"),
    }
}

/// POSTs `status/start` of a VM on pve1 and returns the task's UPID.
async fn start_vm(client: &Client, vmid: u32) -> Upid {
    let answer = client
        .raw("nodes/pve1/qemu")
        .segment(vmid)
        .segment("status")
        .segment("start")
        .post(())
        .await
        .unwrap();
    let upid = Upid::try_from(answer).unwrap();
    assert_eq!(upid.task_type(), "qmstart");
    assert_eq!(upid.id(), vmid.to_string());
    upid
}

async fn vm_status(client: &Client, vmid: u32) -> Value {
    client
        .raw("nodes/pve1/qemu")
        .segment(vmid)
        .segment("status")
        .segment("current")
        .get(())
        .await
        .unwrap()
}

// ------------------------------------------------------------------------ task failures

async fn starting_a_locked_vm_ends_in_a_task_error(kind: PeerKind) {
    let pve = Peer::start_with(kind, with(vec![Scenario::LockedVm])).await;
    assert_eq!(pve.locked_vmid(), 102);
    let client = pve.login().await;
    assert_eq!(vm_status(&client, 102).await["lock"], "backup");

    // PVE checks the lock inside the worker: the request itself succeeds with a UPID.
    let upid = start_vm(&client, 102).await;
    let task = client.task(&upid);
    let err = task.wait().await.unwrap_err();
    let Error::Task(failed) = err else {
        panic!("expected Error::Task, got {err:?}")
    };
    assert_eq!(failed.exitstatus, "VM is locked (backup)");
    assert_eq!(failed.upid, upid);
    assert_eq!(
        failed.to_string(),
        format!("task {upid} failed: VM is locked (backup)")
    );

    let log = task.log_all().await.unwrap();
    assert_eq!(
        log.last().map(|l| l.t.as_str()),
        Some("TASK ERROR: VM is locked (backup)")
    );
    let status = task.status().await.unwrap();
    assert_eq!(status.exitstatus.as_deref(), Some("VM is locked (backup)"));
    assert_eq!(vm_status(&client, 102).await["status"], "stopped");
}

async fn a_failing_start_task_reports_pves_exit_status(kind: PeerKind) {
    let pve = Peer::start_with(kind, with(vec![Scenario::TaskError])).await;
    let (vmid, expected) = pve.failing_vm();
    let expected = expected.to_owned();
    assert_eq!(vmid, 103);
    assert_eq!(
        expected,
        "unable to find configuration file for VM 103 disk 'scsi0'"
    );
    let client = pve.login().await;

    let upid = start_vm(&client, vmid).await;
    match client.task(&upid).wait().await {
        Err(Error::Task(failed)) => {
            assert_eq!(failed.exitstatus, expected);
            assert_eq!(failed.upid, upid);
        }
        other => panic!("expected Error::Task, got {other:?}"),
    }
    assert_eq!(vm_status(&client, vmid).await["status"], "stopped");
}

async fn a_held_config_lock_fails_the_start_task_and_a_config_write(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    // Another task holds VM 101's config lock; nobody waits for it (fakepve at time scale 0,
    // the mock's default lock wait).
    pve.hold_config_lock(101, None).await;
    let lock_timeout = "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout";

    let upid = start_vm(&client, 101).await;
    match client.task(&upid).wait().await {
        Err(Error::Task(failed)) => assert_eq!(failed.exitstatus, lock_timeout),
        other => panic!("expected Error::Task, got {other:?}"),
    }
    // The synchronous config write fails in the request itself.
    let err = client
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"description": "locked out"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(api_error(err).message, lock_timeout);

    // Released: both work.
    pve.release_config_lock(101).await;
    let upid = start_vm(&client, 101).await;
    assert_eq!(client.task(&upid).wait().await.unwrap(), TaskOutcome::Ok);
    assert_eq!(vm_status(&client, 101).await["status"], "running");
}

// ------------------------------------------------------------------- parameter errors

const BAD_QEMU_NET0: &str = "invalid format - format error\nnet0.model: value 'bogus' does not have a value in the enumeration 'e1000, e1000-82540em, e1000-82544gc, e1000-82545em, e1000e, i82551, i82557b, i82559er, ne2k_isa, ne2k_pci, pcnet, rtl8139, virtio, vmxnet3'";

async fn a_bad_net0_is_a_400_naming_net0(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let config = client.raw("nodes/pve1/qemu/101/config");

    // PUT (synchronous) and POST (a qmconfig task) are both refused before anything runs.
    for (method, answer) in [
        ("PUT", config.put(json!({"net0": "bogus"})).await),
        ("POST", config.post(json!({"net0": "bogus"})).await),
    ] {
        let err = answer.unwrap_err();
        assert_eq!(err.status(), Some(400), "{err}");
        assert_eq!(err.param_error("net0"), Some(BAD_QEMU_NET0));
        // Refused before anything ran: repeating it does no harm (nor good).
        assert!(err.is_retry_safe());
        let e = api_error(err);
        assert_eq!(e.method, method);
        assert_eq!(e.path, "nodes/pve1/qemu/101/config");
        assert_eq!(e.message, "Parameter verification failed.");
        assert_eq!(e.reason, "Parameter verification failed.");
        assert_eq!(e.errors.keys().collect::<Vec<_>>(), ["net0"]);
        let shown = e.to_string();
        assert!(
            shown.starts_with("Parameter verification failed: net0: invalid format"),
            "{shown}"
        );
        assert!(
            shown.ends_with(&format!(
                "(HTTP 400 on {method} nodes/pve1/qemu/101/config)"
            )),
            "{shown}"
        );
    }
    // Nothing changed.
    let read = config.get(()).await.unwrap();
    assert_eq!(read["net0"], "virtio=BC:24:11:00:00:02,bridge=vmbr0");

    // The same for a container create.
    let err = client
        .raw("nodes/pve1/lxc")
        .post(json!({
            "ostemplate": "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            "vmid": 150,
            "net0": "name=eth0,bridge=vmbr0,ip=bogus",
        }))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert_eq!(
        err.param_error("net0"),
        Some(
            "invalid format - format error\nnet0.ip: invalid format - value does not look like a valid ipv4 network configuration"
        )
    );
    assert!(
        err.to_string()
            .starts_with("Parameter verification failed: net0: invalid format - format error"),
        "{err}"
    );
    let cts = client.raw("nodes/pve1/lxc").get(()).await.unwrap();
    assert_eq!(cts.as_array().unwrap().len(), 1, "no container 150: {cts}");
}

// ------------------------------------------------------------------ missing objects

async fn a_missing_guest_is_a_500_that_is_not_found(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let err = client
        .raw("nodes/pve1/qemu/999/status/current")
        .get(())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    let e = api_error(err);
    assert!(e.is_not_found());
    assert_eq!(
        e.message,
        "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"
    );
    assert!(e.errors.is_empty());
    assert_eq!(
        e.to_string(),
        "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist (HTTP 500 on GET nodes/pve1/qemu/999/status/current)"
    );

    let err = client
        .raw("nodes/pve1/lxc/999/status/current")
        .get(())
        .await
        .unwrap_err();
    let e = api_error(err);
    assert_eq!(e.status, 500);
    assert!(e.is_not_found(), "{e}");
    assert_eq!(
        e.message,
        "Configuration file 'nodes/pve1/lxc/999.conf' does not exist"
    );

    // An existing VM's error is not a "not found": VM 101 is not running.
    let err = client
        .raw("nodes/pve1/qemu/101/status/shutdown")
        .post(())
        .await
        .unwrap_err();
    let e = api_error(err);
    assert_eq!(e.status, 500);
    assert_eq!(e.message, "VM 101 not running");
    assert!(!e.is_not_found());
}

// ------------------------------------------------------------------ cluster trouble

async fn an_offline_node_answers_595(kind: PeerKind) {
    let pve = Peer::start_with(kind, with(vec![Scenario::OfflineNode])).await;
    assert_eq!(pve.offline_node(), "pve2");
    let client = pve.login().await;

    let nodes = client.raw("nodes").get(()).await.unwrap();
    let states: Vec<(&str, &str)> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["node"].as_str().unwrap(), n["status"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("pve1", "online"), ("pve2", "offline")]);

    let err = client.raw("nodes/pve2/status").get(()).await.unwrap_err();
    assert_eq!(err.status(), Some(595));
    assert!(
        err.is_retry_safe(),
        "a read of an unreachable node may be retried"
    );
    let e = api_error(err);
    assert_eq!(e.message, "No route to host");
    assert_eq!(e.reason, "No route to host");
    assert_eq!(e.method, "GET");
    assert!(!e.is_not_found());

    // A write to it is not safe to repeat blindly.
    let err = client
        .raw("nodes/pve2/qemu/100/status/start")
        .post(())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(595));
    // The node was never reached: repeating the POST is safe.
    assert!(err.is_retry_safe(), "{err}");

    // pve1 still answers.
    assert_eq!(vm_status(&client, 100).await["status"], "running");
}

async fn writes_without_quorum_fail_and_reads_work(kind: PeerKind) {
    let pve = Peer::start_with(kind, with(vec![Scenario::NoQuorum])).await;
    let client = pve.login().await;

    let status = client.raw("cluster/status").get(()).await.unwrap();
    assert_eq!(status[0]["type"], "cluster");
    assert_eq!(status[0]["quorate"], 0);

    let err = client
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"description": "no chance"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    // PVE refused before acting: safe to repeat once quorum is back.
    assert!(err.is_retry_safe(), "{err}");
    let e = api_error(err);
    assert_eq!(e.message, "cluster not ready - no quorum?");
    assert_eq!(
        e.to_string(),
        "cluster not ready - no quorum? (HTTP 500 on PUT nodes/pve1/qemu/101/config)"
    );

    let err = client
        .raw("nodes/pve1/qemu/101/status/start")
        .post(())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(api_error(err).message, "cluster not ready - no quorum?");

    // Reads still work, and nothing was written.
    let config = client
        .raw("nodes/pve1/qemu/101/config")
        .get(())
        .await
        .unwrap();
    assert_eq!(config.get("description"), None);
    assert_eq!(vm_status(&client, 101).await["status"], "stopped");
}

// ------------------------------------------------------------------- authentication

async fn a_wrong_password_is_rejected(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.client();
    let err = client
        .login(pve.user(), "not-the-password")
        .await
        .unwrap_err();
    match auth_error(err) {
        AuthError::Rejected { user, message } => {
            assert_eq!(user, "root@pam");
            assert_eq!(message, "authentication failure");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert!(client.session().is_none(), "a failed login keeps nothing");
    let err = client.raw("version").get(()).await.unwrap_err();
    assert!(
        matches!(auth_error(err), AuthError::NotLoggedIn),
        "still logged out"
    );
    // The right password still works on the same client.
    client.login(pve.user(), pve.password()).await.unwrap();
    assert_eq!(
        client.raw("version").get(()).await.unwrap()["version"],
        pve.version().version
    );
}

async fn a_wrong_token_secret_is_rejected(kind: PeerKind) {
    let pve = Peer::start_with(kind, with(vec![Scenario::ApiToken])).await;
    let (id, secret) = pve.token();
    let wrong = "00000000-0000-0000-0000-000000000000";
    assert_ne!(secret, wrong);
    let client = pve.builder().api_token(&id, wrong).build().unwrap();

    for answer in [
        client.raw("version").get(()).await,
        client
            .raw("nodes/pve1/qemu/101/config")
            .put(json!({"description": "x"}))
            .await,
    ] {
        match auth_error(answer.unwrap_err()) {
            AuthError::Rejected { user, message } => {
                assert_eq!(user, "root@pam!ci");
                assert_eq!(message, "authentication failure");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }
    // The right secret works.
    let good = pve.builder().api_token(id, secret).build().unwrap();
    assert_eq!(
        good.raw("version").get(()).await.unwrap()["version"],
        pve.version().version
    );
}

async fn a_request_before_login_is_not_logged_in(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.client();
    for answer in [
        client.raw("nodes").get(()).await,
        client.raw("nodes/pve1/qemu/100/status/stop").post(()).await,
    ] {
        let err = answer.unwrap_err();
        assert!(
            matches!(auth_error(err), AuthError::NotLoggedIn),
            "expected NotLoggedIn"
        );
    }
    // Logging out drops the credentials again.
    let client = pve.login().await;
    client.logout();
    let err = client.raw("nodes").get(()).await.unwrap_err();
    assert!(matches!(auth_error(err), AuthError::NotLoggedIn));
    // Nothing was stopped.
    let client = pve.login().await;
    assert_eq!(vm_status(&client, 100).await["status"], "running");
}

// ---------------------------------------------------------------- tickets that die

async fn an_expired_ticket_is_replaced_with_the_kept_password(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    // Two clients, to see a read and a write each be the first request after the expiry.
    let reader = pve.login().await;
    let writer = pve.login().await;
    let reader_ticket = reader.session().unwrap().ticket().clone();
    let writer_ticket = writer.session().unwrap().ticket().clone();

    pve.expire_tickets().await;
    let version = reader.raw("version").get(()).await.unwrap();
    assert_eq!(version["version"], pve.version().version);
    assert_ne!(
        reader.session().unwrap().ticket(),
        &reader_ticket,
        "a new ticket was obtained"
    );

    // A write needs the new ticket's CSRF token too.
    let answer = writer
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"description": "after the expiry"}))
        .await
        .unwrap();
    assert_eq!(answer, Value::Null);
    assert_ne!(writer.session().unwrap().ticket(), &writer_ticket);
    let config = reader
        .raw("nodes/pve1/qemu/101/config")
        .get(())
        .await
        .unwrap();
    assert_eq!(config["description"], "after the expiry");
}

async fn an_expired_ticket_without_a_password_is_ticket_expired(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    client.forget_password();
    pve.expire_tickets().await;
    let err = client.raw("version").get(()).await.unwrap_err();
    match auth_error(err) {
        AuthError::TicketExpired { user, message } => {
            assert_eq!(user, "root@pam");
            assert_eq!(message, "permission denied - invalid PVE ticket");
        }
        other => panic!("expected TicketExpired, got {other:?}"),
    }
    // Logging in again recovers.
    client.login(pve.user(), pve.password()).await.unwrap();
    assert_eq!(
        client.raw("version").get(()).await.unwrap()["version"],
        pve.version().version
    );
}

async fn revoked_tickets_are_replaced_transparently_once_for_all_callers(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    assert_eq!(vm_status(&client, 100).await["status"], "running");
    let before = client.session().unwrap();

    pve.revoke_tickets().await;
    assert_eq!(vm_status(&client, 100).await["status"], "running");
    let after = client.session().unwrap();
    assert_ne!(after.ticket(), before.ticket());

    // Again, with a write as the first request after the revocation.
    pve.revoke_tickets().await;
    let answer = client
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"description": "after a revocation"}))
        .await
        .unwrap();
    assert_eq!(answer, Value::Null);

    // Many requests at once after a revocation: all succeed, and one login serves them all.
    pve.revoke_tickets().await;
    let seen = pve.requests().await.len();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = client.clone();
        requests.spawn(async move { client.raw("nodes/pve1/qemu").get(()).await });
    }
    while let Some(done) = requests.join_next().await {
        let guests = done.unwrap().unwrap();
        assert_eq!(guests.as_array().unwrap().len(), 2);
    }
    let logins = pve.requests().await[seen..]
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/access/ticket")
        .count();
    assert_eq!(logins, 1, "one login after the revocation");
    // fakepve's ticket table too (tickets are forgotten by revoke_tickets): one new ticket.
    if let Some(fake) = pve.fakepve() {
        let tickets = fake.call("__getattribute__", json!(["tickets"])).await;
        let tickets = tickets.as_object().expect("the ticket table");
        assert_eq!(tickets.len(), 1, "one login after the revocation");
        assert!(tickets.contains_key(client.session().unwrap().ticket().expose()));
    }
}

async fn a_refused_ticket_renewal_falls_back_to_the_password_or_the_old_ticket(kind: PeerKind) {
    // fakepve does not renew tickets (PVE takes a valid ticket as the password; fakepve only
    // the password): the client must cope with a refused renewal. The mock renews, as PVE
    // does, so there each renewal below is refused by a scripted 401.
    let pve = Peer::start(kind).await;
    // No back-off after a failed renewal: every call below may try again.
    let client = pve
        .builder()
        .ticket_renew_after(Duration::ZERO)
        .ticket_renew_backoff(Duration::ZERO)
        .build()
        .unwrap();
    client.login(pve.user(), pve.password()).await.unwrap();
    let first = client.session().unwrap();
    // Renewal is due at once; refused; the kept password gets a new ticket.
    pve.refuse_next_ticket_renewal().await;
    assert_eq!(vm_status(&client, 100).await["status"], "running");
    let second = client.session().unwrap();
    assert_ne!(second.ticket(), first.ticket());

    // Without the password the still-valid ticket is used as it is.
    client.forget_password();
    pve.refuse_next_ticket_renewal().await;
    assert_eq!(vm_status(&client, 100).await["status"], "running");
    assert_eq!(client.session().unwrap().ticket(), second.ticket());

    match kind {
        // Every renewal is refused: the ticket stays.
        PeerKind::FakePve => {
            assert_eq!(vm_status(&client, 100).await["status"], "running");
            assert_eq!(client.session().unwrap().ticket(), second.ticket());
        }
        // Not refused, the renewal gives a new ticket without the password, as on PVE.
        PeerKind::Mock | PeerKind::Mock84 => {
            assert_eq!(vm_status(&client, 100).await["status"], "running");
            assert_ne!(client.session().unwrap().ticket(), second.ticket());
        }
    }
}

async fn an_upload_after_the_ticket_expired_recovers(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    pve.expire_tickets().await;

    let upload = || {
        client
            .upload("pve1", "local", UploadContent::Vztmpl)
            .from_bytes(
                "debian-12-standard_12.7-1_amd64.tar.zst",
                b"tarball".to_vec(),
            )
    };
    // The body is not replayed, so the first upload may fail (today: a raw Error::Api 401);
    // but the client holds the password, so the next upload must go through.
    let first = upload().await;
    if let Err(err) = &first {
        assert_eq!(err.status(), Some(401), "{err}");
    }
    let task = upload().await.unwrap();
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
}

// ---------------------------------------------------------------------- slow tasks

/// A peer where fakepve's PVE time runs at 1/20 of real time (a 20 s config lock is held
/// 1 s), and tasks wait up to 50 s (1000 PVE seconds) for a held config lock instead of 10.
async fn slow_pve(kind: PeerKind) -> Peer {
    let pve = Peer::start_with(
        kind,
        Options {
            time_scale: 0.05,
            ..Options::default()
        },
    )
    .await;
    pve.set_lock_wait(Duration::from_secs(50)).await;
    pve
}

async fn a_running_task_is_visible_before_wait_returns(kind: PeerKind) {
    let pve = slow_pve(kind).await;
    let client = pve.login().await;
    // Another task holds VM 101's config lock until released: the start task waits.
    pve.hold_config_lock(101, None).await;

    let upid = start_vm(&client, 101).await;
    let task = client.task(&upid).poll_interval(Duration::from_millis(50));

    let status = task.status().await.unwrap();
    assert_eq!(status.status, "running");
    assert!(status.is_running());
    assert_eq!(status.exitstatus, None);
    assert_eq!(status.extra["type"], "qmstart");
    assert_eq!(status.extra["id"], "101");
    assert_eq!(vm_status(&client, 101).await["status"], "stopped");

    // Tickets revoked while waiting: the polls log in again and carry on. The lock is
    // released once the peer has seen the wait poll after the new login.
    pve.revoke_tickets().await;
    let seen = pve.requests().await.len();
    let waiting = task.clone();
    let wait = tokio::spawn(async move { waiting.wait().await });
    let polled_after_login = |log: &[Recorded]| {
        let after = &log[seen..];
        let login = after.iter().position(|r| r.path == "/access/ticket");
        login.is_some_and(|i| {
            after[i..]
                .iter()
                .any(|r| r.method == "GET" && r.path.ends_with("/status"))
        })
    };
    pve.until_requested("a status poll after the new login", polled_after_login)
        .await;
    assert!(
        !wait.is_finished(),
        "wait returned before the lock was released"
    );
    pve.release_config_lock(101).await;
    assert_eq!(wait.await.unwrap().unwrap(), TaskOutcome::Ok);
    let status = task.status().await.unwrap();
    assert_eq!(status.status, "stopped");
    assert_eq!(status.exitstatus.as_deref(), Some("OK"));
    assert_eq!(vm_status(&client, 101).await["status"], "running");
}

async fn waiting_longer_than_the_timeout_is_task_timeout(kind: PeerKind) {
    let pve = slow_pve(kind).await;
    let client = pve.login().await;
    // Held until released.
    pve.hold_config_lock(101, None).await;

    let upid = start_vm(&client, 101).await;
    let limit = Duration::from_millis(300);
    let task = client
        .task(&upid)
        .poll_interval(Duration::from_millis(50))
        .timeout(limit);
    let err = task.wait().await.unwrap_err();
    let shown = err.to_string();
    match err {
        Error::TaskTimeout {
            upid: timed_out,
            waited,
        } => {
            assert_eq!(*timed_out, upid);
            // The lock is held until released below: only the timeout can end the wait.
            assert!(waited >= limit, "waited {waited:?}");
            assert_eq!(
                shown,
                format!(
                    "task {upid} still running after {waited:?} (the task goes on: wait for it again rather than repeat the request)"
                )
            );
        }
        other => panic!("expected TaskTimeout, got {other:?}"),
    }

    // The task goes on: still running, and it finishes once the lock is released.
    assert!(task.status().await.unwrap().is_running());
    pve.release_config_lock(101).await;
    let unlimited = client.task(&upid).poll_interval(Duration::from_millis(50));
    assert_eq!(unlimited.wait().await.unwrap(), TaskOutcome::Ok);
    assert_eq!(vm_status(&client, 101).await["status"], "running");
}

// ------------------------------------------------------ flaky answers while waiting

async fn wait_rides_out_five_failed_polls_but_not_six(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    for (failures, ok) in [(5, true), (6, false)] {
        let upid = start_vm(&client, 101).await;
        // The next `failures` task status polls answer 503.
        let polls = "/nodes/{node}/tasks/{upid}/status";
        pve.fail("GET", polls, 503, "Service Unavailable", failures)
            .await;
        let answer = client
            .task(&upid)
            .poll_interval(Duration::from_millis(10))
            .wait()
            .await;
        if ok {
            assert_eq!(answer.unwrap(), TaskOutcome::Ok);
        } else {
            let err = answer.unwrap_err();
            assert_eq!(err.status(), Some(503), "{err}");
            assert!(err.is_retry_safe());
            assert_eq!(api_error(err).message, "Service Unavailable");
        }
        // Stop it again for the next round.
        let stop = client
            .raw("nodes/pve1/qemu/101/status/stop")
            .post(())
            .await
            .unwrap();
        let stop = Upid::try_from(stop).unwrap();
        assert_eq!(client.task(&stop).wait().await.unwrap(), TaskOutcome::Ok);
    }
}

async fn a_proxy_error_page_is_an_api_error_with_the_reason(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let page = "<html><body>bad gateway</body></html>";
    pve.fail_with_page("GET", "/version", 502, page, 1).await;

    let err = client.raw("version").get(()).await.unwrap_err();
    assert!(err.is_retry_safe());
    let e = api_error(err);
    assert_eq!(e.status, 502);
    assert_eq!(e.message, "Bad Gateway");
    assert_eq!(e.body, "<html><body>bad gateway</body></html>");
    assert!(e.errors.is_empty());
    // Only once.
    assert_eq!(
        client.raw("version").get(()).await.unwrap()["version"],
        pve.version().version
    );
}

// ------------------------------------------------------ errors on the client's side

async fn answers_of_the_wrong_shape_are_decode_errors(kind: PeerKind) {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Version {
        version: u32,
    }
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let err = client
        .raw("version")
        .get(())
        .decode::<Version>()
        .await
        .unwrap_err();
    let Error::Decode(e) = err else {
        panic!("expected Error::Decode, got {err:?}")
    };
    assert_eq!(e.path, "data.version");
    let version = format!("\"{}\"", pve.version().version);
    assert!(e.body.contains(&version), "{}", e.body);
}

async fn nested_parameters_are_refused_before_sending(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let err = client
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"net0": {"bridge": "vmbr0"}}))
        .await
        .unwrap_err();
    match err {
        Error::Encode { name, .. } => assert_eq!(name, "net0"),
        other => panic!("expected Error::Encode, got {other:?}"),
    }
}

async fn an_upload_to_a_block_storage_is_refused(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let err = client
        .upload("pve1", "local-lvm", UploadContent::Iso)
        .from_bytes("installer.iso", b"iso".to_vec())
        .await
        .unwrap_err();
    let e = api_error(err);
    assert_eq!(e.status, 500);
    assert_eq!(e.message, "can't upload to storage type 'lvmthin'");
    assert_eq!(e.path, "nodes/pve1/storage/local-lvm/upload");
}

async fn a_slow_answer_is_a_timeout_retry_safe_only_for_reads(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        Options {
            time_scale: 1.0,
            ..Options::default()
        },
    )
    .await;
    // Logged in with the default timeout, so a busy machine cannot time the login out; the
    // short timeout is for the requests below, which the peer answers only after an hour.
    let session = pve.login().await.session().unwrap();
    let client = pve
        .builder()
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    client.set_session(session);
    pve.slow_network(Duration::from_secs(3600)).await;

    for (answer, read) in [
        (client.raw("version").get(()).await, true),
        (
            client
                .raw("nodes/pve1/qemu/101/config")
                .put(json!({"description": "late"}))
                .await,
            false,
        ),
    ] {
        let err = answer.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert_eq!(err.is_retry_safe(), read, "{err}");
        let Error::Transport(t) = err else {
            panic!("expected Error::Transport")
        };
        assert_eq!(t.kind, TransportErrorKind::Timeout);
        assert_eq!(t.retry_safe, read, "{t}");
    }
}

peer_tests!(
    starting_a_locked_vm_ends_in_a_task_error,
    a_failing_start_task_reports_pves_exit_status,
    a_held_config_lock_fails_the_start_task_and_a_config_write,
    a_bad_net0_is_a_400_naming_net0,
    a_missing_guest_is_a_500_that_is_not_found,
    an_offline_node_answers_595,
    writes_without_quorum_fail_and_reads_work,
    a_wrong_password_is_rejected,
    a_wrong_token_secret_is_rejected,
    a_request_before_login_is_not_logged_in,
    an_expired_ticket_is_replaced_with_the_kept_password,
    an_expired_ticket_without_a_password_is_ticket_expired,
    revoked_tickets_are_replaced_transparently_once_for_all_callers,
    a_refused_ticket_renewal_falls_back_to_the_password_or_the_old_ticket,
    an_upload_after_the_ticket_expired_recovers,
    a_running_task_is_visible_before_wait_returns,
    waiting_longer_than_the_timeout_is_task_timeout,
    wait_rides_out_five_failed_polls_but_not_six,
    a_proxy_error_page_is_an_api_error_with_the_reason,
    answers_of_the_wrong_shape_are_decode_errors,
    nested_parameters_are_refused_before_sending,
    an_upload_to_a_block_storage_is_refused,
    a_slow_answer_is_a_timeout_retry_safe_only_for_reads,
);

// No peer: nothing listens on the port.
#[tokio::test]
async fn a_closed_port_is_a_retry_safe_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder(&format!("https://127.0.0.1:{port}"))
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let err = client.login("root@pam", "secret").await.unwrap_err();
    let Error::Transport(t) = err else {
        panic!("expected Error::Transport, got {err:?}")
    };
    assert_eq!(t.kind, TransportErrorKind::Connect);
    assert!(t.retry_safe, "nothing reached the server");
    assert_eq!(t.method, "POST");
    assert_eq!(
        t.url,
        format!("https://127.0.0.1:{port}/api2/json/access/ticket")
    );
}
