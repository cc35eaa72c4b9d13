//! The embedded fake PVE (`proxmoxia::mock::MockPve`) through the client: starting and
//! dropping it, TLS, PVE's error forms (501, 400 with `errors`, 500
//! "does not exist", hostname lookup, 595), and the state it keeps for guests, storage,
//! tasks, users, groups, tokens and the cluster.
//!
//! Each test starts its own fake. The default seed (see `MockPve::start`): node `pve1`; VM 100
//! `web` running (net0, scsi0 `local-lvm:vm-100-disk-0,size=32G`, ostype `l26`, 2048 MiB,
//! 2 cores), VM 101 `db` stopped (net0, 4096 MiB, 2 cores), CT 200 `dns` running; storages
//! `local` (dir: iso, vztmpl, backup, snippets, import; holding `MockPve::SEED_TEMPLATE`) and
//! `local-lvm` (lvmthin: images, rootdir, holding VM 100's and CT 200's disks); user
//! `root@pam` / `secret`.

use std::time::{Duration, Instant};

use proxmoxia::api::formats::{LxcRootfs, QemuMemory, QemuNet, QemuScsi};
use proxmoxia::api::nodes::node::lxc;
use proxmoxia::api::nodes::node::storage::storage::content;
use proxmoxia::mock::{GuestSpec, MockPve, SEED_TEMPLATE};
use proxmoxia::{
    ApiError, AuthError, Client, Error, TaskEvent, TaskHandle, TaskOutcome, TransportErrorKind,
    UploadContent,
};
use proxmoxia_tests::{api_err, assert_api, fake_with_root};
use serde_json::json;

// ------------------------------------------------------------------------------------------
// Helpers.

/// Waits for a task (polling every 20 ms) and asserts it ended `OK`.
async fn wait_ok(task: &TaskHandle) {
    let task = task.clone().poll_interval(Duration::from_millis(20));
    assert_eq!(
        task.wait().await.expect("task ends OK"),
        TaskOutcome::Ok,
        "{}",
        task.upid()
    );
}

/// Waits for a task that must fail, and returns its exit status.
async fn wait_failed(task: TaskHandle) -> String {
    let task = task.poll_interval(Duration::from_millis(20));
    match task.wait().await {
        Err(Error::Task(failed)) => {
            assert_eq!(&failed.upid, task.upid());
            failed.exitstatus
        }
        other => panic!("expected a failed task, got {other:?}"),
    }
}

/// `(key, value)` pairs as a config map.
fn config_map(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ------------------------------------------------------------------------------------------
// Start, drop, TLS.

#[tokio::test]
async fn the_fake_listens_on_loopback_and_a_client_to_a_dropped_one_cannot_connect() {
    let pve = MockPve::start().await.unwrap();
    let url = pve.url().to_owned();
    let port: u16 = url
        .strip_prefix("https://127.0.0.1:")
        .expect("https on 127.0.0.1")
        .parse()
        .expect("a port");
    assert_ne!(port, 0);
    assert_eq!(pve.user(), "root@pam");
    assert_eq!(pve.password(), "secret");
    // Built while the fake runs, but never connected.
    let later = pve.client().unwrap();
    assert_eq!(later.base_url(), format!("{url}/api2/json"));
    let client = pve.login().await.unwrap();
    assert_eq!(client.version().get().await.unwrap().version, "9.2.0");

    drop(pve);
    match later.login("root@pam", "secret").await {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind, TransportErrorKind::Connect, "{t}");
            assert_eq!(t.method, "POST");
            assert_eq!(t.url, format!("{url}/api2/json/access/ticket"));
            assert!(t.retry_safe, "nothing reached the server");
        }
        other => panic!("expected a connect error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_client_connected_before_the_drop_cannot_use_the_fake_after_it() {
    let pve = MockPve::start().await.unwrap();
    let url = pve.url().to_owned();
    let client = pve.login().await.unwrap();
    drop(pve);
    // Not over the keep-alive connection the login opened either.
    match client.version().get().await {
        Err(Error::Transport(t)) => assert_eq!(t.url, format!("{url}/api2/json/version")),
        other => panic!("a dropped fake answered: {other:?}"),
    }
}

#[tokio::test]
async fn clients_trust_the_fake_by_its_ca_or_its_fingerprint_and_no_other_way() {
    let pve = MockPve::start().await.unwrap();
    assert!(
        pve.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"),
        "{}",
        pve.ca_pem()
    );

    // The fake's CA, as `client_builder` sets it up.
    let by_ca = pve.client_builder().build().unwrap();
    by_ca.login("root@pam", "secret").await.unwrap();
    assert_eq!(by_ca.version().get().await.unwrap().release, "9.2");

    // The certificate's fingerprint, pinned.
    let fingerprint = pve.fingerprint().to_string();
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{fingerprint}");
    let by_fingerprint = Client::builder(pve.url())
        .fingerprint(&fingerprint)
        .build()
        .unwrap();
    let info = by_fingerprint.login("root@pam", "secret").await.unwrap();
    assert_eq!(info.user, "root@pam");
    assert_eq!(info.cluster_name.as_deref(), Some("mockcluster"));

    // The system's roots only: the fake's CA is not among them.
    let untrusting = Client::builder(pve.url()).build().unwrap();
    match untrusting.login("root@pam", "secret").await {
        Err(Error::Tls { url, .. }) => {
            assert_eq!(url, format!("{}/api2/json/access/ticket", pve.url()))
        }
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    // Another fake's fingerprint: the error names the one found.
    let other = MockPve::start().await.unwrap();
    let wrong = Client::builder(pve.url())
        .fingerprint(&other.fingerprint().to_string())
        .build()
        .unwrap();
    match wrong.login("root@pam", "secret").await {
        Err(Error::Tls { message, .. }) => assert!(
            message.contains(&format!(
                "server certificate fingerprint {fingerprint} does not match {}",
                other.fingerprint()
            )),
            "{message}"
        ),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    // Nothing of the refused handshakes reached the API.
    assert_eq!(
        pve.requests(),
        [
            ("POST".to_owned(), "/access/ticket".to_owned()),
            ("GET".to_owned(), "/version".to_owned()),
            ("POST".to_owned(), "/access/ticket".to_owned()),
        ]
    );
}

// ------------------------------------------------------------------------------------------
// Paths. (That every GET of the schema answers and decodes is `typed_sweep::mock::*`.)

#[tokio::test]
async fn a_path_parameter_the_schema_does_not_list_is_not_an_unknown_parameter() {
    let (_pve, client) = fake_with_root().await;
    let entry = client
        .raw("cluster/sdn/prefix-lists/sweep/entries/0")
        .get(())
        .await;
    // `url_seq` is a segment of the path, which the schema leaves out of the GET's
    // parameters: the fake must not refuse it as a parameter the schema does not define.
    assert!(entry.is_ok(), "{entry:?}");
}

// ------------------------------------------------------------------------------------------
// PVE's error forms.

#[tokio::test]
async fn unknown_paths_and_methods_get_pves_501() {
    let (pve, client) = fake_with_root().await;
    let cases = [
        (
            client.raw("nodes/pve1/nonexistent").get(()),
            "GET /nodes/pve1/nonexistent",
        ),
        (client.raw("version").put(()), "PUT /version"),
        (
            client.raw("cluster/nextid").delete(()),
            "DELETE /cluster/nextid",
        ),
        (
            client.raw("nodes/pve1/qemu/100/status/hibernate").post(()),
            "POST /nodes/pve1/qemu/100/status/hibernate",
        ),
    ];
    for (request, what) in cases {
        let e = api_err(request.await);
        let message = format!("Method '{what}' not implemented");
        assert_eq!((e.status, e.message.as_str()), (501, message.as_str()));
        // PVE puts the message in the status line too.
        assert_eq!(e.reason, message);
        assert_eq!(
            e.body,
            json!({"data": null, "message": format!("{message}\n")}).to_string()
        );
    }
    assert!(pve.tasks().is_empty());
}

#[tokio::test]
async fn bad_parameters_get_a_400_naming_each_and_change_nothing() {
    let (pve, client) = fake_with_root().await;
    let volumes = pve.volumes("local-lvm");
    let e = api_err(
        client
            .raw("nodes/pve1/qemu")
            .post(json!({
                "vmid": 150,
                "ostype": "dos",                      // not in the enumeration
                "cores": 0,                           // below the minimum
                "foo": 1,                             // not a parameter
                "net0": "virtio,foo=1",               // not a key of the property string
                "name": "ci_vm",                      // breaks the dns-name format
                "scsi0": "local-lvm:32",              // fine, but must not be allocated
            }))
            .await,
    );
    assert_eq!(e.status, 400);
    assert_eq!(e.message, "Parameter verification failed.");
    assert_eq!(e.reason, "Parameter verification failed.");
    let names: Vec<&str> = e.errors.keys().map(String::as_str).collect();
    assert_eq!(names, ["cores", "foo", "name", "net0", "ostype"]);
    assert_eq!(e.errors["cores"], "value must have a minimum value of 1");
    assert_eq!(
        e.errors["foo"],
        "property is not defined in schema and the schema does not allow additional properties"
    );
    assert_eq!(
        e.errors["name"],
        "invalid format - value does not look like a valid DNS name"
    );
    assert_eq!(
        e.errors["ostype"],
        "value 'dos' does not have a value in the enumeration 'other, wxp, w2k, w2k3, w2k8, \
         wvista, win7, win8, win10, win11, l24, l26, solaris'"
    );
    assert_eq!(
        e.errors["net0"],
        "invalid format - invalid key in comma-separated list property: foo"
    );

    // A key with a bad value inside a property string, and a missing required parameter.
    let e = api_err(
        client
            .raw("nodes/pve1/qemu/101/config")
            .put(json!({"net0": "virtio,bridge=vmbr0,tag=5000", "cores": "abc"}))
            .await,
    );
    assert_eq!(e.status, 400);
    assert_eq!(
        e.errors,
        [
            (
                "cores".to_owned(),
                "type check ('integer') failed - got 'abc'".to_owned()
            ),
            (
                "net0".to_owned(),
                "invalid format - format error\nnet0.tag: value must have a maximum value of 4094"
                    .to_owned()
            ),
        ]
        .into()
    );
    let e = api_err(
        client
            .raw("nodes/pve1/qemu")
            .post(json!({"name": "x"}))
            .await,
    );
    assert_eq!(
        e.errors,
        [(
            "vmid".to_owned(),
            "property is missing and it is not optional".to_owned()
        )]
        .into()
    );
    // A typed call with a parameter the schema does not know (sent with `extra_param`).
    let e = api_err(
        client
            .nodes("pve1")
            .qemu(101)
            .config()
            .put()
            .cores(8)
            .extra_param("bogus", 1)
            .await,
    );
    assert_eq!(e.status, 400);
    assert_eq!(
        e.errors.keys().collect::<Vec<_>>(),
        ["bogus"],
        "only the unknown parameter is named"
    );

    // Nothing changed: no VM 150, no task, no volume, VM 101 as it was.
    assert_eq!(pve.guest(150), None);
    assert!(pve.tasks().is_empty(), "{:?}", pve.tasks());
    assert_eq!(pve.volumes("local-lvm"), volumes);
    let db = pve.guest(101).unwrap();
    assert_eq!(db.config["cores"], "2");
    assert_eq!(db.config["net0"], "virtio=BC:24:11:00:00:02,bridge=vmbr0");
    assert!(db.pending.is_empty());
}

#[tokio::test]
async fn an_unknown_property_string_key_has_pves_wording() {
    let (_pve, client) = fake_with_root().await;
    let e = api_err(
        client
            .raw("nodes/pve1/qemu/101/config")
            .put(json!({"net0": "virtio,foo=1"}))
            .await,
    );
    assert_eq!(
        e.errors["net0"],
        "invalid format - invalid key in comma-separated list property: foo"
    );
}

#[tokio::test]
async fn every_bad_member_of_an_indexed_family_is_named() {
    let (_pve, client) = fake_with_root().await;
    let e = api_err(
        client
            .raw("nodes/pve1/qemu/101/config")
            .put(json!({
                "net0": "virtio,tag=5000",
                "net1": "virtio,tag=0",
                "net99": "virtio",
            }))
            .await,
    );
    assert_eq!(
        e.errors,
        [
            (
                "net0".to_owned(),
                "invalid format - format error\nnet0.tag: value must have a maximum value of 4094"
                    .to_owned()
            ),
            (
                "net1".to_owned(),
                "invalid format - format error\nnet1.tag: value must have a minimum value of 1"
                    .to_owned()
            ),
            (
                "net99".to_owned(),
                "property is not defined in schema and the schema does not allow additional \
                 properties"
                    .to_owned()
            ),
        ]
        .into()
    );
}

#[tokio::test]
async fn missing_objects_get_pves_500_does_not_exist_forms() {
    let (pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    let cases: Vec<(ApiError, &str)> = vec![
        (
            *api_err(node.qemu(999).config().get().await),
            "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist",
        ),
        (
            // 200 is a container, not a VM.
            *api_err(node.qemu(200).status().current().get().await),
            "Configuration file 'nodes/pve1/qemu-server/200.conf' does not exist",
        ),
        (
            *api_err(node.lxc(999).status().start().post().await),
            "Configuration file 'nodes/pve1/lxc/999.conf' does not exist",
        ),
        (
            *api_err(node.storage("nope").status().get().await),
            "storage 'nope' does not exist",
        ),
        (
            *api_err(node.storage("nope").get_content().await),
            "storage 'nope' does not exist",
        ),
        (
            *api_err(client.access().users("nobody@pve").get().await),
            "no such user ('nobody@pve')",
        ),
        (
            *api_err(
                node.storage("local")
                    .content("local:iso/missing.iso")
                    .get()
                    .await,
            ),
            "volume 'local:iso/missing.iso' does not exist",
        ),
        (
            *api_err(client.access().groups("nogroup").get().await),
            "group 'nogroup' does not exist",
        ),
        (
            *api_err(
                client
                    .access()
                    .users("root@pam")
                    .token("missing")
                    .get()
                    .await,
            ),
            "no such token 'missing' for user 'root@pam'",
        ),
    ];
    for (e, message) in cases {
        assert_eq!((e.status, e.message.as_str()), (500, message), "{e:?}");
        assert!(e.is_not_found(), "{e}");
    }
    assert!(pve.tasks().is_empty());
}

#[tokio::test]
async fn an_unknown_node_is_pves_hostname_lookup_error_and_an_offline_node_595() {
    let (pve, client) = fake_with_root().await;
    let e = api_err(client.nodes("pve9").get_qemu().await);
    assert_eq!(e.status, 500);
    assert_eq!(
        e.message,
        "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service \
         not known"
    );

    pve.add_node("pve2");
    pve.set_node_online("pve2", false);
    let e = api_err(client.nodes("pve2").get_qemu().await);
    assert_eq!((e.status, e.message.as_str()), (595, "No route to host"));
    assert_eq!(e.reason, "No route to host");
    // Other nodes, and the cluster's own paths, still answer.
    assert_eq!(client.nodes("pve1").get_qemu().await.unwrap().len(), 2);
    let nodes = client.get_nodes().await.unwrap();
    let status: Vec<(&str, &str)> = nodes
        .iter()
        .map(|n| (n.node.as_str(), n.status.as_str()))
        .collect();
    assert_eq!(status, [("pve1", "online"), ("pve2", "offline")]);
    pve.set_node_online("pve2", true);
    assert!(client.nodes("pve2").get_qemu().await.unwrap().is_empty());
}

// ------------------------------------------------------------------------------------------
// Guests.

#[tokio::test]
async fn guests_are_listed_with_typed_fields() {
    let (_pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    let vms = node.get_qemu().await.unwrap();
    type Row<'a> = (i64, Option<&'a str>, &'a str, Option<i64>, Option<f64>);
    let rows: Vec<Row> = vms
        .iter()
        .map(|vm| {
            (
                vm.vmid,
                vm.name.as_deref(),
                vm.status.as_str(),
                vm.maxmem,
                vm.cpus,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (100, Some("web"), "running", Some(2048 << 20), Some(2.0)),
            (101, Some("db"), "stopped", Some(4096 << 20), Some(2.0)),
        ]
    );
    assert_eq!(vms[1].uptime, Some(0));
    let cts = node.get_lxc().await.unwrap();
    let rows: Vec<(i64, Option<&str>, &str, Option<i64>)> = cts
        .iter()
        .map(|ct| (ct.vmid, ct.name.as_deref(), ct.status.as_str(), ct.maxmem))
        .collect();
    assert_eq!(rows, [(200, Some("dns"), "running", Some(512 << 20))]);

    let web = node.qemu(100).status().current().get().await.unwrap();
    assert_eq!(web.status.as_str(), "running");
    assert_eq!(web.qmpstatus.as_deref(), Some("running"));
    assert_eq!(web.pid, Some(10100));
    let db = node.qemu(101).status().current().get().await.unwrap();
    assert_eq!(
        (db.status.as_str(), db.qmpstatus.as_deref(), db.pid),
        ("stopped", Some("stopped"), None)
    );
}

#[tokio::test]
async fn a_vm_created_with_typed_parameters_reads_back_equal() {
    let (pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    let net0 = QemuNet::virtio().bridge("vmbr0").firewall(true);
    let memory = QemuMemory::new().current(1024);
    let task = node
        .post_qemu(150)
        .name("ci-vm")
        .nets(0, net0.clone())
        .scsis(0, "local-lvm:32,ssd=1".parse().unwrap())
        .memory(memory.clone())
        .cores(2)
        .task()
        .await
        .unwrap();
    let upid = task.upid().clone();
    assert_eq!(
        (upid.node(), upid.task_type(), upid.id(), upid.user()),
        ("pve1", "qmcreate", "150", "root@pam")
    );
    wait_ok(&task).await;

    let cfg = node.qemu(150).config().get().await.unwrap();
    assert_eq!(cfg.name.as_deref(), Some("ci-vm"));
    assert_eq!(cfg.cores, Some(2));
    assert_eq!(cfg.memory, Some(memory));
    assert_eq!(cfg.nets.len(), 1);
    // PVE gives a new NIC a MAC address from its OUI.
    let mac = cfg.nets[&0].macaddr.clone().expect("a MAC address");
    assert!(mac.starts_with("BC:24:11:"), "{mac}");
    assert_eq!(cfg.nets[&0], net0.clone().macaddr(mac.clone()));
    assert_eq!(cfg.scsis.len(), 1);
    // `local-lvm:32` allocated the VM's first disk, its size added, its options kept.
    assert_eq!(
        cfg.scsis[&0],
        QemuScsi::new()
            .file("local-lvm:vm-150-disk-0")
            .ssd(true)
            .size("32G")
    );
    assert_eq!(cfg.digest.len(), 40);
    let mut stored = pve.guest(150).unwrap();
    assert!(!stored.running);
    // What qemu-server adds to a new VM: creation metadata, an SMBIOS UUID, a generation id.
    let meta = stored.config.remove("meta").expect("meta");
    assert!(meta.starts_with("creation-qemu="), "{meta}");
    assert!(meta.contains(",ctime="), "{meta}");
    let smbios1 = stored.config.remove("smbios1").expect("smbios1");
    assert_eq!(smbios1.len(), "uuid=".len() + 36, "{smbios1}");
    let vmgenid = stored.config.remove("vmgenid").expect("vmgenid");
    assert_eq!(vmgenid.len(), 36, "{vmgenid}");
    assert_eq!(
        stored.config,
        config_map(&[
            ("boot", "order=scsi0;net0"),
            ("cores", "2"),
            ("memory", "1024"),
            ("name", "ci-vm"),
            ("net0", &format!("virtio={mac},bridge=vmbr0,firewall=1")),
            ("scsi0", "local-lvm:vm-150-disk-0,ssd=1,size=32G"),
        ])
    );
    // Beside the seeded guests' disks.
    assert_eq!(
        pve.volumes("local-lvm"),
        [
            "local-lvm:vm-100-disk-0",
            "local-lvm:vm-150-disk-0",
            "local-lvm:vm-200-disk-0"
        ]
    );
    let content = node
        .storage("local-lvm")
        .get_content()
        .vmid(150)
        .await
        .unwrap();
    let listed: Vec<(&str, Option<i64>, Option<i64>, &str)> = content
        .iter()
        .map(|v| (v.volid.as_str(), v.size, v.vmid, v.format.as_str()))
        .collect();
    assert_eq!(
        listed,
        [("local-lvm:vm-150-disk-0", Some(32 << 30), Some(150), "raw")]
    );
    let vmids: Vec<i64> = node
        .get_qemu()
        .await
        .unwrap()
        .iter()
        .map(|v| v.vmid)
        .collect();
    assert_eq!(vmids, [100, 101, 150]);
}

#[tokio::test]
async fn creating_a_vm_with_a_taken_id_has_pves_wording() {
    let (_pve, client) = fake_with_root().await;
    assert_api(
        client.nodes("pve1").post_qemu(200).send().await,
        500,
        "unable to create VM 200 - CT 200 already exists on node 'pve1'",
    );
    // pve-container checks the id before its `unable to create CT <vmid> -` step.
    assert_api(
        client
            .nodes("pve1")
            .post_lxc(lxc::post::Required {
                ostemplate: SEED_TEMPLATE.into(),
                vmid: 100,
            })
            .send()
            .await,
        500,
        "VM 100 already exists on node 'pve1'",
    );
}

#[tokio::test]
async fn a_second_create_of_the_same_id_is_refused_while_the_first_runs() {
    let (pve, client) = fake_with_root().await;
    pve.set_task_duration(Duration::from_millis(300));
    let node = client.nodes("pve1");
    let first = node
        .post_qemu(160)
        .scsis(0, "local-lvm:4".parse().unwrap())
        .task()
        .await
        .unwrap();
    let second = node
        .post_qemu(160)
        .scsis(0, "local-lvm:8".parse().unwrap())
        .send()
        .await;
    wait_ok(&first).await;
    assert_api(
        second,
        500,
        "unable to create VM 160 - VM 160 already exists on node 'pve1'",
    );
    // Beside the seeded guests' disks.
    assert_eq!(
        pve.volumes("local-lvm"),
        [
            "local-lvm:vm-100-disk-0",
            "local-lvm:vm-160-disk-0",
            "local-lvm:vm-200-disk-0"
        ]
    );
}

#[tokio::test]
async fn a_config_change_of_a_stopped_vm_applies_at_once() {
    let (pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(101);
    let () = vm
        .config()
        .put()
        .cores(4)
        .description("the database")
        .memory(QemuMemory::new().current(8192))
        .await
        .unwrap();
    let stored = pve.guest(101).unwrap();
    assert_eq!(
        stored.config,
        config_map(&[
            ("cores", "4"),
            ("description", "the database"),
            ("memory", "8192"),
            ("name", "db"),
            ("net0", "virtio=BC:24:11:00:00:02,bridge=vmbr0"),
        ])
    );
    assert!(stored.pending.is_empty());
    let cfg = vm.config().get().await.unwrap();
    assert_eq!(cfg.cores, Some(4));
    assert_eq!(cfg.description.as_deref(), Some("the database"));
    let pending = vm.pending().get().await.unwrap();
    assert!(
        pending
            .iter()
            .all(|p| p.pending.is_none() && p.delete.is_none())
    );
    let keys: Vec<&str> = pending.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["cores", "description", "memory", "name", "net0"]);
    assert_eq!(
        node_maxmem(&client, 101).await,
        Some(8192 << 20),
        "the listing follows"
    );
}

async fn node_maxmem(client: &Client, vmid: i64) -> Option<i64> {
    client
        .nodes("pve1")
        .get_qemu()
        .await
        .unwrap()
        .into_iter()
        .find(|vm| vm.vmid == vmid)
        .and_then(|vm| vm.maxmem)
}

#[tokio::test]
async fn a_config_change_of_a_running_vm_waits_in_pending_until_a_reboot() {
    let (pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(100);
    vm.config().put().cores(4).name("web2").await.unwrap();

    // `name` is applied at once; `cores` waits for the next start.
    let stored = pve.guest(100).unwrap();
    assert_eq!(stored.config["name"], "web2");
    assert_eq!(stored.config["cores"], "2");
    assert_eq!(
        stored.pending,
        [("cores".to_owned(), Some("4".to_owned()))].into()
    );
    let pending = vm.pending().get().await.unwrap();
    let rows: Vec<(&str, Option<&str>, Option<&str>)> = pending
        .iter()
        .filter(|p| p.key == "cores" || p.key == "name")
        .map(|p| (p.key.as_str(), p.value.as_deref(), p.pending.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("cores", Some("2"), Some("4")),
            ("name", Some("web2"), None)
        ]
    );
    // Without `current`, PVE shows the config with pending values applied.
    let shown = vm.config().get().await.unwrap();
    assert_eq!(
        (shown.cores, shown.name.as_deref()),
        (Some(4), Some("web2"))
    );
    let current = vm.config().get().current(true).await.unwrap();
    assert_eq!(
        (current.cores, current.name.as_deref()),
        (Some(2), Some("web2"))
    );
    // The digest is the current config's.
    assert_eq!(shown.digest, current.digest);

    let reboot = vm.status().reboot().post().task().await.unwrap();
    assert_eq!(reboot.upid().task_type(), "qmreboot");
    wait_ok(&reboot).await;
    let stored = pve.guest(100).unwrap();
    assert!(stored.running);
    assert_eq!(stored.config["cores"], "4");
    assert!(stored.pending.is_empty());
    let pending = vm.pending().get().await.unwrap();
    assert!(pending.iter().all(|p| p.pending.is_none()), "{pending:?}");
}

#[tokio::test]
async fn a_pending_change_survives_a_stop_and_applies_on_start() {
    let (pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(100);
    vm.config()
        .put()
        .memory(QemuMemory::new().current(4096))
        .await
        .unwrap();
    wait_ok(&vm.status().stop().post().task().await.unwrap()).await;
    let stored = pve.guest(100).unwrap();
    assert!(!stored.running);
    assert_eq!(stored.config["memory"], "2048");
    assert_eq!(
        stored.pending,
        [("memory".to_owned(), Some("4096".to_owned()))].into()
    );
    wait_ok(&vm.status().start().post().task().await.unwrap()).await;
    let stored = pve.guest(100).unwrap();
    assert!(stored.running);
    assert_eq!(stored.config["memory"], "4096");
    assert!(stored.pending.is_empty());
    assert_eq!(node_maxmem(&client, 100).await, Some(4096 << 20));
}

#[tokio::test]
async fn the_delete_list_removes_keys_at_once_or_on_the_next_start() {
    let (pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    // Stopped VM: gone at once.
    node.qemu(101)
        .config()
        .put()
        .delete(["net0", "memory"])
        .await
        .unwrap();
    let db = pve.guest(101).unwrap();
    assert_eq!(db.config, config_map(&[("cores", "2"), ("name", "db")]));
    let cfg = node.qemu(101).config().get().await.unwrap();
    assert!(cfg.nets.is_empty() && cfg.memory.is_none(), "{cfg:?}");

    // Running VM: `ostype` is deleted at the next start, `description` (hot-pluggable) at once.
    node.qemu(100)
        .config()
        .put()
        .description("temporary")
        .await
        .unwrap();
    node.qemu(100)
        .config()
        .put()
        .delete(["ostype", "description"])
        .await
        .unwrap();
    let web = pve.guest(100).unwrap();
    assert_eq!(web.config.get("ostype").map(String::as_str), Some("l26"));
    assert_eq!(web.config.get("description"), None);
    assert_eq!(web.pending, [("ostype".to_owned(), None)].into());
    let pending = node.qemu(100).pending().get().await.unwrap();
    let ostype = pending.iter().find(|p| p.key == "ostype").unwrap();
    assert_eq!(
        (
            ostype.value.as_deref(),
            ostype.pending.as_deref(),
            ostype.delete
        ),
        (Some("l26"), None, Some(1))
    );
    let shown = node.qemu(100).config().get().await.unwrap();
    assert_eq!(shown.ostype, None);
    let current = node.qemu(100).config().get().current(true).await.unwrap();
    assert_eq!(current.ostype.as_ref().map(|o| o.as_str()), Some("l26"));

    wait_ok(
        &node
            .qemu(100)
            .status()
            .reboot()
            .post()
            .task()
            .await
            .unwrap(),
    )
    .await;
    let web = pve.guest(100).unwrap();
    assert_eq!(web.config.get("ostype"), None);
    assert!(web.pending.is_empty());
}

#[tokio::test]
async fn a_change_with_a_stale_digest_is_refused_and_changes_nothing() {
    let (pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(101);
    let digest = vm.config().get().await.unwrap().digest;
    // The current digest is accepted.
    vm.config()
        .put()
        .cores(3)
        .digest(digest.clone())
        .await
        .unwrap();
    let fresh = vm.config().get().await.unwrap().digest;
    assert_ne!(fresh, digest);
    // The old one no longer is.
    let e = api_err(vm.config().put().cores(5).digest(digest).await);
    assert_eq!(e.status, 500);
    assert!(e.errors.is_empty());
    assert_eq!(pve.guest(101).unwrap().config["cores"], "3");
    assert_eq!(vm.config().get().await.unwrap().digest, fresh);

    // A container's config: PVE's (pve-container's) wording.
    let ct = client.nodes("pve1").lxc(200);
    assert_api(
        ct.config().put().memory(1024).digest("0".repeat(40)).await,
        500,
        "detected modified configuration - file changed by other user? Try again.",
    );
    assert_eq!(pve.guest(200).unwrap().config["memory"], "512");
}

#[tokio::test]
async fn a_stale_digest_of_a_vm_has_qemu_servers_wording() {
    let (_pve, client) = fake_with_root().await;
    assert_api(
        client
            .nodes("pve1")
            .qemu(101)
            .config()
            .put()
            .cores(5)
            .digest("0".repeat(40))
            .await,
        500,
        "checksum mismatch (file change by other user?)",
    );
}

#[tokio::test]
async fn power_actions_move_a_vm_through_its_states_and_refuse_what_pve_refuses() {
    let (pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(101);
    let state = || async {
        let s = vm.status().current().get().await.unwrap();
        (s.status.as_str().to_owned(), s.qmpstatus.clone().unwrap())
    };
    let action = |name: &'static str| {
        let vm = vm.clone();
        async move {
            let status = vm.status();
            let task = match name {
                "start" => status.start().post().task().await,
                "stop" => status.stop().post().task().await,
                "shutdown" => status.shutdown().post().task().await,
                "reboot" => status.reboot().post().task().await,
                "suspend" => status.suspend().post().task().await,
                "resume" => status.resume().post().task().await,
                "reset" => status.reset().post().task().await,
                other => unreachable!("{other}"),
            };
            task.inspect(|t| {
                assert_eq!(t.upid().task_type(), format!("qm{name}"));
                assert_eq!(t.upid().id(), "101");
            })
        }
    };
    let stopped = ("stopped".to_owned(), "stopped".to_owned());
    let running = ("running".to_owned(), "running".to_owned());
    let paused = ("running".to_owned(), "paused".to_owned());
    assert_eq!(state().await, stopped);

    // What needs a running VM is refused on a stopped one, synchronously.
    for name in ["shutdown", "reboot", "suspend", "resume", "reset"] {
        assert_api(action(name).await, 500, "VM 101 not running");
    }
    // Stopping a stopped VM is a task that ends OK (as in PVE).
    wait_ok(&action("stop").await.unwrap()).await;
    assert_eq!(state().await, stopped);

    wait_ok(&action("start").await.unwrap()).await;
    assert_eq!(state().await, running);
    assert!(pve.guest(101).unwrap().running);
    // Starting it again: the task fails.
    assert_eq!(
        wait_failed(action("start").await.unwrap()).await,
        "VM 101 already running"
    );
    wait_ok(&action("suspend").await.unwrap()).await;
    assert_eq!(state().await, paused);
    wait_ok(&action("resume").await.unwrap()).await;
    assert_eq!(state().await, running);
    wait_ok(&action("reset").await.unwrap()).await;
    wait_ok(&action("reboot").await.unwrap()).await;
    assert_eq!(state().await, running);
    wait_ok(&action("shutdown").await.unwrap()).await;
    assert_eq!(state().await, stopped);
    assert_api(action("shutdown").await, 500, "VM 101 not running");
    assert!(!pve.guest(101).unwrap().running);
}

#[tokio::test]
async fn a_locked_vm_does_not_start_until_unlocked() {
    let (pve, client) = fake_with_root().await;
    pve.add_guest(GuestSpec::qemu(150).name("busy").locked("backup"));
    let vm = client.nodes("pve1").qemu(150);
    let cfg = vm.config().get().await.unwrap();
    assert_eq!(cfg.lock.as_ref().map(|l| l.as_str()), Some("backup"));
    let listed = client.nodes("pve1").get_qemu().await.unwrap();
    let busy = listed.iter().find(|v| v.vmid == 150).unwrap();
    assert_eq!(busy.lock.as_deref(), Some("backup"));

    // The start is accepted; its task fails.
    let task = vm.status().start().post().task().await.unwrap();
    assert_eq!(wait_failed(task.clone()).await, "VM is locked (backup)");
    let log = task.log().await.unwrap();
    assert_eq!(
        log.last().map(|l| (l.n, l.t.as_str())),
        Some((2, "TASK ERROR: VM is locked (backup)"))
    );
    assert!(!pve.guest(150).unwrap().running);
    // Config changes are refused at once.
    assert_api(
        vm.config().put().cores(4).await,
        500,
        "VM is locked (backup)",
    );

    pve.set_lock(150, None);
    wait_ok(&vm.status().start().post().task().await.unwrap()).await;
    assert!(pve.guest(150).unwrap().running);
}

#[tokio::test]
async fn a_locked_container_is_a_ct_in_the_message() {
    let (pve, client) = fake_with_root().await;
    pve.add_guest(GuestSpec::lxc(250).locked("backup"));
    let ct = client.nodes("pve1").lxc(250);
    let task = ct.status().start().post().task().await.unwrap();
    assert_eq!(wait_failed(task).await, "CT is locked (backup)");
    assert_api(
        ct.config().put().memory(1024).await,
        500,
        "CT is locked (backup)",
    );
    // A snapshot's worker checks the lock.
    let task = ct.post_snapshot("s1").task().await.unwrap();
    assert_eq!(wait_failed(task).await, "CT is locked (backup)");
    assert!(pve.guest(250).unwrap().snapshots.is_empty());
}

#[tokio::test]
async fn only_a_stopped_vm_can_be_deleted_and_its_disks_go_with_it() {
    let (pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    assert_api(
        node.qemu(100).delete().send().await,
        500,
        "VM 100 is running - destroy failed",
    );
    assert!(pve.guest(100).is_some());

    wait_ok(
        &node
            .post_qemu(150)
            .scsis(0, "local-lvm:4".parse().unwrap())
            .task()
            .await
            .unwrap(),
    )
    .await;
    let seeded = ["local-lvm:vm-100-disk-0", "local-lvm:vm-200-disk-0"];
    assert_eq!(
        pve.volumes("local-lvm"),
        [seeded[0], "local-lvm:vm-150-disk-0", seeded[1]]
    );
    let task = node.qemu(150).delete().task().await.unwrap();
    assert_eq!(task.upid().task_type(), "qmdestroy");
    wait_ok(&task).await;
    assert_eq!(pve.guest(150), None);
    assert_eq!(pve.volumes("local-lvm"), seeded);
    assert_eq!(pve.guest_ids(), [100, 101, 200]);
    assert_api(
        node.qemu(150).config().get().await,
        500,
        "Configuration file 'nodes/pve1/qemu-server/150.conf' does not exist",
    );
}

#[tokio::test]
async fn deleting_a_running_container_has_pve_containers_wording() {
    let (pve, client) = fake_with_root().await;
    assert_api(
        client.nodes("pve1").lxc(200).delete().send().await,
        500,
        "unable to destroy CT 200 - container is running",
    );
    assert!(pve.guest(200).is_some());
}

#[tokio::test]
async fn starting_a_running_container_is_refused_at_once() {
    let (_pve, client) = fake_with_root().await;
    assert_api(
        client
            .nodes("pve1")
            .lxc(200)
            .status()
            .start()
            .post()
            .send()
            .await,
        500,
        "CT 200 already running",
    );
}

#[tokio::test]
async fn snapshots_are_taken_listed_rolled_back_and_deleted() {
    let (pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(101);
    let task = vm
        .post_snapshot("before")
        .description("clean state")
        .task()
        .await
        .unwrap();
    assert_eq!(task.upid().task_type(), "qmsnapshot");
    wait_ok(&task).await;
    assert_eq!(pve.guest(101).unwrap().snapshots, ["before"]);

    let list = vm.get_snapshot().await.unwrap();
    let rows: Vec<(&str, &str, Option<&str>)> = list
        .iter()
        .map(|s| (s.name.as_str(), s.description.as_str(), s.parent.as_deref()))
        .collect();
    assert_eq!(
        rows,
        [
            ("before", "clean state", None),
            ("current", "You are here!", Some("before")),
        ]
    );
    assert!(list[0].snaptime.is_some());
    assert_eq!(list[0].vmstate, None);
    assert_eq!(list[1].running, Some(false));

    // The snapshot keeps the config as it was.
    vm.config().put().cores(8).name("db2").await.unwrap();
    let frozen = client
        .raw("nodes/pve1/qemu/101/snapshot/before/config")
        .get(())
        .await
        .unwrap();
    assert_eq!(frozen["cores"], "2");
    assert_eq!(frozen["name"], "db");

    let rollback = vm
        .snapshot("before")
        .rollback()
        .post()
        .task()
        .await
        .unwrap();
    assert_eq!(rollback.upid().task_type(), "qmrollback");
    wait_ok(&rollback).await;
    let cfg = vm.config().get().await.unwrap();
    assert_eq!((cfg.cores, cfg.name.as_deref()), (Some(2), Some("db")));
    assert!(!pve.guest(101).unwrap().running);

    let delete = vm.snapshot("before").delete().task().await.unwrap();
    assert_eq!(delete.upid().task_type(), "qmdelsnapshot");
    wait_ok(&delete).await;
    let list = vm.get_snapshot().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].name.as_str(), list[0].parent.as_deref()),
        ("current", None)
    );
    assert!(pve.guest(101).unwrap().snapshots.is_empty());

    // A running VM's `current` says so.
    wait_ok(
        &client
            .nodes("pve1")
            .qemu(100)
            .post_snapshot("s1")
            .task()
            .await
            .unwrap(),
    )
    .await;
    let list = client.nodes("pve1").qemu(100).get_snapshot().await.unwrap();
    assert_eq!(list[1].running, Some(true));
}

#[tokio::test]
async fn current_follows_the_last_snapshot_taken_or_rolled_back_to() {
    let (_pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(101);
    let parent_of_current = || async {
        let list = vm.get_snapshot().await.unwrap();
        list.iter()
            .find(|s| s.name == "current")
            .and_then(|s| s.parent.clone())
    };
    for name in ["zeta", "alpha"] {
        wait_ok(&vm.post_snapshot(name).task().await.unwrap()).await;
    }
    assert_eq!(parent_of_current().await.as_deref(), Some("alpha"));
    wait_ok(&vm.snapshot("zeta").rollback().post().task().await.unwrap()).await;
    assert_eq!(parent_of_current().await.as_deref(), Some("zeta"));
    // Deleting a snapshot moves its children, and `current`, up to its parent.
    wait_ok(&vm.snapshot("zeta").delete().task().await.unwrap()).await;
    let list = vm.get_snapshot().await.unwrap();
    let parents: Vec<(&str, Option<&str>)> = list
        .iter()
        .map(|s| (s.name.as_str(), s.parent.as_deref()))
        .collect();
    assert_eq!(parents, [("alpha", None), ("current", None)]);
}

#[tokio::test]
async fn snapshot_name_errors_are_task_errors() {
    let (_pve, client) = fake_with_root().await;
    let vm = client.nodes("pve1").qemu(101);
    wait_ok(&vm.post_snapshot("s1").task().await.unwrap()).await;
    let taken = vm.post_snapshot("s1").task().await.expect("a task");
    assert_eq!(wait_failed(taken).await, "snapshot name 's1' already used");
    let missing = vm.snapshot("nope").delete().task().await.expect("a task");
    assert_eq!(wait_failed(missing).await, "snapshot 'nope' does not exist");
    let missing = vm
        .snapshot("nope")
        .rollback()
        .post()
        .task()
        .await
        .expect("a task");
    assert_eq!(wait_failed(missing).await, "snapshot 'nope' does not exist");
}

#[tokio::test]
async fn the_snapshot_name_current_is_reserved() {
    let (pve, client) = fake_with_root().await;
    assert_api(
        client
            .nodes("pve1")
            .qemu(101)
            .post_snapshot("current")
            .send()
            .await,
        500,
        "unable to use snapshot name 'current' (reserved name)",
    );
    assert!(pve.guest(101).unwrap().snapshots.is_empty());
}

#[tokio::test]
async fn a_container_is_created_from_the_seeded_template_and_started() {
    let (pve, client) = fake_with_root().await;
    assert_eq!(pve.volumes("local"), [SEED_TEMPLATE]);
    let node = client.nodes("pve1");
    let task = node
        .post_lxc(lxc::post::Required {
            ostemplate: SEED_TEMPLATE.into(),
            vmid: 300,
        })
        .hostname("ct300")
        .rootfs(LxcRootfs::new().volume("local-lvm:8"))
        .memory(1024)
        .task()
        .await
        .unwrap();
    assert_eq!(
        (task.upid().task_type(), task.upid().id()),
        ("vzcreate", "300")
    );
    wait_ok(&task).await;
    let ct = node.lxc(300);
    let cfg = ct.config().get().await.unwrap();
    assert_eq!(cfg.hostname.as_deref(), Some("ct300"));
    assert_eq!(cfg.memory, Some(1024));
    assert_eq!(
        cfg.rootfs,
        Some(
            LxcRootfs::new()
                .volume("local-lvm:vm-300-disk-0")
                .size("8G")
        )
    );
    assert_eq!(cfg.ostype.as_ref().map(|o| o.as_str()), Some("debian"));
    assert_eq!(cfg.arch.as_ref().map(|a| a.as_str()), Some("amd64"));
    assert!(
        pve.volumes("local-lvm")
            .contains(&"local-lvm:vm-300-disk-0".to_owned())
    );

    let start = ct.status().start().post().task().await.unwrap();
    assert_eq!(start.upid().task_type(), "vzstart");
    wait_ok(&start).await;
    assert_eq!(
        ct.status().current().get().await.unwrap().status.as_str(),
        "running"
    );

    // Without `rootfs`, a 4 GiB root disk on `storage`.
    wait_ok(
        &node
            .post_lxc(lxc::post::Required {
                ostemplate: SEED_TEMPLATE.into(),
                vmid: 301,
            })
            .storage("local-lvm")
            .task()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        pve.guest(301).unwrap().config["rootfs"],
        "local-lvm:vm-301-disk-0,size=4G"
    );
}

#[tokio::test]
async fn a_container_needs_an_existing_template() {
    let (pve, client) = fake_with_root().await;
    let volumes = pve.volumes("local-lvm");
    assert_api(
        client
            .nodes("pve1")
            .post_lxc(lxc::post::Required {
                ostemplate: "local:vztmpl/missing.tar.zst".into(),
                vmid: 300,
            })
            .rootfs(LxcRootfs::new().volume("local-lvm:8"))
            .send()
            .await,
        500,
        "volume 'local:vztmpl/missing.tar.zst' does not exist",
    );
    assert_eq!(pve.guest(300), None);
    assert_eq!(pve.volumes("local-lvm"), volumes);
    assert!(pve.tasks().is_empty());
    // An empty fake holds no template.
    let empty = MockPve::builder().empty().start().await.unwrap();
    assert!(empty.volumes("local").is_empty());
    assert!(empty.guest_ids().is_empty());
    let client = empty.login().await.unwrap();
    assert_api(
        client
            .nodes("pve1")
            .post_lxc(lxc::post::Required {
                ostemplate: SEED_TEMPLATE.into(),
                vmid: 300,
            })
            .send()
            .await,
        500,
        &format!("volume '{SEED_TEMPLATE}' does not exist"),
    );
}

#[tokio::test]
async fn the_seeded_guests_disks_are_on_their_storage() {
    let (pve, client) = fake_with_root().await;
    assert_eq!(
        pve.volumes("local-lvm"),
        ["local-lvm:vm-100-disk-0", "local-lvm:vm-200-disk-0"]
    );
    let disk = client
        .nodes("pve1")
        .storage("local-lvm")
        .content("local-lvm:vm-100-disk-0")
        .get()
        .await
        .unwrap();
    assert_eq!(disk.size, 32 << 30);
}

// ------------------------------------------------------------------------------------------
// Storage.

#[tokio::test]
async fn storage_content_is_listed_and_filtered_by_content_type() {
    let (pve, client) = fake_with_root().await;
    pve.store_file("local:iso/debian-12.iso", 600 << 20);
    let local = client.nodes("pve1").storage("local");
    let ids =
        |items: &[proxmoxia::api::nodes::node::storage::storage::content::get::ResponseItem]| {
            items.iter().map(|i| i.volid.clone()).collect::<Vec<_>>()
        };
    let all = local.get_content().await.unwrap();
    assert_eq!(ids(&all), ["local:iso/debian-12.iso", SEED_TEMPLATE]);
    assert_eq!(all[0].size, Some(600 << 20));
    assert_eq!(all[0].format, "iso");
    assert_eq!(all[0].content.as_deref(), Some("iso"));
    assert_eq!(all[1].size, Some(120 << 20));
    assert_eq!(
        ids(&local.get_content().content("vztmpl").await.unwrap()),
        [SEED_TEMPLATE]
    );
    assert_eq!(
        ids(&local.get_content().content("iso").await.unwrap()),
        ["local:iso/debian-12.iso"]
    );
    assert!(
        local
            .get_content()
            .content("backup")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        pve.volumes("local"),
        ["local:iso/debian-12.iso", SEED_TEMPLATE]
    );

    // The node's storage list, filtered by content too.
    let storages = client
        .nodes("pve1")
        .get_storage()
        .content(["rootdir"])
        .await
        .unwrap();
    let names: Vec<&str> = storages.iter().map(|s| s.storage.as_str()).collect();
    assert_eq!(names, ["local-lvm"]);
}

#[tokio::test]
async fn a_disk_is_allocated_annotated_and_deleted_through_the_content_paths() {
    let (pve, client) = fake_with_root().await;
    let lvm = client.nodes("pve1").storage("local-lvm");
    let volid = lvm
        .post_content(content::post::Required {
            filename: "vm-101-disk-1".into(),
            size: "4G".into(),
            vmid: 101,
        })
        .await
        .unwrap();
    assert_eq!(volid, "local-lvm:vm-101-disk-1");
    // Beside the seeded guests' disks.
    let seeded = ["local-lvm:vm-100-disk-0", "local-lvm:vm-200-disk-0"];
    assert_eq!(
        pve.volumes("local-lvm"),
        [seeded[0], volid.as_str(), seeded[1]]
    );
    // VM 100's disk and this one are `images`; CT 200's is `rootdir`.
    let listed = lvm.get_content().content("images").await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|v| v.volid.as_str()).collect();
    assert_eq!(ids, [seeded[0], volid.as_str()]);
    assert_eq!(
        (listed[1].size, listed[1].vmid, listed[1].format.as_str()),
        (Some(4 << 30), Some(101), "raw")
    );
    assert_api(
        lvm.post_content(content::post::Required {
            filename: "vm-101-disk-1".into(),
            size: "4G".into(),
            vmid: 101,
        })
        .await,
        500,
        "volume 'local-lvm:vm-101-disk-1' already exists",
    );

    let volume = lvm.content(&volid);
    let info = volume.get().await.unwrap();
    assert_eq!(info.path, "/dev/pve/vm-101-disk-1");
    assert_eq!((info.size, info.used), (4 << 30, 4 << 30));
    assert_eq!(info.format, "raw");
    assert_eq!(info.notes, None);
    assert_eq!(info.protected, Some(false));

    let () = volume.put().notes("scratch disk").await.unwrap();
    assert_eq!(
        volume.get().await.unwrap().notes.as_deref(),
        Some("scratch disk")
    );
    let listed = lvm.get_content().vmid(101).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].notes.as_deref(), Some("scratch disk"));
    // The volume can be named without its storage.
    assert_eq!(
        lvm.content("vm-101-disk-1")
            .get()
            .await
            .unwrap()
            .notes
            .as_deref(),
        Some("scratch disk")
    );

    let task = volume
        .delete()
        .maybe_task()
        .await
        .unwrap()
        .expect("a deletion task");
    assert_eq!(task.upid().task_type(), "imgdel");
    wait_ok(&task).await;
    assert_eq!(pve.volumes("local-lvm"), seeded);
    let e = api_err(volume.get().await);
    assert_eq!(
        (e.status, e.message.as_str()),
        (500, "volume 'local-lvm:vm-101-disk-1' does not exist")
    );
    assert!(e.is_not_found());
    assert_api(
        volume.delete().send().await,
        500,
        "volume 'local-lvm:vm-101-disk-1' does not exist",
    );
}

#[tokio::test]
async fn a_volume_path_on_a_dir_storage_is_pves() {
    let (pve, client) = fake_with_root().await;
    pve.store_file("local:iso/debian-12.iso", 1 << 20);
    let local = client.nodes("pve1").storage("local");
    assert_eq!(
        local.content(SEED_TEMPLATE).get().await.unwrap().path,
        "/var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst"
    );
    assert_eq!(
        local
            .content("local:iso/debian-12.iso")
            .get()
            .await
            .unwrap()
            .path,
        "/var/lib/vz/template/iso/debian-12.iso"
    );
}

#[tokio::test]
async fn uploads_are_stored_by_a_task_from_bytes_and_from_a_file() {
    let (pve, client) = fake_with_root().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let task = client
        .upload("pve1", "local", UploadContent::Iso)
        .from_bytes("tiny.iso", bytes)
        .await
        .unwrap();
    let upid = task.upid();
    assert_eq!(
        (upid.task_type(), upid.id(), upid.user(), upid.node()),
        ("imgcopy", "", "root@pam", "pve1")
    );
    wait_ok(&task).await;
    let log: Vec<String> = task
        .log_all()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.t)
        .collect();
    assert_eq!(
        log,
        [
            "starting file import from: upload of tiny.iso",
            "target file: local:iso/tiny.iso",
            "file size is: 1000",
            "TASK OK",
        ]
    );
    let isos = client
        .nodes("pve1")
        .storage("local")
        .get_content()
        .content("iso")
        .await
        .unwrap();
    assert_eq!(isos.len(), 1);
    assert_eq!(
        (isos[0].volid.as_str(), isos[0].size),
        ("local:iso/tiny.iso", Some(1000))
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("debian-12-custom_amd64.tar.zst");
    std::fs::write(&path, vec![7u8; 4096]).unwrap();
    let task = client
        .upload("pve1", "local", UploadContent::Vztmpl)
        .from_path(&path)
        .await
        .unwrap();
    wait_ok(&task).await;
    assert_eq!(
        pve.volumes("local"),
        [
            "local:iso/tiny.iso",
            "local:vztmpl/debian-12-custom_amd64.tar.zst",
            SEED_TEMPLATE,
        ]
    );
    let templates = client
        .nodes("pve1")
        .storage("local")
        .get_content()
        .content("vztmpl")
        .await
        .unwrap();
    let custom = templates
        .iter()
        .find(|t| t.volid == "local:vztmpl/debian-12-custom_amd64.tar.zst")
        .unwrap();
    assert_eq!(custom.size, Some(4096));
    // The uploaded template makes a container.
    wait_ok(
        &client
            .nodes("pve1")
            .post_lxc(lxc::post::Required {
                ostemplate: "local:vztmpl/debian-12-custom_amd64.tar.zst".into(),
                vmid: 300,
            })
            .storage("local-lvm")
            .task()
            .await
            .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn uploads_are_refused_where_pve_refuses_them() {
    let (pve, client) = fake_with_root().await;
    let before_lvm = pve.volumes("local-lvm");
    assert_api(
        client
            .upload("pve1", "local-lvm", UploadContent::Iso)
            .from_bytes("x.iso", vec![0; 10])
            .await,
        500,
        "can't upload to storage type 'lvmthin'",
    );
    assert_eq!(pve.volumes("local-lvm"), before_lvm);

    // A dir storage for ISO images only.
    client
        .post_storage(proxmoxia::api::storage::post::Required {
            storage: "isos".into(),
            r#type: proxmoxia::api::storage::post::Type::Dir,
        })
        .path("/mnt/isos")
        .content(["iso"])
        .await
        .unwrap();
    let task = client
        .upload("pve1", "isos", UploadContent::Iso)
        .from_bytes("ok.iso", vec![1; 10])
        .await
        .unwrap();
    wait_ok(&task).await;
    assert_api(
        client
            .upload("pve1", "isos", UploadContent::Vztmpl)
            .from_bytes("t.tar.zst", vec![0; 10])
            .await,
        500,
        "storage 'isos' does not support 'vztmpl' content",
    );
    assert_eq!(pve.volumes("isos"), ["isos:iso/ok.iso"]);
    assert_api(
        client
            .upload("pve1", "nope", UploadContent::Iso)
            .from_bytes("x.iso", vec![0; 10])
            .await,
        500,
        "storage 'nope' does not exist",
    );
}

// ------------------------------------------------------------------------------------------
// Tasks.

#[tokio::test]
async fn a_task_runs_for_the_set_duration_and_its_effect_shows_only_after() {
    let (pve, client) = fake_with_root().await;
    pve.set_task_duration(Duration::from_millis(300));
    // VM 101's config lock is held until released below, so the task is still running when
    // looked at, however slow the machine (due or not, it waits for the lock).
    pve.set_lock_wait(Duration::from_secs(3600));
    pve.hold_config_lock(101, None);
    let vm = client.nodes("pve1").qemu(101);
    let started = Instant::now();
    let task = vm.status().start().post().task().await.unwrap();
    let status = task.status().await.unwrap();
    assert_eq!(
        (status.status.as_str(), status.exitstatus.as_deref()),
        ("running", None)
    );
    assert!(status.is_running());
    assert!(!pve.guest(101).unwrap().running);
    assert_eq!(
        vm.status().current().get().await.unwrap().status.as_str(),
        "stopped"
    );
    let typed = client
        .nodes("pve1")
        .tasks(task.upid())
        .status()
        .get()
        .await
        .unwrap();
    assert_eq!(typed.status.as_str(), "running");
    assert_eq!(pve.tasks()[0].exitstatus, None);

    pve.release_config_lock(101);
    wait_ok(&task).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let status = task.status().await.unwrap();
    assert_eq!(
        (status.status.as_str(), status.exitstatus.as_deref()),
        ("stopped", Some("OK"))
    );
    assert!(pve.guest(101).unwrap().running);
    assert_eq!(
        vm.status().current().get().await.unwrap().status.as_str(),
        "running"
    );
}

/// A task that takes time writes its log as it runs: `follow()` yields its opening line while
/// it is still running (it cannot end before the test ends it: its duration is an hour), then
/// the end's lines once the test ends it.
#[tokio::test]
async fn a_running_tasks_log_is_followed_line_by_line_before_it_ends() {
    let (pve, client) = fake_with_root().await;
    pve.set_task_duration(Duration::from_secs(3600));
    let vm = client.nodes("pve1").qemu(101);
    let task = vm
        .status()
        .start()
        .post()
        .task()
        .await
        .unwrap()
        .poll_interval(Duration::from_millis(20))
        .timeout(Duration::from_secs(60));
    let mut follow = task.follow();
    let first = follow.next_event().await.expect("an event").unwrap();
    match first {
        TaskEvent::Line(line) => assert_eq!((line.n, line.t.as_str()), (1, "qmstart 101: started")),
        other => panic!("expected the opening line, got {other:?}"),
    }
    assert!(task.status().await.unwrap().is_running());
    assert!(!pve.guest(101).unwrap().running);

    pve.end_task(task.upid().as_str());
    let mut rest = Vec::new();
    while let Some(event) = follow.next_event().await {
        rest.push(match event.unwrap() {
            TaskEvent::Line(line) => format!("{} {}", line.n, line.t),
            TaskEvent::Exit(exit) => format!("exit {:?}", exit.outcome().unwrap()),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(rest, ["2 TASK OK", "exit Ok"]);
    assert!(pve.guest(101).unwrap().running);
    assert_eq!(pve.tasks()[0].log, ["qmstart 101: started", "TASK OK"]);
}

#[tokio::test]
async fn the_task_list_is_newest_first_and_filtered_by_vmid_and_limit() {
    let (_pve, client) = fake_with_root().await;
    let node = client.nodes("pve1");
    let start = node.qemu(101).status().start().post().task().await.unwrap();
    wait_ok(&start).await;
    let stop = node.qemu(101).status().stop().post().task().await.unwrap();
    wait_ok(&stop).await;
    let other = node.qemu(100).status().reset().post().task().await.unwrap();
    wait_ok(&other).await;

    let all = node.get_tasks().await.unwrap();
    let upids: Vec<&str> = all.iter().map(|t| t.upid.as_str()).collect();
    assert_eq!(
        upids,
        [
            other.upid().as_str(),
            stop.upid().as_str(),
            start.upid().as_str()
        ]
    );
    for t in &all {
        assert_eq!(t.status.as_deref(), Some("OK"));
        assert!(t.endtime.is_some());
        assert_eq!((t.node.as_str(), t.user.as_str()), ("pve1", "root@pam"));
    }
    let vm101 = node.get_tasks().vmid(101).await.unwrap();
    let rows: Vec<(&str, &str)> = vm101
        .iter()
        .map(|t| (t.r#type.as_str(), t.id.as_str()))
        .collect();
    assert_eq!(rows, [("qmstop", "101"), ("qmstart", "101")]);
    let newest = node.get_tasks().vmid(101).limit(1).await.unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].upid, stop.upid().as_str());
    let second = node.get_tasks().start(1).limit(1).await.unwrap();
    assert_eq!(second[0].upid, stop.upid().as_str());
    let typed = node.get_tasks().typefilter("qmreset").await.unwrap();
    assert_eq!(typed.len(), 1);
    assert!(node.get_tasks().vmid(200).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_task_log_is_read_in_pages() {
    let (_pve, client) = fake_with_root().await;
    let task = client.nodes("pve1").post_qemu(150).task().await.unwrap();
    wait_ok(&task).await;
    let lines = |page: Vec<proxmoxia::TaskLogLine>| -> Vec<(i64, String)> {
        page.into_iter().map(|l| (l.n, l.t)).collect()
    };
    assert_eq!(
        lines(task.log().await.unwrap()),
        [
            (1, "created qemu 150".to_owned()),
            (2, "TASK OK".to_owned())
        ]
    );
    assert_eq!(
        lines(task.log().start(0).limit(1).await.unwrap()),
        [(1, "created qemu 150".to_owned())]
    );
    assert_eq!(
        lines(task.log().start(1).limit(1).await.unwrap()),
        [(2, "TASK OK".to_owned())]
    );
    assert_eq!(
        lines(task.log().start(1).await.unwrap()),
        [(2, "TASK OK".to_owned())]
    );
    assert!(task.log().start(2).await.unwrap().is_empty());
    assert_eq!(lines(task.log_all().await.unwrap()).len(), 2);
    // The typed path says the same.
    let typed = client
        .nodes("pve1")
        .tasks(task.upid())
        .log()
        .get()
        .start(1)
        .limit(5)
        .await
        .unwrap();
    let typed: Vec<(i64, &str)> = typed.iter().map(|l| (l.n, l.t.as_str())).collect();
    assert_eq!(typed, [(2, "TASK OK")]);
}

#[tokio::test]
async fn stopping_a_running_task_ends_it_with_an_error_and_without_its_effect() {
    let (pve, client) = fake_with_root().await;
    pve.set_task_duration(Duration::from_secs(30));
    let node = client.nodes("pve1");
    let task = node.qemu(101).status().start().post().task().await.unwrap();
    assert!(task.status().await.unwrap().is_running());
    let () = node.tasks(task.upid()).delete().await.unwrap();
    let status = task.status().await.unwrap();
    assert_eq!(
        (status.status.as_str(), status.exitstatus.as_deref()),
        ("stopped", Some("interrupted by signal"))
    );
    assert_eq!(wait_failed(task.clone()).await, "interrupted by signal");
    let log: Vec<String> = task.log().await.unwrap().into_iter().map(|l| l.t).collect();
    assert_eq!(
        log,
        [
            "qmstart 101: started",
            "received interrupt",
            "TASK ERROR: interrupted by signal"
        ]
    );
    pve.set_task_duration(Duration::ZERO);
    assert!(!pve.guest(101).unwrap().running);
    // Stopping a finished task changes nothing.
    node.tasks(task.upid()).delete().await.unwrap();
    assert_eq!(
        pve.tasks()[0].exitstatus.as_deref(),
        Some("interrupted by signal")
    );
}

// ------------------------------------------------------------------------------------------
// Users, groups, tokens.

#[tokio::test]
async fn users_are_created_read_changed_and_deleted() {
    let (pve, client) = fake_with_root().await;
    let access = client.access();
    access
        .post_groups("ops")
        .comment("Operators")
        .await
        .unwrap();
    let () = access
        .post_users("alice@pve")
        .password("wonderland")
        .comment("CI")
        .email("alice@example.org")
        .groups(["ops"])
        .await
        .unwrap();
    assert_eq!(pve.user_ids(), ["alice@pve", "root@pam"]);
    assert_api(
        access.post_users("alice@pve").await,
        500,
        "create user failed: user 'alice@pve' already exists",
    );

    let users = access.get_users().await.unwrap();
    let alice = users.iter().find(|u| u.userid == "alice@pve").unwrap();
    assert_eq!(alice.comment.as_deref(), Some("CI"));
    assert_eq!(alice.email.as_deref(), Some("alice@example.org"));
    assert_eq!(alice.enable, Some(true));
    assert_eq!(
        alice.groups.as_deref().map(|g| g.to_vec()),
        Some(vec!["ops".to_owned()])
    );
    let one = access.users("alice@pve").get().await.unwrap();
    assert_eq!(one.groups, Some(vec!["ops".to_owned()]));
    assert_eq!(one.comment.as_deref(), Some("CI"));

    // The new user can log in.
    let as_alice = pve.client().unwrap();
    assert_eq!(
        as_alice
            .login("alice@pve", "wonderland")
            .await
            .unwrap()
            .user,
        "alice@pve"
    );

    access
        .users("alice@pve")
        .put()
        .comment("CI bot")
        .enable(false)
        .await
        .unwrap();
    let one = access.users("alice@pve").get().await.unwrap();
    assert_eq!(
        (one.comment.as_deref(), one.enable),
        (Some("CI bot"), Some(false))
    );
    // A disabled user cannot log in.
    match pve.client().unwrap().login("alice@pve", "wonderland").await {
        Err(Error::Auth(AuthError::Rejected { user, message })) => {
            assert_eq!(
                (user.as_str(), message.as_str()),
                ("alice@pve", "authentication failure")
            )
        }
        other => panic!("expected a rejected login, got {other:?}"),
    }
    let group = access.groups("ops").get().await.unwrap();
    assert_eq!(group.members, ["alice@pve"]);

    access.users("alice@pve").delete().await.unwrap();
    assert_eq!(pve.user_ids(), ["root@pam"]);
    let e = api_err(access.users("alice@pve").get().await);
    assert_eq!(
        (e.status, e.message.as_str()),
        (500, "no such user ('alice@pve')")
    );
    assert!(e.is_not_found());
    assert_api(
        access.users("alice@pve").delete().await,
        500,
        "no such user ('alice@pve')",
    );
    assert!(access.groups("ops").get().await.unwrap().members.is_empty());
}

#[tokio::test]
async fn groups_are_created_listed_changed_and_deleted() {
    let (pve, client) = fake_with_root().await;
    let access = client.access();
    pve.add_user("bob@pve", "builder");
    access
        .post_groups("ops")
        .comment("Operators")
        .await
        .unwrap();
    assert_api(
        access.post_groups("ops").await,
        500,
        "create group failed: group 'ops' already exists",
    );
    access
        .users("bob@pve")
        .put()
        .groups(["ops"])
        .append(true)
        .await
        .unwrap();
    let groups = access.get_groups().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].groupid, "ops");
    assert_eq!(groups[0].comment.as_deref(), Some("Operators"));
    assert_eq!(
        groups[0].users.as_deref().map(|u| u.to_vec()),
        Some(vec!["bob@pve".to_owned()])
    );
    access
        .groups("ops")
        .put()
        .comment("Ops team")
        .await
        .unwrap();
    let ops = access.groups("ops").get().await.unwrap();
    assert_eq!(ops.comment.as_deref(), Some("Ops team"));
    assert_eq!(ops.members, ["bob@pve"]);

    access.groups("ops").delete().await.unwrap();
    assert!(access.get_groups().await.unwrap().is_empty());
    assert_api(
        access.groups("ops").get().await,
        500,
        "group 'ops' does not exist",
    );
    let bob = access.users("bob@pve").get().await.unwrap();
    assert_eq!(bob.groups, Some(Vec::new()));
}

#[tokio::test]
async fn a_created_token_authenticates_until_it_is_deleted() {
    let (pve, client) = fake_with_root().await;
    let tokens = client.access().users("root@pam");
    let made = tokens.token("ci").post().comment("for CI").await.unwrap();
    assert_eq!(made.full_tokenid, "root@pam!ci");
    let secret = made.value.expose().to_owned();
    let groups: Vec<usize> = secret.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "a UUID-shaped secret: {secret}");
    assert_api(
        tokens.token("ci").post().await,
        500,
        "Token already exists.",
    );

    let listed = tokens.get_token().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].tokenid, "ci");
    assert_eq!(listed[0].comment.as_deref(), Some("for CI"));
    let one = tokens.token("ci").get().await.unwrap();
    assert_eq!(one.comment.as_deref(), Some("for CI"));
    tokens.token("ci").put().comment("CI runner").await.unwrap();
    assert_eq!(
        tokens.token("ci").get().await.unwrap().comment.as_deref(),
        Some("CI runner")
    );
    let full = client.access().get_users().full(true).await.unwrap();
    let root = full.iter().find(|u| u.userid == "root@pam").unwrap();
    let names: Vec<&str> = root
        .tokens
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|t| t.tokenid.as_str())
        .collect();
    assert_eq!(names, ["ci"]);

    // The token authenticates (an `Authorization` header, no ticket).
    let ci = pve
        .client_builder()
        .api_token("root@pam!ci", secret.clone())
        .build()
        .unwrap();
    assert!(ci.session().is_none());
    assert_eq!(ci.version().get().await.unwrap().version, "9.2.0");
    let task = ci
        .nodes("pve1")
        .qemu(101)
        .status()
        .start()
        .post()
        .task()
        .await
        .unwrap();
    assert_eq!(task.upid().user(), "root@pam!ci");
    wait_ok(&task).await;
    let listed = ci.nodes("pve1").get_tasks().await.unwrap();
    assert_eq!(listed[0].tokenid.as_deref(), Some("ci"));

    tokens.token("ci").delete().await.unwrap();
    assert!(tokens.get_token().await.unwrap().is_empty());
    match ci.version().get().await {
        Err(Error::Auth(AuthError::Rejected { user, message })) => {
            assert_eq!(
                (user.as_str(), message.as_str()),
                ("root@pam!ci", "authentication failure")
            )
        }
        other => panic!("expected a rejected token, got {other:?}"),
    }
    assert_api(
        tokens.token("ci").delete().await,
        500,
        "no such token 'ci' for user 'root@pam'",
    );
}

// ------------------------------------------------------------------------------------------
// The cluster.

#[tokio::test]
async fn the_cluster_resources_status_nextid_and_version() {
    let (pve, client) = fake_with_root().await;
    let resources = client.cluster().resources().get().await.unwrap();
    let ids: Vec<&str> = resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "qemu/100",
            "qemu/101",
            "lxc/200",
            "node/pve1",
            "storage/pve1/local",
            "storage/pve1/local-lvm",
        ]
    );
    let web = &resources[0];
    assert_eq!(web.r#type.as_str(), "qemu");
    assert_eq!(
        (
            web.vmid,
            web.name.as_deref(),
            web.node.as_deref(),
            web.status.as_deref()
        ),
        (Some(100), Some("web"), Some("pve1"), Some("running"))
    );
    assert_eq!(resources[2].r#type.as_str(), "lxc");
    let local = &resources[4];
    assert_eq!(
        (local.storage.as_deref(), local.plugintype.as_deref()),
        (Some("local"), Some("dir"))
    );
    assert_eq!(local.disk, Some(120 << 20));
    assert_eq!(local.maxdisk, Some(100 << 30));
    let vms = client
        .cluster()
        .resources()
        .get()
        .r#type(proxmoxia::api::cluster::resources::get::Type::Vm)
        .await
        .unwrap();
    let vmids: Vec<Option<i64>> = vms.iter().map(|r| r.vmid).collect();
    assert_eq!(vmids, [Some(100), Some(101), Some(200)]);

    let status = client.cluster().status().get().await.unwrap();
    assert_eq!(status.len(), 2);
    assert_eq!(
        (status[0].r#type.as_str(), status[0].name.as_str()),
        ("cluster", "mockcluster")
    );
    assert_eq!((status[0].quorate, status[0].nodes), (Some(true), Some(1)));
    assert_eq!(
        (
            status[1].r#type.as_str(),
            status[1].name.as_str(),
            status[1].online
        ),
        ("node", "pve1", Some(true))
    );
    pve.lose_quorum();
    let status = client.cluster().status().get().await.unwrap();
    assert_eq!(status[0].quorate, Some(false));
    pve.regain_quorum();

    // PVE sends the next id as a string; the typed answer is an integer.
    let raw = client.raw("cluster/nextid").get(()).await.unwrap();
    assert_eq!(raw, json!("102"));
    assert_eq!(client.cluster().nextid().get().await.unwrap(), 102);
    assert_eq!(
        client.cluster().nextid().get().vmid(150).await.unwrap(),
        150
    );
    let e = api_err(client.cluster().nextid().get().vmid(100).await);
    assert_eq!(
        (e.status, e.message.as_str()),
        (400, "Parameter verification failed.")
    );
    assert_eq!(
        e.errors,
        [("vmid".to_owned(), "VM 100 already exists".to_owned())].into()
    );
    pve.add_vm(102, "next");
    assert_eq!(client.cluster().nextid().get().await.unwrap(), 103);

    let version = client.version().get().await.unwrap();
    assert_eq!(
        (
            version.version.as_str(),
            version.release.as_str(),
            version.repoid.as_str()
        ),
        ("9.2.0", "9.2", "proxmoxia-mock")
    );
}
