//! The seed library's walkthrough with the BLOCKING client (`proxmoxia::blocking`), on both
//! peers: log in (password, then an API token), list nodes and guests, upload a template
//! (with progress), create a container from it, wait for its task, read the task log, start
//! it, follow a task as an iterator, raw calls. The test functions are plain `#[test]`s: a
//! tokio runtime of the test hosts the peer, the blocking client runs on the test's own
//! thread outside it. And the client refuses, without panicking, to block inside an async
//! runtime.

use std::sync::{Arc, Mutex};

use proxmoxia::api::formats::{LxcNet, LxcRootfs};
use proxmoxia::api::nodes::node::lxc;
use proxmoxia::blocking::Client;
use proxmoxia::{Error, TaskEvent, TaskOutcome, TransferProgress, UploadContent};
use proxmoxia_tests::{Options, Peer, PeerKind, Scenario, TEMPLATE, TEMPLATE_VOLID, seed_lines};

/// Runs `test` against a fresh peer of each kind. The peer lives on a multi-thread runtime
/// that keeps serving while the test's thread blocks in the client.
macro_rules! blocking_peer_tests {
    ($($name:ident),* $(,)?) => {
        mod fakepve {
            $(
                #[test]
                fn $name() {
                    if proxmoxia_tests::skip_without_fakepve(stringify!($name)) {
                        return;
                    }
                    super::$name(proxmoxia_tests::PeerKind::FakePve)
                }
            )*
        }
        mod mock {
            $( #[test] fn $name() { super::$name(proxmoxia_tests::PeerKind::Mock) } )*
        }
        mod mock_84 {
            $( #[test] fn $name() { super::$name(proxmoxia_tests::PeerKind::Mock84) } )*
        }
    };
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A blocking client trusting the peer, not logged in.
fn client(pve: &Peer) -> Client {
    Client::new(pve.client()).unwrap()
}

/// `{vmid}. {name} => {status}` of every guest, sorted, through blocking typed calls.
fn guest_lines(client: &Client) -> Vec<String> {
    let mut lines = Vec::new();
    for node in client.call(client.get_nodes()).unwrap() {
        let handle = client.nodes(&node.node);
        for vm in client.call(handle.get_qemu()).unwrap() {
            let name = vm.name.as_deref().unwrap_or_default();
            lines.push(format!("{}. {name} => {}", vm.vmid, vm.status));
        }
        for ct in client.call(handle.get_lxc()).unwrap() {
            let name = ct.name.as_deref().unwrap_or_default();
            lines.push(format!("{}. {name} => {}", ct.vmid, ct.status));
        }
    }
    lines.sort();
    lines
}

// ------------------------------------------------------------------------------------- 1

fn the_seed_walkthrough_runs_with_the_blocking_client(kind: PeerKind) {
    let rt = runtime();
    let pve = rt.block_on(Peer::start(kind));
    let client = client(&pve);

    let info = client.login(pve.user(), pve.password()).unwrap();
    assert_eq!(info.user, "root@pam");
    let version = client.call(client.version().get()).unwrap();
    assert_eq!(version.version, pve.version().version);
    let nodes = client.call(client.get_nodes()).unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["pve1"]);
    assert_eq!(guest_lines(&client), seed_lines());

    // Upload a template, with progress: 0, then every 64 KiB chunk, to the whole.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(200 * 1024 + 9).collect();
    let reports: Arc<Mutex<Vec<TransferProgress>>> = Arc::default();
    let seen = reports.clone();
    let task = client
        .upload("pve1", "local", UploadContent::Vztmpl)
        .progress(move |p| seen.lock().unwrap().push(p))
        .from_bytes(TEMPLATE, bytes.clone())
        .unwrap();
    let done: Vec<u64> = reports.lock().unwrap().iter().map(|p| p.done).collect();
    assert_eq!(done, [0, 65536, 131072, 196608, 204809]);
    assert!(
        reports
            .lock()
            .unwrap()
            .iter()
            .all(|p| p.total == Some(204809))
    );
    assert_eq!(task.wait().unwrap(), TaskOutcome::Ok);

    // Create a container from it, wait, read the log, start it.
    let node = client.nodes("pve1");
    let vmid = client.call(client.cluster().nextid().get()).unwrap();
    assert_eq!(vmid, 102);
    let task = client
        .call_task(
            node.post_lxc(lxc::post::Required {
                ostemplate: TEMPLATE_VOLID.into(),
                vmid,
            })
            .hostname("blocking")
            .rootfs(LxcRootfs::new().volume("local-lvm:8"))
            .nets(0, LxcNet::new().name("eth0").bridge("vmbr0").ip("dhcp")),
        )
        .unwrap();
    assert_eq!(task.upid().task_type(), "vzcreate");
    assert_eq!(task.wait().unwrap(), TaskOutcome::Ok);
    let log = task.log_all().unwrap();
    assert_eq!(log.last().map(|l| l.t.as_str()), Some("TASK OK"));
    assert_eq!(task.log(0, 1).unwrap(), log[..1]);

    let start = client
        .call_task(node.lxc(vmid).status().start().post())
        .unwrap();
    // Followed as an iterator: the log's lines in order, then the exit, then the end.
    let events: Vec<TaskEvent> = start.follow().map(Result::unwrap).collect();
    let Some(TaskEvent::Exit(exit)) = events.last() else {
        panic!("the last event is the exit: {events:?}");
    };
    assert_eq!(exit.outcome().unwrap(), TaskOutcome::Ok);
    let lines: Vec<_> = events[..events.len() - 1]
        .iter()
        .map(|e| match e {
            TaskEvent::Line(line) => line.clone(),
            other => panic!("a line before the exit, got {other:?}"),
        })
        .collect();
    assert_eq!(lines, start.log_all().unwrap());
    let status = client
        .call(node.lxc(vmid).status().current().get())
        .unwrap();
    assert_eq!(status.status.as_str(), "running");

    // Raw calls and the version, blocking.
    let raw = client.call(client.raw("version").get(())).unwrap();
    assert_eq!(raw["version"], pve.version().version);
    let mut lines = guest_lines(&client);
    lines.retain(|l| l.starts_with("102."));
    assert_eq!(lines, ["102. blocking => running"]);
    drop(client);
    drop(pve);
}

// ------------------------------------------------------------------------------------- 2

fn an_api_token_client_reads_the_seed(kind: PeerKind) {
    let rt = runtime();
    let pve = rt.block_on(Peer::start_with(
        kind,
        Options {
            scenarios: vec![Scenario::ApiToken],
            ..Options::default()
        },
    ));
    let (id, secret) = pve.token();
    let builder = Client::builder(pve.url()).api_token(id, secret);
    let builder = match &pve.cert().ca_pem {
        Some(ca) => builder.add_ca_pem(ca.as_bytes()),
        None => builder.fingerprint(&pve.cert().fingerprint.to_string()),
    };
    let builder = match kind {
        PeerKind::FakePve => builder.pve_version("9.2"),
        _ => builder,
    };
    let client = builder.build().unwrap();
    assert!(client.session().is_none());
    assert_eq!(guest_lines(&client), seed_lines());
    // A wrong password is PVE's refusal, as an error, not a panic.
    let err = client.login("root@pam", "wrong").unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
}

blocking_peer_tests!(
    the_seed_walkthrough_runs_with_the_blocking_client,
    an_api_token_client_reads_the_seed,
);

// ------------------------------------------------------------------------------------- 3

/// Inside an async runtime (either flavour) every blocking call is refused with
/// `Error::Blocking`, nothing panics, and the client drops there cleanly.
async fn refused_inside(pve: &proxmoxia::mock::MockPve) {
    let client = Client::new(pve.client().unwrap()).unwrap();
    let expected = "blocking client: called inside an async runtime, where blocking would stall it: use the async proxmoxia::Client there, or call from a thread of your own (std::thread::spawn) (nothing reached PVE: safe to retry)";
    let err = client.login(pve.user(), pve.password()).unwrap_err();
    assert!(matches!(err, Error::Blocking(_)), "{err:?}");
    assert_eq!(err.to_string(), expected);
    let err = client.call(client.get_nodes()).unwrap_err();
    assert_eq!(err.to_string(), expected);
    let mut sink = Vec::new();
    let err = client
        .download("nodes/pve1/storage/local/file-restore/download")
        .to_writer(&mut sink)
        .unwrap_err();
    assert_eq!(err.to_string(), expected);
    assert!(pve.requests().is_empty(), "nothing was sent");
    drop(client);
}

#[tokio::test(flavor = "current_thread")]
async fn inside_a_current_thread_runtime_calls_are_refused_without_a_panic() {
    let pve = proxmoxia::mock::MockPve::start().await.unwrap();
    refused_inside(&pve).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn inside_a_multi_thread_runtime_calls_are_refused_without_a_panic() {
    let pve = proxmoxia::mock::MockPve::start().await.unwrap();
    refused_inside(&pve).await;
    // From a thread of its own, the same client works while the runtime serves the fake.
    let client = Client::new(pve.client().unwrap()).unwrap();
    let (user, password) = (pve.user().to_owned(), pve.password().to_owned());
    let lines = std::thread::spawn(move || {
        client.login(&user, &password).unwrap();
        guest_lines(&client)
    });
    let lines = tokio::task::spawn_blocking(move || lines.join().unwrap())
        .await
        .unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
}
