//! End to end: the seed library's (proxmoxer-style) walkthrough, ported to PVE 9 through
//! `client.raw(...)`, against a fresh peer per test: every test runs against fakepve
//! (`fakepve::name`) and the embedded fake (`mock::name`).
//!
//! Seed: node `pve1`; VM 100 `web` running, VM 101 `db` stopped, CT 200 `dns` running; storage
//! `local` (dir: iso, vztmpl, backup; empty) and `local-lvm` (lvmthin: images, rootdir).

use proxmoxia::{Client, Error, Session, TaskLogLine, TaskOutcome, Upid, UploadContent};
use proxmoxia_tests::{
    Options, Peer, PeerKind, PeerVersion, Scenario, TEMPLATE, TEMPLATE_VOLID, api_error,
    peer_tests, seed_lines, upload_template,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// `for node in nodes: for vm in node.qemu + node.lxc: print("{vmid}. {name} => {status}")`,
/// sorted.
/// A guest's id in a raw answer: PVE writes a container's as text (`"vmid": "200"`,
/// pve-container's lists and status), a VM's as a number; the embedded fake does the same,
/// fakepve writes numbers for both.
fn vmid_of(guest: &Value) -> u64 {
    let vmid = &guest["vmid"];
    vmid.as_u64()
        .or_else(|| vmid.as_str()?.parse().ok())
        .unwrap_or_else(|| panic!("a vmid: {guest}"))
}

async fn guest_lines(client: &Client) -> Vec<String> {
    let nodes = client.raw("nodes").get(()).await.unwrap();
    let nodes = nodes.as_array().expect("GET nodes answers an array");
    let mut lines = Vec::new();
    for node in nodes {
        let name = node["node"].as_str().expect("every node has a name");
        for kind in ["qemu", "lxc"] {
            let guests = client
                .raw("nodes")
                .segment(name)
                .segment(kind)
                .get(())
                .await
                .unwrap();
            for guest in guests.as_array().expect("a guest list is an array") {
                let vmid = vmid_of(guest);
                let gname = guest["name"].as_str().expect("guest name");
                let status = guest["status"].as_str().expect("guest status");
                lines.push(format!("{vmid}. {gname} => {status}"));
            }
        }
    }
    lines.sort();
    lines
}

#[derive(Debug, Deserialize)]
struct Version {
    version: String,
    release: String,
}

#[derive(Debug, Deserialize)]
struct VmStatus {
    vmid: u32,
    name: String,
    status: String,
    qmpstatus: String,
}

/// The read-only part of the walkthrough; the same for a ticket and an API token.
async fn read_only_walkthrough(client: &Client, expected: PeerVersion) {
    assert_eq!(guest_lines(client).await, seed_lines());

    let version: Version = client.raw("version").get(()).decode().await.unwrap();
    assert_eq!(version.version, expected.version);
    assert_eq!(version.release, expected.release);

    let config = client.raw("cluster/config").get(()).await.unwrap();
    assert_cluster_config_index(&config);

    let rrd = client
        .raw("nodes/pve1/rrd")
        .get(json!({"ds": "cpu", "timeframe": "hour"}))
        .await
        .unwrap();
    assert!(rrd["filename"].is_string(), "rrd answer: {rrd}");

    let status: VmStatus = client
        .raw("nodes/pve1/qemu/100/status/current")
        .get(())
        .decode()
        .await
        .unwrap();
    assert_eq!(status.vmid, 100);
    assert_eq!(status.name, "web");
    assert_eq!(status.status, "running");
    assert_eq!(status.qmpstatus, "running");
}

/// `GET /cluster/config` is a directory index: objects naming the sub-paths, `apiversion` one.
fn assert_cluster_config_index(config: &Value) {
    let entries = config.as_array().expect("cluster/config answers an array");
    assert!(!entries.is_empty(), "cluster/config: {config}");
    for entry in entries {
        let object = entry.as_object().expect("index entries are objects");
        assert!(object["name"].is_string(), "entry without a name: {entry}");
    }
    assert!(
        entries.iter().any(|e| e["name"] == "apiversion"),
        "no apiversion entry: {config}"
    );
}

// ------------------------------------------------------------------------------------- 1

async fn login_lists_every_guest_of_every_node(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.client();
    let info = client.login(pve.user(), pve.password()).await.unwrap();
    assert_eq!(info.user, "root@pam");

    let nodes = client.raw("/nodes/").get(()).await.unwrap();
    let names: Vec<&str> = nodes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pve1"]);
    assert_eq!(nodes[0]["status"], "online");

    assert_eq!(guest_lines(&client).await, seed_lines());
}

// ------------------------------------------------------------------------------------- 2

async fn cluster_config_and_version_answer(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let config = client.raw("cluster/config").get(()).await.unwrap();
    assert_cluster_config_index(&config);

    // Each fake claims its own PVE (fakepve 9.0.10, the mock the schema's 9.2.0).
    let expected = pve.version();
    let version = client.raw("version").get(()).await.unwrap();
    assert_eq!(version["version"], expected.version);
    assert_eq!(version["release"], expected.release);
    assert_eq!(version["repoid"], expected.repoid);
    // The typed form of the same answer.
    let typed: Version = client.raw("version").get(()).decode().await.unwrap();
    assert_eq!(typed.version, expected.version);
    assert!(typed.version.starts_with(&typed.release));
}

// ------------------------------------------------------------------------------------- 3

async fn node_rrd_answers_and_a_bad_timeframe_is_a_400_naming_it(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let rrd = client
        .raw("nodes/pve1/rrd")
        .get(json!({"ds": "cpu", "timeframe": "hour"}))
        .await
        .unwrap();
    // PVE answers the rendered PNG's file name; fakepve a placeholder one.
    assert!(rrd.as_object().is_some(), "rrd: {rrd}");
    assert!(rrd["filename"].is_string(), "rrd: {rrd}");

    let rrddata = client
        .raw("nodes/pve1/rrddata")
        .get(json!({"timeframe": "hour"}))
        .await
        .unwrap();
    let points = rrddata.as_array().expect("rrddata is an array");
    assert!(points.iter().all(Value::is_object), "rrddata: {rrddata}");

    // PVE 8.4 has no `decade`.
    let enumeration = if kind == PeerKind::Mock84 {
        "value 'bogus' does not have a value in the enumeration 'hour, day, week, month, year'"
    } else {
        "value 'bogus' does not have a value in the enumeration 'hour, day, week, month, year, decade'"
    };
    for (path, params) in [
        ("nodes/pve1/rrd", json!({"ds": "cpu", "timeframe": "bogus"})),
        ("nodes/pve1/rrddata", json!({"timeframe": "bogus"})),
    ] {
        let err = client.raw(path).get(params).await.unwrap_err();
        assert_eq!(err.status(), Some(400), "{err}");
        assert_eq!(err.param_error("timeframe"), Some(enumeration));
        let e = api_error(err);
        assert_eq!(e.method, "GET");
        assert_eq!(e.path, path);
        assert_eq!(e.message, "Parameter verification failed.");
        assert_eq!(e.errors.len(), 1, "{:?}", e.errors);
        assert_eq!(
            e.to_string(),
            format!(
                "Parameter verification failed: timeframe: {enumeration} (HTTP 400 on GET {path})"
            )
        );
    }
}

// ------------------------------------------------------------------------------------- 4

async fn vm_status_current_shows_the_running_web_vm(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let status = client
        .raw("nodes/pve1/qemu/100/status/current")
        .get(())
        .await
        .unwrap();
    assert_eq!(status["status"], "running");
    assert_eq!(status["vmid"], 100);
    assert_eq!(status["name"], "web");
    assert_eq!(status["qmpstatus"], "running");
    assert_eq!(status["maxmem"], 2048 * 1024 * 1024_u64);

    // And the stopped one, for contrast, decoded into a struct.
    let db: VmStatus = client
        .raw("nodes")
        .segment("pve1")
        .segment("qemu")
        .segment(101)
        .segment("status")
        .segment("current")
        .get(())
        .decode()
        .await
        .unwrap();
    assert_eq!(db.vmid, 101);
    assert_eq!(db.name, "db");
    assert_eq!(db.status, "stopped");
    assert_eq!(db.qmpstatus, "stopped");
}

// ------------------------------------------------------------------------------------- 5

async fn uploaded_template_is_listed_and_its_volume_can_be_read(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let content = client.raw("nodes/pve1/storage/local/content");
    let before = content.get(json!({"content": "vztmpl"})).await.unwrap();
    assert_eq!(before, json!([]), "local starts empty");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(TEMPLATE);
    // Not a multiple of any buffer size, and every byte value.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024 + 7).collect();
    std::fs::write(&file, &bytes).unwrap();

    let task = client
        .upload("pve1", "local", UploadContent::Vztmpl)
        .from_path(&file)
        .await
        .unwrap();
    let upid = task.upid();
    assert_eq!(upid.task_type(), "imgcopy");
    assert_eq!(upid.node(), "pve1");
    assert_eq!(upid.user(), "root@pam");
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);

    let listed = content.get(json!({"content": "vztmpl"})).await.unwrap();
    let listed = listed.as_array().expect("content list is an array");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["volid"], TEMPLATE_VOLID);
    assert_eq!(listed[0]["content"], "vztmpl");
    assert_eq!(listed[0]["size"], bytes.len());
    // The filter filters: no ISO images on the storage.
    let isos = content.get(json!({"content": "iso"})).await.unwrap();
    assert_eq!(isos, json!([]));

    // One volume: its id holds a `/`, which must stay inside one path segment.
    let volume = content.clone().segment(TEMPLATE_VOLID);
    assert_eq!(
        volume.path(),
        "nodes/pve1/storage/local/content/local:vztmpl%2Fdebian-12-standard_12.7-1_amd64.tar.zst"
    );
    let details = volume.get(()).await.unwrap();
    assert_eq!(
        details["path"],
        "/var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst"
    );
    assert_eq!(details["size"], bytes.len());
}

// ------------------------------------------------------------------------------------- 6

async fn container_is_created_from_the_template_and_started(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    upload_template(&client, b"not really a tarball".to_vec()).await;

    let next = client.raw("cluster/nextid").get(()).await.unwrap();
    // 100, 101 and 200 are taken.
    assert_eq!(next, "102");
    let vmid: u32 = next.as_str().unwrap().parse().unwrap();

    let created = client
        .raw("nodes/pve1/lxc")
        .post(json!({
            "ostemplate": TEMPLATE_VOLID,
            "vmid": vmid,
            "hostname": "ci-web",
            "net0": "name=eth0,bridge=vmbr0,ip=dhcp",
            "storage": "local-lvm",
        }))
        .await
        .unwrap();
    let upid = Upid::try_from(created).unwrap();
    assert_eq!(upid.task_type(), "vzcreate");
    assert_eq!(upid.id(), "102");
    assert_eq!(upid.node(), "pve1");

    let task = client.task(&upid);
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
    let status = task.status().await.unwrap();
    assert_eq!(status.status, "stopped");
    assert_eq!(status.exitstatus.as_deref(), Some("OK"));
    assert!(!status.is_running());
    assert_eq!(status.extra["type"], "vzcreate");

    let log = task.log().await.unwrap();
    assert!(!log.is_empty());
    assert_eq!(log.last().unwrap().t, "TASK OK");
    let numbers: Vec<i64> = log.iter().map(|l| l.n).collect();
    let expected: Vec<i64> = (1..=log.len() as i64).collect();
    assert_eq!(numbers, expected, "lines are numbered from 1");
    let first = task.log().start(0).limit(1).await.unwrap();
    assert_eq!(first, vec![log[0].clone()]);
    assert_eq!(task.log_all().await.unwrap(), log);
    let past_the_end = task.log().start(log.len() as u64).await.unwrap();
    assert_eq!(past_the_end, Vec::<TaskLogLine>::new());

    let ct = client.raw("nodes/pve1/lxc").segment(vmid);
    let current = ct.clone().segment("status").segment("current");
    let before = current.get(()).await.unwrap();
    assert_eq!(before["status"], "stopped");
    assert_eq!(before["name"], "ci-web");
    assert_eq!(vmid_of(&before), 102);

    let config = ct.clone().segment("config").get(()).await.unwrap();
    assert_eq!(config["hostname"], "ci-web");
    assert_eq!(config["rootfs"], "local-lvm:vm-102-disk-0,size=4G");
    assert_eq!(config["ostype"], "debian");
    let net0 = config["net0"].as_str().unwrap();
    assert!(
        net0.starts_with("name=eth0,bridge=vmbr0,hwaddr=") && net0.ends_with(",ip=dhcp,type=veth"),
        "{net0}"
    );

    let started = ct
        .clone()
        .segment("status")
        .segment("start")
        .post(())
        .await
        .unwrap();
    let start = Upid::try_from(started).unwrap();
    assert_eq!(start.task_type(), "vzstart");
    assert_eq!(start.id(), "102");
    assert_eq!(client.task(&start).wait().await.unwrap(), TaskOutcome::Ok);

    let after = current.get(()).await.unwrap();
    assert_eq!(after["status"], "running");
    let mut lines = guest_lines(&client).await;
    lines.retain(|l| l.starts_with("102."));
    assert_eq!(lines, ["102. ci-web => running"]);

    // Clean up as the examples do: a running container is not destroyed...
    let err = ct.delete(json!({"purge": true})).await.unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    let e = api_error(err);
    assert_eq!(e.message, "unable to destroy CT 102 - container is running");
    assert_eq!(e.method, "DELETE");
    // ...so stop it, then destroy it (parameters of a DELETE travel in the query string).
    let stopped = ct
        .clone()
        .segment("status")
        .segment("stop")
        .post(())
        .await
        .unwrap();
    let stop = Upid::try_from(stopped).unwrap();
    assert_eq!(stop.task_type(), "vzstop");
    assert_eq!(client.task(&stop).wait().await.unwrap(), TaskOutcome::Ok);
    let destroyed = ct.delete(json!({"purge": true})).await.unwrap();
    let destroy = Upid::try_from(destroyed).unwrap();
    assert_eq!(destroy.task_type(), "vzdestroy");
    assert_eq!(client.task(&destroy).wait().await.unwrap(), TaskOutcome::Ok);
    let gone = current.get(()).await.unwrap_err();
    let e = api_error(gone);
    assert!(e.is_not_found(), "{e}");
    assert_eq!(guest_lines(&client).await, seed_lines());
}

// ------------------------------------------------------------------------------------- 7

async fn users_are_listed_and_a_missing_one_is_created(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let users = client.raw("access/users").get(()).await.unwrap();
    let ids: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userid"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["root@pam"]);

    assert!(!ids.contains(&"ci@pve"));
    let created = client
        .raw("access/users")
        .post(json!({"userid": "ci@pve", "comment": "CI user, made by the e2e tests"}))
        .await
        .unwrap();
    // PVE answers a user creation with `data: null`.
    assert_eq!(created, Value::Null);

    // A user id that breaks the `pve-userid` format is refused before anything happens.
    let err = client
        .raw("access/users")
        .post(json!({"userid": "ci"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert_eq!(
        err.param_error("userid"),
        Some("invalid format - user name 'ci' is too short")
    );
}

// ------------------------------------------------------------------------------------- 8

async fn the_walkthrough_works_with_an_api_token_and_writes_need_no_csrf(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        Options {
            scenarios: vec![Scenario::ApiToken],
            ..Options::default()
        },
    )
    .await;
    let (id, secret) = pve.token();
    assert_eq!(id, "root@pam!ci");
    let client = pve.builder().api_token(&id, &secret).build().unwrap();
    assert!(client.session().is_none(), "a token client has no ticket");
    let shown = format!("{client:?}");
    assert!(shown.contains("token root@pam!ci"), "{shown}");
    assert!(!shown.contains(&secret), "{shown}");

    read_only_walkthrough(&client, pve.version()).await;

    // A write: the client sends no CSRF token with an API token, and PVE wants none.
    let config = client.raw("nodes/pve1/qemu/101/config");
    let answer = config
        .put(json!({"description": "set with an API token"}))
        .await
        .unwrap();
    assert_eq!(answer, Value::Null);
    let read = config.get(()).await.unwrap();
    assert_eq!(read["description"], "set with an API token");

    // A task started with the token belongs to the token.
    let started = client
        .raw("nodes/pve1/qemu/101/status/start")
        .post(())
        .await
        .unwrap();
    let upid = Upid::try_from(started).unwrap();
    assert_eq!(upid.user(), "root@pam!ci");
    assert_eq!(upid.task_type(), "qmstart");
    assert_eq!(client.task(&upid).wait().await.unwrap(), TaskOutcome::Ok);
    let status = client
        .raw("nodes/pve1/qemu/101/status/current")
        .get(())
        .await
        .unwrap();
    assert_eq!(status["status"], "running");

    // Uploads authenticate with the token too.
    let task = client
        .upload("pve1", "local", UploadContent::Vztmpl)
        .from_bytes(TEMPLATE, b"tarball".to_vec())
        .await
        .unwrap();
    assert_eq!(task.upid().user(), "root@pam!ci");
    assert_eq!(task.upid().task_type(), "imgcopy");
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
    let listed = client
        .raw("nodes/pve1/storage/local/content")
        .get(json!({"content": "vztmpl"}))
        .await
        .unwrap();
    assert_eq!(listed[0]["volid"], TEMPLATE_VOLID);
}

// ------------------------------------------------------------------------------------- 9

async fn an_exported_session_lets_a_fresh_client_work(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let session = client.session().expect("a ticket login has a session");
    let shown = format!("{client:?}");
    assert!(shown.contains("ticket of root@pam"), "{shown}");
    assert!(!shown.contains(session.ticket().expose()), "{shown}");
    assert_eq!(session.user, "root@pam");
    assert!(!session.is_expired());
    let shown = format!("{session:?}");
    assert!(!shown.contains(session.ticket().expose()), "{shown}");
    assert!(!shown.contains(session.csrf_token().expose()), "{shown}");

    let text = serde_json::to_string(&session).unwrap();
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored["user"], "root@pam");
    assert_eq!(stored["ticket"], session.ticket().expose());
    assert_eq!(stored["csrf"], session.csrf_token().expose());
    assert_eq!(stored["issued"], session.issued);

    let restored: Session = serde_json::from_str(&text).unwrap();
    let fresh = pve.client();
    fresh.set_session(restored);
    assert_eq!(guest_lines(&fresh).await, seed_lines());
    // Writes too: the CSRF token travelled with the ticket.
    let answer = fresh
        .raw("nodes/pve1/qemu/101/config")
        .put(json!({"description": "from a cached session"}))
        .await
        .unwrap();
    assert_eq!(answer, Value::Null);
    assert_eq!(fresh.session().unwrap().ticket(), session.ticket());

    // The restored client holds no password: once the ticket is gone it cannot log in again,
    // while the original client can.
    pve.revoke_tickets().await;
    let err = fresh.raw("version").get(()).await.unwrap_err();
    match err {
        Error::Auth(proxmoxia::AuthError::TicketExpired { user, message }) => {
            assert_eq!(user, "root@pam");
            assert_eq!(message, "permission denied - invalid PVE ticket");
        }
        other => panic!("expected TicketExpired, got {other:?}"),
    }
    assert_eq!(
        client.raw("version").get(()).await.unwrap()["version"],
        pve.version().version
    );
}

peer_tests!(
    login_lists_every_guest_of_every_node,
    cluster_config_and_version_answer,
    node_rrd_answers_and_a_bad_timeframe_is_a_400_naming_it,
    vm_status_current_shows_the_running_web_vm,
    uploaded_template_is_listed_and_its_volume_can_be_read,
    container_is_created_from_the_template_and_started,
    users_are_listed_and_a_missing_one_is_created,
    the_walkthrough_works_with_an_api_token_and_writes_need_no_csrf,
    an_exported_session_lets_a_fresh_client_work,
);
