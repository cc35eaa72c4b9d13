//! An embedded fake Proxmox VE server for tests (cargo feature `mock`).
//!
//! ```no_run
//! # async fn demo() -> proxmoxia::Result<()> {
//! use proxmoxia::mock::{Fault, MockPve};
//!
//! let pve = MockPve::start().await?;
//! let client = pve.login().await?;
//! let vms = client.nodes("pve1").get_qemu().await?;
//! assert_eq!(vms.len(), 2);
//!
//! // Script a fault: the next start of VM 101 ends in `TASK ERROR`.
//! pve.fail_next("POST", "/nodes/pve1/qemu/101/status/start", Fault::TaskError("no disk".into()));
//! let task = client.nodes("pve1").qemu(101).status().start().post().task().await?;
//! assert!(task.wait().await.is_err());
//! # Ok(()) }
//! ```
//!
//! What it models, and what it does not:
//!
//! * It serves HTTPS on 127.0.0.1 (a free port) with a certificate made at start (or one you
//!   give, [`MockPveBuilder::certificate`]); clients trust its CA or pin its fingerprint
//!   ([`MockPve::client_builder`]), no insecure mode needed. It stops on drop: its open
//!   connections (a client's pooled keep-alive ones too) are closed, and nothing answers.
//! * Every path and method of the vendored schema answers. Parameters are checked with the
//!   same generated rules and checker the client uses (PVE's 400 with per-parameter
//!   `errors`); unknown paths get PVE's 501; a missing guest, user, storage or volume gets
//!   PVE's 500 "does not exist" form; an unknown node, PVE's hostname lookup error.
//! * State is kept for: nodes; QEMU and LXC guests (create with disk allocation, the id
//!   taken from the request on, config get/put with pending changes and `delete`, status,
//!   start/stop/shutdown/reboot/suspend/resume/reset, delete, snapshots with their tree and
//!   rollback); tasks (real UPIDs, logs, a configurable duration, failures); storages and
//!   their content (allocation, upload, download-url, delete; the guests' disks are on
//!   their storage); users, groups and API tokens (expiry, disabled users); tickets (expiry,
//!   renewal, CSRF) and the TFA second step.
//! * A request that has arrived is handled to the end, as PVE does, even if the client gives
//!   up waiting (a timeout during a [`Fault::Delay`]): a write still happens.
//! * Guest tasks take the guest's config lock as PVE's workers do: while it is held
//!   ([`MockPve::hold_config_lock`]) they wait up to [`MockPve::set_lock_wait`], then fail
//!   with PVE's "can't lock file ... got timeout"; a config `PUT` waits the same way.
//! * Directory indexes (`GET /cluster/config`, `/nodes/{node}`) list the schema's sub-paths;
//!   everything else answers data shaped like the schema's `returns` (writes that answer a
//!   task start one that succeeds) and changes nothing.
//! * Trouble to stage: scripted faults per request ([`Fault`]: errors, task errors, proxy
//!   error pages, dropped connections, delays), a slow network ([`MockPve::set_latency`]),
//!   offline nodes, lost quorum, revoked or short-lived tickets.
//! * With the `console` feature, consoles: `termproxy`, `vncproxy` and `vncwebsocket` with
//!   PVE's framing and refusals, a small shell behind terminals and an RFB 3.8 handshake
//!   behind VNC (see `proxmoxia::console`).
//! * Not modelled: permissions and ACLs (every user may do everything), HA, clustering
//!   (migration between nodes), firewall, SDN, Ceph, backups, pools' members. Ticket and
//!   token checks are real, but there is no real security: it is a test server.

#[cfg(feature = "console")]
mod console;
mod dispatch;
mod handlers;
mod live;
mod paths;
mod request;
mod sample;
mod server;
mod state;
mod transfer;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use state::{Fault, Kind};

use crate::error::{Error, Result};
use crate::{Client, ClientBuilder, Fingerprint};

/// A guest to add to the fake: `GuestSpec::qemu(100).name("web").running()`.
#[derive(Debug, Clone)]
pub struct GuestSpec {
    vmid: u32,
    kind: Kind,
    node: String,
    running: bool,
    config: BTreeMap<String, String>,
    start_error: Option<String>,
}

impl GuestSpec {
    /// A stopped QEMU VM.
    pub fn qemu(vmid: u32) -> GuestSpec {
        GuestSpec {
            vmid,
            kind: Kind::Qemu,
            node: "pve1".into(),
            running: false,
            config: BTreeMap::from([
                ("memory".into(), "2048".into()),
                ("cores".into(), "2".into()),
            ]),
            start_error: None,
        }
    }

    /// A stopped LXC container.
    pub fn lxc(vmid: u32) -> GuestSpec {
        GuestSpec {
            vmid,
            kind: Kind::Lxc,
            node: "pve1".into(),
            running: false,
            config: BTreeMap::from([
                ("memory".into(), "512".into()),
                ("ostype".into(), "debian".into()),
                ("arch".into(), "amd64".into()),
                (
                    "rootfs".into(),
                    format!("local-lvm:vm-{vmid}-disk-0,size=8G"),
                ),
            ]),
            start_error: None,
        }
    }

    /// Its name (`name` of a VM, `hostname` of a container).
    pub fn name(self, name: &str) -> GuestSpec {
        let key = if self.kind == Kind::Qemu {
            "name"
        } else {
            "hostname"
        };
        self.config(key, name)
    }

    /// The node it is on (default `pve1`; the node is added if missing).
    pub fn node(mut self, node: &str) -> GuestSpec {
        self.node = node.to_owned();
        self
    }

    /// Running.
    pub fn running(mut self) -> GuestSpec {
        self.running = true;
        self
    }

    /// A configuration key, as PVE writes it (`net0`, `virtio=...,bridge=vmbr0`).
    pub fn config(mut self, key: &str, value: &str) -> GuestSpec {
        self.config.insert(key.to_owned(), value.to_owned());
        self
    }

    /// Locked (`backup`, `migrate`, `snapshot`, ...): its starts fail with "VM is locked
    /// (backup)" ("CT is locked (backup)" for a container).
    pub fn locked(self, lock: &str) -> GuestSpec {
        self.config("lock", lock)
    }

    /// Its start tasks fail with this message.
    pub fn start_error(mut self, message: &str) -> GuestSpec {
        self.start_error = Some(message.to_owned());
        self
    }
}

/// A guest of the fake, as it is now.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GuestView {
    /// Its id.
    pub vmid: u32,
    /// VM or container.
    pub kind: Kind,
    /// Its node.
    pub node: String,
    /// Running.
    pub running: bool,
    /// The configuration as PVE stores it.
    pub config: BTreeMap<String, String>,
    /// Changes waiting for the next start (`None`: delete).
    pub pending: BTreeMap<String, Option<String>>,
    /// Snapshot names.
    pub snapshots: Vec<String>,
}

/// A task of the fake.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskView {
    /// Its UPID.
    pub upid: String,
    /// `OK`, the error, or `None` while running.
    pub exitstatus: Option<String>,
    /// Its log.
    pub log: Vec<String>,
}

/// How to set up a [`MockPve`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MockPveBuilder {
    user: String,
    password: String,
    seed: bool,
    /// Certificate chain and key (PEM) to serve instead of generated ones.
    identity: Option<(String, String)>,
    /// The vendored PVE version to play (index in `crate::api::PVE_VERSIONS`), or a label
    /// that names none (reported by `start`).
    pve_version: std::result::Result<usize, String>,
}

impl MockPveBuilder {
    /// The login user (default `root@pam`).
    pub fn user(mut self, user: &str) -> MockPveBuilder {
        self.user = user.to_owned();
        self
    }

    /// Its password (default `secret`).
    pub fn password(mut self, password: &str) -> MockPveBuilder {
        self.password = password.to_owned();
        self
    }

    /// Start without the example guests and template (only node `pve1` and the storages
    /// `local` and `local-lvm`).
    pub fn empty(mut self) -> MockPveBuilder {
        self.seed = false;
        self
    }

    /// Serve this certificate (PEM: the server's first, then any intermediates) and private
    /// key (PEM) instead of ones signed by a CA made at start: e.g. a self-signed one, as a
    /// fresh PVE node has. [`MockPve::ca_pem`] is then empty and
    /// [`MockPve::client_builder`] pins the certificate's fingerprint.
    pub fn certificate(mut self, cert_pem: &str, key_pem: &str) -> MockPveBuilder {
        self.identity = Some((cert_pem.to_owned(), key_pem.to_owned()));
        self
    }

    /// Play this PVE version (default: the newest vendored one): `8.4.17`, `9.1.11`, `9.2`,
    /// or a release line (`8.4`). `GET /version` answers it, paths that version does not
    /// have are PVE's 501, parameters and values it does not have are refused with its 400,
    /// and answers follow its schema. Any of [`crate::api::PVE_VERSIONS`].
    pub fn pve_version(mut self, version: &str) -> MockPveBuilder {
        let vendored = crate::api::PVE_VERSIONS;
        let line = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
        self.pve_version = vendored
            .iter()
            .position(|v| *v == version)
            .or_else(|| vendored.iter().position(|v| line(v) == version))
            .ok_or_else(|| {
                format!(
                    "the mock plays the vendored PVE versions ({}), not {version:?}",
                    vendored.join(", ")
                )
            });
        self
    }

    /// Starts the server.
    pub async fn start(self) -> Result<MockPve> {
        MockPve::start_with(self).await
    }
}

/// A fake PVE cluster on 127.0.0.1, for tests. See the [module docs](self).
pub struct MockPve {
    url: String,
    ca_pem: String,
    cert_pem: String,
    fingerprint: Fingerprint,
    user: String,
    password: String,
    state: Arc<Mutex<state::State>>,
    server: tokio::task::JoinHandle<()>,
    /// Dropped with the fake: every connection, and every request still being worked on,
    /// stops.
    _stop: tokio::sync::watch::Sender<()>,
}

impl std::fmt::Debug for MockPve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockPve")
            .field("url", &self.url)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Drop for MockPve {
    fn drop(&mut self) {
        // The accept loop; the connections (keep-alive ones included) and requests in work
        // stop when `_stop` is dropped.
        self.server.abort();
    }
}

/// The template the default cluster holds, so a container can be created at once.
pub const SEED_TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

impl MockPve {
    /// A fake cluster: node `pve1`; VM 100 `web` (running), VM 101 `db` (stopped), container
    /// 200 `dns` (running); storages `local` (with a Debian template, [`SEED_TEMPLATE`]) and
    /// `local-lvm`; user `root@pam` with password `secret`.
    pub async fn start() -> Result<MockPve> {
        MockPve::builder().start().await
    }

    /// A fake cluster, set up step by step.
    pub fn builder() -> MockPveBuilder {
        MockPveBuilder {
            user: "root@pam".into(),
            password: "secret".into(),
            seed: true,
            identity: None,
            pve_version: Ok(crate::api::PVE_VERSIONS.len().saturating_sub(1)),
        }
    }

    async fn start_with(options: MockPveBuilder) -> Result<MockPve> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let setup = |e: &dyn std::fmt::Display| Error::Config(format!("mock PVE set-up: {e}"));
        let schema = options.pve_version.clone().map_err(|e| setup(&e))?;
        let (ca_pem, cert_pem, chain, key) = match &options.identity {
            None => {
                let (ca_pem, cert_pem, cert_der, key_der) = certificate().map_err(|e| setup(&e))?;
                let key = PrivateKeyDer::Pkcs8(key_der.into());
                (ca_pem, cert_pem, vec![CertificateDer::from(cert_der)], key)
            }
            Some((cert_pem, key_pem)) => {
                let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|e| setup(&e))?;
                let key =
                    PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| setup(&e))?;
                (String::new(), cert_pem.clone(), chain, key)
            }
        };
        let leaf = chain
            .first()
            .ok_or_else(|| setup(&"no certificate in the PEM"))?;
        let fingerprint = Fingerprint::of_der(leaf);
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| setup(&e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| setup(&e))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| setup(&e))?;
        let port = listener.local_addr().map_err(|e| setup(&e))?.port();
        let mut state = state::State::new(&options.user, &options.password);
        state.play_version(schema);
        let state = Arc::new(Mutex::new(state));
        let (stop, stopped) = tokio::sync::watch::channel(());
        let server = tokio::spawn(server::serve(
            listener,
            tokio_rustls::TlsAcceptor::from(Arc::new(tls)),
            state.clone(),
            stopped,
        ));
        let pve = MockPve {
            url: format!("https://127.0.0.1:{port}"),
            ca_pem,
            cert_pem,
            fingerprint,
            user: options.user,
            password: options.password,
            state,
            server,
            _stop: stop,
        };
        if options.seed {
            pve.add_guest(
                GuestSpec::qemu(100)
                    .name("web")
                    .running()
                    .config("net0", "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1")
                    .config("scsi0", "local-lvm:vm-100-disk-0,size=32G")
                    .config("ostype", "l26"),
            );
            pve.add_guest(
                GuestSpec::qemu(101)
                    .name("db")
                    .config("memory", "4096")
                    .config("net0", "virtio=BC:24:11:00:00:02,bridge=vmbr0"),
            );
            pve.add_guest(GuestSpec::lxc(200).name("dns").running());
            pve.store_file(SEED_TEMPLATE, 120 << 20);
        }
        Ok(pve)
    }

    fn state(&self) -> MutexGuard<'_, state::State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The CA certificate (PEM) that signed the server's certificate; empty for a certificate
    /// given with [`MockPveBuilder::certificate`].
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The server's certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The SHA-256 fingerprint of the server's certificate.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The login user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The login password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A client builder for this server, trusting its CA (only), or pinning its certificate's
    /// fingerprint when it was given with [`MockPveBuilder::certificate`].
    pub fn client_builder(&self) -> ClientBuilder {
        let builder = Client::builder(&self.url);
        if self.ca_pem.is_empty() {
            builder.fingerprint(&self.fingerprint.to_string())
        } else {
            builder
                .add_ca_pem(self.ca_pem.as_bytes())
                .builtin_roots(false)
        }
    }

    /// A client for this server, not logged in.
    pub fn client(&self) -> Result<Client> {
        self.client_builder().build()
    }

    /// A client logged in as the default user.
    pub async fn login(&self) -> Result<Client> {
        let client = self.client()?;
        client.login(&self.user, &self.password).await?;
        Ok(client)
    }

    // ------------------------------------------------------------------- cluster

    /// Adds a node (online).
    pub fn add_node(&self, node: &str) {
        self.state().nodes.insert(node.to_owned(), true);
    }

    /// Takes a node offline (its requests get PVE's 595) or back online.
    pub fn set_node_online(&self, node: &str, online: bool) {
        self.state().nodes.insert(node.to_owned(), online);
    }

    /// The cluster loses quorum: every write but the login fails, with "cluster not ready - no
    /// quorum?" (guests, storage, nodes) or, for users, groups and tokens, the failed lock of
    /// `user.cfg` ("create user failed: cfs-lock 'file-user_cfg' error: no quorum!").
    pub fn lose_quorum(&self) {
        self.state().quorate = false;
    }

    /// Undoes [`lose_quorum`](MockPve::lose_quorum).
    pub fn regain_quorum(&self) {
        self.state().quorate = true;
    }

    /// How long tasks take from now on (default: they end at once). While a task runs its
    /// status is `running` and its log has its opening line (`qmstart 101: started`, or the
    /// task's own, as an upload's `starting file import from: ...`); its effect (a VM
    /// starting, a snapshot taken), the rest of its log and `TASK OK` come when it ends
    /// ([`end_task`](MockPve::end_task) ends one now). A guest being created holds its id from the request on, with only the `create`
    /// lock in its config (as PVE's), and gets its configuration when the task ends.
    pub fn set_task_duration(&self, duration: Duration) {
        self.state().task_duration = duration;
    }

    /// Every answer from now on comes this much later, logins included (a slow network or an
    /// overloaded node). Default: none.
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = latency;
    }

    // -------------------------------------------------------------------- guests

    /// Adds a guest (replacing one with the same id). Its disks (`scsi0`, `rootfs`, ...
    /// naming a volume on one of the fake's storages, e.g.
    /// `local-lvm:vm-100-disk-0,size=32G`) are put on their storage if missing, with the
    /// `size` given.
    pub fn add_guest(&self, spec: GuestSpec) {
        let mut state = self.state();
        state.nodes.entry(spec.node.clone()).or_insert(true);
        handlers::register_disks(&mut state, spec.kind, spec.vmid, &spec.config);
        state.guests.insert(
            spec.vmid,
            state::Guest {
                vmid: spec.vmid,
                node: spec.node,
                kind: spec.kind,
                running: spec.running,
                paused: false,
                config: spec.config,
                pending: BTreeMap::new(),
                snapshots: BTreeMap::new(),
                parent: None,
                started_at: spec.running.then(std::time::Instant::now),
                start_error: spec.start_error,
            },
        );
    }

    /// Adds a stopped VM with a name.
    pub fn add_vm(&self, vmid: u32, name: &str) {
        self.add_guest(GuestSpec::qemu(vmid).name(name));
    }

    /// Adds a stopped container with a host name.
    pub fn add_ct(&self, vmid: u32, hostname: &str) {
        self.add_guest(GuestSpec::lxc(vmid).name(hostname));
    }

    /// A guest as it is now.
    pub fn guest(&self, vmid: u32) -> Option<GuestView> {
        let mut state = self.state();
        state.advance();
        state.guests.get(&vmid).map(|g| GuestView {
            vmid: g.vmid,
            kind: g.kind,
            node: g.node.clone(),
            running: g.running,
            config: g.config.clone(),
            pending: g.pending.clone(),
            snapshots: g.snapshots.keys().cloned().collect(),
        })
    }

    /// Every guest's id.
    pub fn guest_ids(&self) -> Vec<u32> {
        let mut state = self.state();
        state.advance();
        state.guests.keys().copied().collect()
    }

    /// Locks a guest (as an unfinished backup would), or unlocks it with `None`.
    pub fn set_lock(&self, vmid: u32, lock: Option<&str>) {
        if let Some(g) = self.state().guests.get_mut(&vmid) {
            match lock {
                Some(l) => g.config.insert("lock".into(), l.into()),
                None => g.config.remove("lock"),
            };
        }
    }

    /// Another task holds a guest's config lock (PVE's `lock-<vmid>.conf` flock, not the
    /// `lock` config key), for `duration` or, with `None`, until
    /// [`release_config_lock`](MockPve::release_config_lock). Meanwhile the guest's tasks
    /// (start, stop, config, snapshot, destroy, ...) and config `PUT`s wait for it up to the
    /// [lock wait](MockPve::set_lock_wait), then fail with PVE's
    /// `can't lock file '/var/lock/qemu-server/lock-<vmid>.conf' - got timeout` (a task
    /// error, or a 500 for the `PUT`). Holding a held lock again changes only its end.
    pub fn hold_config_lock(&self, vmid: u32, duration: Option<Duration>) {
        let mut state = self.state();
        state.advance();
        let now = std::time::Instant::now();
        let until = duration.map(|d| now + d);
        match state.config_locks.get_mut(&vmid) {
            Some(lock) if lock.held_at(now) => lock.until = until,
            // Tasks that waited for an earlier hold are settled by `advance`.
            _ => {
                state
                    .config_locks
                    .insert(vmid, state::ConfigLock { since: now, until });
            }
        }
    }

    /// Releases a lock taken by [`hold_config_lock`](MockPve::hold_config_lock): a waiting
    /// task or request gets it now.
    pub fn release_config_lock(&self, vmid: u32) {
        let mut state = self.state();
        state.advance();
        let now = std::time::Instant::now();
        if let Some(lock) = state.config_locks.get_mut(&vmid).filter(|l| l.held_at(now)) {
            lock.until = Some(now);
        }
    }

    /// How long a task or a config write waits for a held config lock before it fails (PVE:
    /// 10 s). Default: not at all, as the fake's tasks end at once; tasks started from now
    /// on use the new wait.
    pub fn set_lock_wait(&self, wait: Duration) {
        self.state().lock_wait = wait;
    }

    /// Makes a guest's start tasks fail with `message` (or succeed again with `None`).
    pub fn set_start_error(&self, vmid: u32, message: Option<&str>) {
        if let Some(g) = self.state().guests.get_mut(&vmid) {
            g.start_error = message.map(str::to_owned);
        }
    }

    // ------------------------------------------------------------------- storage

    /// Puts a file on a storage, as an upload would: `local:iso/debian.iso`,
    /// `local:vztmpl/debian-12.tar.zst`.
    pub fn store_file(&self, volid: &str, size: u64) {
        let mut state = self.state();
        let Some((storage, name)) = volid.split_once(':') else {
            return;
        };
        let content = name.split('/').next().unwrap_or("iso").to_owned();
        if let Some(s) = state.storages.get_mut(storage) {
            s.volumes.insert(
                volid.to_owned(),
                state::Volume {
                    content,
                    size,
                    format: name.rsplit('.').next().unwrap_or("raw").to_owned(),
                    ctime: state::unix_now(),
                    vmid: None,
                    notes: None,
                    protected: false,
                },
            );
        }
    }

    /// The volume ids on a storage.
    pub fn volumes(&self, storage: &str) -> Vec<String> {
        let mut state = self.state();
        state.advance();
        state
            .storages
            .get(storage)
            .map(|s| s.volumes.keys().cloned().collect())
            .unwrap_or_default()
    }

    // -------------------------------------------------------------------- access

    /// Adds a user with a password (`user@realm`).
    pub fn add_user(&self, userid: &str, password: &str) {
        let mut state = self.state();
        state.users.insert(
            userid.to_owned(),
            state::User {
                password: Some(password.to_owned()),
                attrs: BTreeMap::from([("enable".into(), "1".into())]),
                ..state::User::default()
            },
        );
    }

    /// The user ids.
    pub fn user_ids(&self) -> Vec<String> {
        self.state().users.keys().cloned().collect()
    }

    /// Adds an API token (`user@realm!name`, no expiry) and returns its secret. It
    /// authenticates while its user exists and is enabled.
    pub fn add_token(&self, tokenid: &str) -> String {
        let mut state = self.state();
        let secret = state.random_hex(16);
        state.tokens.insert(
            tokenid.to_owned(),
            state::Token {
                secret: secret.clone(),
                attrs: BTreeMap::new(),
            },
        );
        secret
    }

    /// Gives a user a second factor: logging in then needs `totp` (or one of `recovery`,
    /// each usable once) as the answer to PVE's TFA challenge.
    pub fn enable_tfa(&self, userid: &str, totp: &str, recovery: &[&str]) {
        if let Some(u) = self.state().users.get_mut(userid) {
            u.tfa = Some(state::Tfa {
                totp: totp.to_owned(),
                recovery: recovery.iter().map(|r| (*r).to_owned()).collect(),
            });
        }
    }

    /// How long tickets from now on are valid (PVE: two hours).
    pub fn set_ticket_lifetime(&self, lifetime: Duration) {
        self.state().ticket_lifetime = lifetime;
    }

    /// Sets the fake's clock this many seconds ahead of the machine's (negative: behind), as
    /// on a node whose clock is wrong: tickets carry its time, answers its `Date` header, and
    /// tickets expire by it (moving the clock two hours on expires every ticket, as waiting
    /// would, without a test racing the wall clock).
    pub fn set_clock_offset(&self, seconds: i64) {
        self.state().clock_offset = seconds;
    }

    /// Forgets every ticket: the next request with one gets a 401.
    pub fn revoke_tickets(&self) {
        self.state().tickets.clear();
    }

    /// Every ticket issued so far expires now, as if its lifetime had passed (without a
    /// test waiting for it): the next request with one gets PVE's 401, and it cannot be
    /// renewed. Tickets issued later last [`set_ticket_lifetime`](MockPve::set_ticket_lifetime).
    pub fn expire_tickets(&self) {
        let mut state = self.state();
        let now = state.server_now();
        for ticket in state.tickets.values_mut() {
            ticket.expires = ticket.expires.min(now);
        }
    }

    // -------------------------------------------------------------------- faults

    /// The next request matching `method` and `path` gets `fault`. `path` is concrete
    /// (`/nodes/pve1/qemu/100/status/start`) or a schema template (`{vmid}` matches any
    /// one segment, a volume id with a `/` included). In a concrete path, write a `/`
    /// inside a segment as `%2F`, as [`requests`](MockPve::requests) shows it.
    pub fn fail_next(&self, method: &str, path: &str, fault: Fault) {
        self.fail_times(method, path, fault, 1);
    }

    /// The next `times` matching requests get `fault` (none for `0`).
    pub fn fail_times(&self, method: &str, path: &str, fault: Fault, times: u32) {
        if times == 0 {
            return;
        }
        self.state().faults.push(state::FaultRule {
            method: method.to_owned(),
            path: path.to_owned(),
            fault,
            remaining: Some(times),
        });
    }

    /// Every matching request gets `fault`, until [`clear_faults`](MockPve::clear_faults).
    pub fn fail_always(&self, method: &str, path: &str, fault: Fault) {
        self.state().faults.push(state::FaultRule {
            method: method.to_owned(),
            path: path.to_owned(),
            fault,
            remaining: None,
        });
    }

    /// Removes every registered fault.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    // ------------------------------------------------------------------- inspect

    /// Every request received, oldest first: (method, path under `/api2/json`), the path
    /// unescaped but for a `/` inside a segment, which stays `%2F`
    /// (`/nodes/pve1/storage/local/content/local:iso%2Fdebian.iso`).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state().requests.clone()
    }

    /// Waits until `done` holds: it is asked now and again each time the fake has received a
    /// request, answered one, or carried one out after a delay or a lock wait. So a test can
    /// wait for the fake's side of a call it does not await (a request cancelled mid-flight,
    /// a write waiting for a lock) without a clock. It waits as long as `done` is false: give
    /// it a deadline.
    ///
    /// ```no_run
    /// # async fn demo(pve: proxmoxia::mock::MockPve) {
    /// use std::time::Duration;
    ///
    /// let started = pve.wait_until(|pve| pve.guest(101).is_some_and(|vm| vm.running));
    /// tokio::time::timeout(Duration::from_secs(30), started)
    ///     .await
    ///     .expect("VM 101 runs");
    /// # }
    /// ```
    pub async fn wait_until(&self, mut done: impl FnMut(&MockPve) -> bool) {
        // Subscribed before the first look: a step after it is not missed.
        let mut steps = self.state().steps.subscribe();
        while !done(self) {
            if steps.changed().await.is_err() {
                // Not while `self` lives (the sender is in its state); nothing else would
                // change the state then, so wait as `done` says: for ever.
                std::future::pending::<()>().await;
            }
        }
    }

    /// Every task, oldest first.
    pub fn tasks(&self) -> Vec<TaskView> {
        let mut state = self.state();
        state.advance();
        state
            .tasks
            .iter()
            .map(|t| TaskView {
                upid: t.upid.clone(),
                exitstatus: t.exitstatus.clone(),
                log: t.log.clone(),
            })
            .collect()
    }
}

/// A CA and a certificate for 127.0.0.1 and localhost it signed: (CA PEM, cert PEM, cert DER,
/// key DER).
fn certificate() -> std::result::Result<(String, String, Vec<u8>, Vec<u8>), rcgen::Error> {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Proxmoxia mock PVE CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    params.distinguished_name.push(DnType::CommonName, "pve1");
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &ca)?;
    Ok((
        ca.pem(),
        cert.pem(),
        cert.der().to_vec(),
        key.serialize_der(),
    ))
}
