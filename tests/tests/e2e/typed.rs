//! End to end through the TYPED API (`proxmoxia::api`): the seed library's walkthrough of
//! `e2e_raw.rs` again, plus the issue-4 VM workflow with typed property strings, against a
//! fresh peer per test: every test runs against fakepve (`fakepve::name`) and the embedded
//! fake (`mock::name`). No `client.raw(..)` here: every call is a generated method, every
//! answer a generated type (the upload is the runtime's `client.upload` helper).
//!
//! Seed: node `pve1`; VM 100 `web` running, VM 101 `db` stopped, CT 200 `dns` running; storage
//! `local` (dir: iso, vztmpl, backup; empty) and `local-lvm` (lvmthin: images, rootdir).
//!
//! What both fakes (like PVE) rewrite in what it stores, and how the tests compare:
//! * a disk given as `STORAGE:SIZE` (`local-lvm:32`) is allocated: the stored value names the
//!   new volume (`local-lvm:vm-110-disk-0`) and gains `size=32G`; options are kept;
//! * a VM NIC without a MAC gets one (`virtio=BC:24:11:..`); a container NIC gets `hwaddr`
//!   and `type=veth`;
//! * a new VM also gets `boot`, `meta`, `smbios1` and `vmgenid`, a new container `arch`,
//!   `ostype`, `swap` and `unprivileged` (PVE adds them too);
//! * everything else the tests set is stored as sent, and reads back as an equal typed value.
//!
//! fakepve serves `/access/users` from the schema: a created user is accepted, not stored;
//! the embedded fake stores it.

use proxmoxia::api::formats::{
    LxcMp, LxcNet, LxcNetType, LxcRootfs, LxcStartup, QemuAgent, QemuCpu, QemuIpconfig, QemuMemory,
    QemuNet, QemuNetModel, QemuScsi, QemuScsiCache, QemuScsiDiscard,
};
use proxmoxia::api::nodes::node::{lxc, rrd, rrddata};
use proxmoxia::{Client, Error, TaskOutcome};
use proxmoxia_tests::{
    Options, Peer, PeerKind, Scenario, TEMPLATE_VOLID, peer_tests, seed_lines, upload_template,
};
use serde_json::json;

/// `for node in nodes: for vm in node.qemu + node.lxc: print("{vmid}. {name} => {status}")`,
/// sorted; typed all the way.
async fn guest_lines(client: &Client) -> Vec<String> {
    let mut lines = Vec::new();
    for node in client.get_nodes().await.unwrap() {
        let handle = client.nodes(&node.node);
        for vm in handle.get_qemu().await.unwrap() {
            let name = vm.name.as_deref().unwrap_or_default();
            lines.push(format!("{}. {name} => {}", vm.vmid, vm.status));
        }
        for ct in handle.get_lxc().await.unwrap() {
            let name = ct.name.as_deref().unwrap_or_default();
            lines.push(format!("{}. {name} => {}", ct.vmid, ct.status));
        }
    }
    lines.sort();
    lines
}

/// The value of `key` in a request's wire form.
fn form_value(form: &proxmoxia::Form, key: &str) -> Option<String> {
    form.pairs()
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// The `Error::Validation` inside an error, or a panic naming what it was instead.
fn validation_error(err: Error) -> Box<proxmoxia::ValidationError> {
    match err {
        Error::Validation(e) => e,
        other => panic!("expected Error::Validation, got {other:?}"),
    }
}

// ------------------------------------------------------------------------------------- 1

async fn nodes_and_guests_are_listed_with_typed_fields(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let nodes = client.get_nodes().await.unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n.node.as_str()).collect();
    assert_eq!(names, ["pve1"]);
    assert_eq!(nodes[0].status.as_str(), "online");

    assert_eq!(guest_lines(&client).await, seed_lines());

    // The same lists, field by field.
    let node = client.nodes("pve1");
    let vms = node.get_qemu().await.unwrap();
    let mut vmids: Vec<i64> = vms.iter().map(|vm| vm.vmid).collect();
    vmids.sort();
    assert_eq!(vmids, [100, 101]);
    let web = vms.iter().find(|vm| vm.vmid == 100).unwrap();
    assert_eq!(web.name.as_deref(), Some("web"));
    assert_eq!(web.maxmem, Some(2048 * 1024 * 1024));
    let cts = node.get_lxc().await.unwrap();
    assert_eq!(cts.len(), 1);
    assert_eq!(cts[0].vmid, 200);
    assert_eq!(cts[0].name.as_deref(), Some("dns"));
    assert_eq!(cts[0].status.as_str(), "running");
}

// ------------------------------------------------------------------------------------- 2

async fn vm_status_current_is_typed(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;

    let web = client
        .nodes("pve1")
        .qemu(100)
        .status()
        .current()
        .get()
        .await
        .unwrap();
    assert_eq!(web.vmid, 100);
    assert_eq!(web.name.as_deref(), Some("web"));
    assert_eq!(web.status.as_str(), "running");
    assert_eq!(web.qmpstatus.as_deref(), Some("running"));
    assert_eq!(web.maxmem, Some(2048 * 1024 * 1024));
    assert!(web.pid.is_some(), "a running VM has a pid");

    // `client.node(..)` is the seed library's spelling of `client.nodes(..)`.
    let db = client
        .node("pve1")
        .qemu(101)
        .status()
        .current()
        .get()
        .await
        .unwrap();
    assert_eq!(db.vmid, 101);
    assert_eq!(db.name.as_deref(), Some("db"));
    assert_eq!(db.status.as_str(), "stopped");
    assert_eq!(db.qmpstatus.as_deref(), Some("stopped"));
    assert_eq!(db.pid, None);
}

// ------------------------------------------------------------------------------------- 3

async fn node_rrd_and_rrddata_are_typed(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let node = client.nodes("pve1");

    let request = node.rrd().get(rrd::get::Required {
        ds: ["cpu"].into(),
        timeframe: rrd::get::Timeframe::Hour,
    });
    let mut form = request.to_form().unwrap().pairs().to_vec();
    form.sort();
    assert_eq!(
        form,
        [
            ("ds".to_owned(), "cpu".to_owned()),
            ("timeframe".to_owned(), "hour".to_owned())
        ]
    );
    let rrd = request.await.unwrap();
    // PVE answers the rendered PNG's file name; fakepve a placeholder one.
    assert!(!rrd.filename.is_empty(), "{rrd:?}");

    // Several data sources travel as one comma-separated list.
    let two = node
        .rrd()
        .get(rrd::get::Required {
            ds: ["cpu", "mem"].into(),
            timeframe: rrd::get::Timeframe::Day,
        })
        .cf(rrd::get::Cf::Average);
    let form = two.to_form().unwrap();
    let ds = form.pairs().iter().find(|(k, _)| k == "ds");
    assert_eq!(ds.map(|(_, v)| v.as_str()), Some("cpu,mem"));
    let cf = form.pairs().iter().find(|(k, _)| k == "cf");
    assert_eq!(cf.map(|(_, v)| v.as_str()), Some("AVERAGE"));
    assert!(!two.await.unwrap().filename.is_empty());

    let points = node
        .rrddata()
        .get(rrddata::get::Timeframe::Hour)
        .await
        .unwrap();
    // PVE's schema leaves the points untyped; the supplement types them (`time`, `cpu`, ...).
    assert!(!points.is_empty(), "rrddata: {points:?}");
    assert!(
        points.iter().all(|p| p.extra.is_empty()),
        "rrddata: {points:?}"
    );
}

// ------------------------------------------------------------------------------------- 4

async fn uploaded_template_is_listed_and_its_volume_read_through_typed_paths(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let local = client.nodes("pve1").storage("local");

    let before = local.get_content().content("vztmpl").await.unwrap();
    assert!(before.is_empty(), "local starts empty: {before:?}");

    let bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024 + 7).collect();
    upload_template(&client, bytes.clone()).await;

    let listed = local.get_content().content("vztmpl").await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    let item = &listed[0];
    assert_eq!(item.volid, TEMPLATE_VOLID);
    assert_eq!(item.size, Some(bytes.len() as i64));
    // `content` is not in the schema's answer: the supplement types it (pve-storage sends it).
    assert_eq!(item.content.as_deref(), Some("vztmpl"));
    // The filter filters: no ISO images on the storage.
    assert!(local.get_content().content("iso").await.unwrap().is_empty());

    // One volume: its id holds a `/`, which must stay inside one path segment.
    let request = local.content(TEMPLATE_VOLID).get();
    assert_eq!(
        request.api_path(),
        "nodes/pve1/storage/local/content/local:vztmpl%2Fdebian-12-standard_12.7-1_amd64.tar.zst"
    );
    let details = request.await.unwrap();
    assert_eq!(
        details.path,
        "/var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst"
    );
    assert_eq!(details.size, bytes.len() as i64);
}

// ------------------------------------------------------------------------------------- 5

async fn container_is_created_with_typed_property_strings_and_reads_back_equal(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    upload_template(&client, b"not really a tarball".to_vec()).await;

    // 100, 101 and 200 are taken.
    let vmid = client.cluster().nextid().get().await.unwrap();
    assert_eq!(vmid, 102);

    let rootfs = LxcRootfs::new()
        .volume("local-lvm:8")
        .acl(true)
        .mountoptions("noatime");
    let mp0 = LxcMp::new()
        .volume("local-lvm:4")
        .mp("/srv")
        .backup(true)
        .ro(false);
    let net0 = LxcNet::new()
        .name("eth0")
        .bridge("vmbr0")
        .ip("dhcp")
        .firewall(true)
        .tag(10);
    let startup = LxcStartup::new().order(2).up(10);
    let node = client.nodes("pve1");
    let create = node
        .post_lxc(lxc::post::Required {
            ostemplate: TEMPLATE_VOLID.into(),
            vmid,
        })
        .hostname("ci-web")
        .storage("local-lvm")
        .rootfs(rootfs.clone())
        .mps(0, mp0.clone())
        .nets(0, net0.clone())
        .startup(startup.clone())
        .memory(1024);
    // What goes on the wire: the property strings as PVE writes them.
    let form = create.to_form().unwrap();
    let sent = |key: &str| form_value(&form, key);
    assert_eq!(
        sent("rootfs").as_deref(),
        Some("local-lvm:8,acl=1,mountoptions=noatime")
    );
    assert_eq!(
        sent("mp0").as_deref(),
        Some("local-lvm:4,mp=/srv,backup=1,ro=0")
    );
    assert_eq!(
        sent("net0").as_deref(),
        Some("name=eth0,bridge=vmbr0,firewall=1,ip=dhcp,tag=10")
    );
    let task = create.task().await.unwrap();
    assert_eq!(task.upid().task_type(), "vzcreate");
    assert_eq!(task.upid().id(), "102");
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
    let status = task.status().await.unwrap();
    assert_eq!(status.exitstatus.as_deref(), Some("OK"));
    let log = task.log_all().await.unwrap();
    assert_eq!(log.last().map(|l| l.t.as_str()), Some("TASK OK"), "{log:?}");

    let ct = node.lxc(vmid);
    let before = ct.status().current().get().await.unwrap();
    assert_eq!(before.status.as_str(), "stopped");
    assert_eq!(before.name.as_deref(), Some("ci-web"));

    let cfg = ct.config().get().await.unwrap();
    assert_eq!(cfg.hostname.as_deref(), Some("ci-web"));
    assert_eq!(cfg.memory, Some(1024));
    // Detected from the template's name, and PVE's defaults.
    assert_eq!(cfg.ostype.as_ref().map(|o| o.as_str()), Some("debian"));
    assert_eq!(cfg.arch.as_ref().map(|a| a.as_str()), Some("amd64"));
    assert_eq!(cfg.unprivileged, Some(true));
    assert_eq!(cfg.swap, Some(512));
    // rootfs and mp0: the new volumes are named, sizes added (fakepve and PVE allocate
    // `STORAGE:SIZE` disks); the options are kept.
    assert_eq!(
        cfg.rootfs.as_ref().unwrap(),
        &rootfs
            .clone()
            .volume(format!("local-lvm:vm-{vmid}-disk-0"))
            .size("8G")
    );
    assert_eq!(
        cfg.mps[&0],
        mp0.clone()
            .volume(format!("local-lvm:vm-{vmid}-disk-1"))
            .size("4G")
    );
    // net0: PVE adds a MAC address and the interface type.
    let got = &cfg.nets[&0];
    let mac = got.hwaddr.clone().expect("a MAC address is assigned");
    assert!(mac.starts_with("BC:24:11:"), "{mac}");
    assert_eq!(
        got,
        &net0.clone().hwaddr(mac).r#type(LxcNetType::Veth),
        "{got}"
    );
    assert_eq!(cfg.startup.as_ref(), Some(&startup));
    assert!(got.unparsed().is_none() && got.extra.is_empty(), "{got:?}");

    let start = ct.status().start().post().task().await.unwrap();
    assert_eq!(start.upid().task_type(), "vzstart");
    assert_eq!(start.wait().await.unwrap(), TaskOutcome::Ok);
    let after = ct.status().current().get().await.unwrap();
    assert_eq!(after.status.as_str(), "running");
    let mut lines = guest_lines(&client).await;
    lines.retain(|l| l.starts_with("102."));
    assert_eq!(lines, ["102. ci-web => running"]);
}

// ------------------------------------------------------------------------------------- 6

async fn users_are_listed_and_a_missing_one_is_created(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let access = client.access();

    let ids = |users: &[proxmoxia::api::access::users::get::ResponseItem]| -> Vec<String> {
        users.iter().map(|u| u.userid.clone()).collect()
    };
    let users = access.get_users().await.unwrap();
    assert_eq!(ids(&users), ["root@pam"]);

    let root = &users[0];
    assert_eq!(root.enable, Some(true));

    if !ids(&users).iter().any(|id| id == "ci@pve") {
        // PVE answers a user creation with `data: null`: the typed answer is `()`.
        let () = access
            .post_users("ci@pve")
            .comment("CI user, made by the e2e tests")
            .enable(true)
            .await
            .unwrap();
    }
    // fakepve serves /access/users from the schema (generic): it accepts the new user but
    // does not store it, so the list stays the synthesised one. The embedded fake stores it.
    let users = access.get_users().await.unwrap();
    assert!(ids(&users).contains(&"root@pam".to_owned()), "{users:?}");
    let stored = ids(&users).contains(&"ci@pve".to_owned());
    assert_eq!(stored, pve.kind().is_mock(), "{users:?}");

    // A user id that breaks the `pve-userid` format is refused before anything is sent.
    let err = access.post_users("ci").await.unwrap_err();
    let e = validation_error(err);
    assert_eq!(e.param, "userid");
    assert_eq!(e.rule, "format pve-userid");
}

// ------------------------------------------------------------------------------------- 7

async fn vm_is_created_with_typed_property_strings_changed_and_a_nic_removed(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let node = client.nodes("pve1");
    let vmid = 110;

    let net0 = QemuNet::virtio().bridge("vmbr0").firewall(true);
    let scsi0 = QemuScsi::new()
        .file("local-lvm:32")
        .ssd(true)
        .iothread(true)
        .cache(QemuScsiCache::Writeback);
    let ipconfig0 = QemuIpconfig::new().ip("10.0.0.5/24").gw("10.0.0.1");
    let cpu = QemuCpu::new().cputype("host").flags("+aes;-pcid");
    let memory = QemuMemory::new().current(2048);
    let agent = QemuAgent::new().enabled(true).fstrim_cloned_disks(true);
    let startup = LxcStartup::new().order(1).up(30).down(60);
    let create = node
        .post_qemu(vmid)
        .name("ci-vm")
        .nets(0, net0.clone())
        .scsis(0, scsi0.clone())
        .ipconfigs(0, ipconfig0.clone())
        .cpu(cpu.clone())
        .memory(memory.clone())
        .agent(agent.clone())
        .startup(startup.clone())
        .cores(2);
    let form = create.to_form().unwrap();
    let sent = |key: &str| form_value(&form, key);
    assert_eq!(
        sent("net0").as_deref(),
        Some("virtio,bridge=vmbr0,firewall=1")
    );
    assert_eq!(
        sent("scsi0").as_deref(),
        Some("local-lvm:32,cache=writeback,iothread=1,ssd=1")
    );
    assert_eq!(
        sent("ipconfig0").as_deref(),
        Some("gw=10.0.0.1,ip=10.0.0.5/24")
    );
    assert_eq!(sent("cpu").as_deref(), Some("host,flags=+aes;-pcid"));
    assert_eq!(sent("memory").as_deref(), Some("2048"));
    assert_eq!(sent("agent").as_deref(), Some("1,fstrim_cloned_disks=1"));
    // The default key (`order`) bare, the others in the schema's (alphabetical) order.
    assert_eq!(sent("startup").as_deref(), Some("1,down=60,up=30"));

    let task = create.task().await.unwrap();
    assert_eq!(task.upid().task_type(), "qmcreate");
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);

    let vm = node.qemu(vmid);
    let cfg = vm.config().get().await.unwrap();
    assert_eq!(cfg.name.as_deref(), Some("ci-vm"));
    assert_eq!(cfg.cores, Some(2));
    // net0: PVE (and fakepve) add a MAC address, written `virtio=MAC`.
    let got = &cfg.nets[&0];
    assert_eq!(got.model, Some(QemuNetModel::Virtio));
    let mac = got.macaddr.clone().expect("a MAC address is assigned");
    assert!(mac.starts_with("BC:24:11:"), "{mac}");
    assert_eq!(got, &net0.clone().macaddr(mac.clone()));
    assert_eq!(
        got.to_string(),
        format!("virtio={mac},bridge=vmbr0,firewall=1")
    );
    // scsi0: `local-lvm:32` is allocated as the VM's first disk (fakepve names it as PVE
    // does), with its size; the options are kept.
    let disk = format!("local-lvm:vm-{vmid}-disk-0");
    let expected_scsi0 = scsi0.clone().file(disk.clone()).size("32G");
    assert_eq!(cfg.scsis[&0], expected_scsi0);
    assert_eq!(cfg.ipconfigs[&0], ipconfig0);
    assert_eq!(cfg.cpu.as_ref(), Some(&cpu));
    assert_eq!(cfg.memory.as_ref(), Some(&memory));
    assert_eq!(cfg.agent.as_ref(), Some(&agent));
    assert_eq!(cfg.startup.as_ref(), Some(&startup));
    // What PVE adds, typed too: the boot order (first disk, first NIC), creation metadata,
    // an SMBIOS UUID.
    let boot = cfg.boot.as_ref().expect("a boot order");
    assert_eq!(boot.order.as_deref(), Some("scsi0;net0"));
    let meta = cfg.meta.as_ref().expect("creation metadata");
    assert!(
        meta.creation_qemu.is_some() && meta.ctime.is_some(),
        "{meta}"
    );
    let smbios = cfg.smbios1.as_ref().expect("smbios1");
    assert_eq!(smbios.uuid.as_ref().map(String::len), Some(36), "{smbios}");

    // One disk option changed: discard=on, on the value read back.
    let changed = cfg.scsis[&0].clone().discard(QemuScsiDiscard::On);
    let put = vm.config().put().scsis(0, changed.clone());
    assert_eq!(
        form_value(&put.to_form().unwrap(), "scsi0"),
        Some(format!(
            "{disk},cache=writeback,discard=on,iothread=1,size=32G,ssd=1"
        ))
    );
    put.await.unwrap();
    let cfg = vm.config().get().await.unwrap();
    assert_eq!(cfg.scsis[&0], changed);
    assert_eq!(
        cfg.scsis[&0],
        expected_scsi0.clone().discard(QemuScsiDiscard::On)
    );

    // A second NIC, then gone again through the typed `delete` list.
    let net1 = QemuNet::e1000()
        .macaddr("BC:24:11:AA:BB:CC")
        .bridge("vmbr1")
        .tag(10)
        .rate(12.5);
    vm.config().put().nets(1, net1.clone()).await.unwrap();
    let cfg = vm.config().get().await.unwrap();
    assert_eq!(cfg.nets[&1], net1);
    assert_eq!(cfg.nets.len(), 2);
    vm.config().put().delete(["net1"]).await.unwrap();
    let cfg = vm.config().get().await.unwrap();
    assert!(!cfg.nets.contains_key(&1), "{:?}", cfg.nets);
    assert_eq!(cfg.nets.keys().collect::<Vec<_>>(), [&0]);
}

// ------------------------------------------------------------------------------------- 8

async fn bad_typed_values_are_refused_before_anything_is_sent(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let node = client.nodes("pve1");
    let seen_before = pve.requests().await.len();

    let cases: Vec<(&str, &str, Error)> = vec![
        (
            "net0.tag",
            "maximum",
            node.post_qemu(120)
                .nets(0, QemuNet::virtio().bridge("vmbr0").tag(5000))
                .await
                .unwrap_err(),
        ),
        (
            "name",
            "format dns-name",
            node.post_qemu(121).name("ci_vm").await.unwrap_err(),
        ),
        (
            "description",
            "maxLength",
            node.post_qemu(121)
                .description("x".repeat(8193))
                .await
                .unwrap_err(),
        ),
        (
            "ipconfig0.ip",
            "format pve-ipv4-config",
            node.post_qemu(122)
                .ipconfigs(0, QemuIpconfig::new().ip("10.0.0.500/24"))
                .await
                .unwrap_err(),
        ),
        (
            "net0.model",
            "required",
            node.post_qemu(123)
                .nets(0, QemuNet::new().bridge("vmbr0"))
                .await
                .unwrap_err(),
        ),
        (
            "vmid",
            "format pve-vmid",
            node.post_qemu(99).await.unwrap_err(),
        ),
        (
            "memory.current",
            "minimum",
            node.qemu(101)
                .config()
                .put()
                .memory(QemuMemory::new().current(8))
                .await
                .unwrap_err(),
        ),
        (
            "net1.tag",
            "minimum",
            node.qemu(101)
                .config()
                .put()
                .nets(1, QemuNet::virtio().tag(0))
                .await
                .unwrap_err(),
        ),
    ];
    for (param, rule, err) in cases {
        let shown = err.to_string();
        let e = validation_error(err);
        assert_eq!((e.param.as_str(), e.rule.as_str()), (param, rule), "{e:?}");
        assert!(shown.contains(param), "{shown}");
    }

    // `validate()` and `to_form()` say the same without sending anything.
    let bad = node
        .post_qemu(124)
        .nets(0, QemuNet::virtio().bridge("vmbr0").tag(5000));
    assert_eq!(
        validation_error(bad.validate().unwrap_err()).param,
        "net0.tag"
    );
    assert_eq!(
        validation_error(bad.to_form().unwrap_err()).param,
        "net0.tag"
    );
    let e = validation_error(bad.await.unwrap_err());
    assert_eq!(e.message, "value must have a maximum value of 4094");

    // Nothing reached the peer...
    assert_eq!(pve.requests().await.len(), seen_before);
    // ...and no VM was made.
    let mut vmids: Vec<i64> = node
        .get_qemu()
        .await
        .unwrap()
        .iter()
        .map(|vm| vm.vmid)
        .collect();
    vmids.sort();
    assert_eq!(vmids, [100, 101]);
}

// ------------------------------------------------------------------------------------- 9

async fn the_read_only_typed_calls_work_with_an_api_token(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        Options {
            scenarios: vec![Scenario::ApiToken],
            ..Options::default()
        },
    )
    .await;
    let (id, secret) = pve.token();
    let client = pve.builder().api_token(&id, &secret).build().unwrap();
    assert!(client.session().is_none(), "a token client has no ticket");

    assert_eq!(guest_lines(&client).await, seed_lines());

    let version = client.version().get().await.unwrap();
    assert_eq!(version.version, pve.version().version);
    assert_eq!(version.release, pve.version().release);

    let node = client.nodes("pve1");
    let status = node.qemu(100).status().current().get().await.unwrap();
    assert_eq!(status.status.as_str(), "running");
    assert_eq!(status.name.as_deref(), Some("web"));

    let rrd = node
        .rrd()
        .get(rrd::get::Required {
            ds: ["cpu"].into(),
            timeframe: rrd::get::Timeframe::Hour,
        })
        .await
        .unwrap();
    assert!(!rrd.filename.is_empty());
    node.rrddata()
        .get(rrddata::get::Timeframe::Hour)
        .await
        .unwrap();

    let users = client.access().get_users().await.unwrap();
    assert!(users.iter().any(|u| u.userid == "root@pam"));

    // The seed VM's config, typed.
    let cfg = node.qemu(100).config().get().await.unwrap();
    assert_eq!(
        cfg.nets[&0],
        QemuNet::virtio()
            .macaddr("BC:24:11:00:00:01")
            .bridge("vmbr0")
            .firewall(true)
    );
    assert_eq!(
        cfg.scsis[&0],
        QemuScsi::new().file("local-lvm:vm-100-disk-0").size("32G")
    );
    assert_eq!(cfg.memory, Some(QemuMemory::new().current(2048)));

    let content = node.storage("local").get_content().await.unwrap();
    assert!(content.is_empty(), "{content:?}");
}

// ------------------------------------------------------------------------------------ 10

/// Serialize writes what PVE accepts: a guest's typed config, serialised with serde and sent
/// back as the parameters of a config write (every key, unchanged: `digest` included, so PVE
/// also checks nothing changed in between), is accepted, and reads back as an equal value —
/// but for a container's `unprivileged`, which PVE refuses to be written at all.
async fn a_serialised_config_is_accepted_back_unchanged(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let client = pve.login().await;
    let node = client.nodes("pve1");

    let vm = node.qemu(100).config().get().await.unwrap();
    let params = serde_json::to_value(&vm).unwrap();
    // What the writer changed: nothing is lost or added by going through the typed value.
    assert_eq!(params["cores"], json!(2), "{params}");
    let sent = client
        .raw("nodes/pve1/qemu/100/config")
        .put(&params)
        .await
        .map_err(|e| format!("{e}\nparams: {params}"));
    assert!(sent.is_ok(), "{}", sent.unwrap_err());
    let again = node.qemu(100).config().get().await.unwrap();
    assert_eq!(
        serde_json::to_value(&again.nets).unwrap(),
        serde_json::to_value(&vm.nets).unwrap()
    );

    // pve-container refuses `unprivileged` in every config write, even unchanged
    // (`src/PVE/LXC/Config.pm` 1356: "unable to modify read-only option"): both peers do too.
    let ct = node.lxc(200).config().get().await.unwrap();
    let params = serde_json::to_value(&ct).unwrap();
    let refused = client
        .raw("nodes/pve1/lxc/200/config")
        .put(&params)
        .await
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        "unable to modify read-only option: 'unprivileged' (HTTP 500 on PUT nodes/pve1/lxc/200/config) (the write may have been carried out: not safe to retry blindly)"
    );
    // Read again: fakepve moves the digest on even for a refused write.
    let ct = node.lxc(200).config().get().await.unwrap();
    let mut params = serde_json::to_value(&ct).unwrap();
    params.as_object_mut().unwrap().remove("unprivileged");
    let sent = client
        .raw("nodes/pve1/lxc/200/config")
        .put(&params)
        .await
        .map_err(|e| format!("{e}\nparams: {params}"));
    assert!(sent.is_ok(), "{}", sent.unwrap_err());
    let again = node.lxc(200).config().get().await.unwrap();
    assert_eq!(again.hostname, ct.hostname);
}

peer_tests!(
    a_serialised_config_is_accepted_back_unchanged,
    nodes_and_guests_are_listed_with_typed_fields,
    vm_status_current_is_typed,
    node_rrd_and_rrddata_are_typed,
    uploaded_template_is_listed_and_its_volume_read_through_typed_paths,
    container_is_created_with_typed_property_strings_and_reads_back_equal,
    users_are_listed_and_a_missing_one_is_created,
    vm_is_created_with_typed_property_strings_changed_and_a_nic_removed,
    bad_typed_values_are_refused_before_anything_is_sent,
    the_read_only_typed_calls_work_with_an_api_token,
);
