//! The fake cluster's state: nodes, guests, storages, users, tickets, tasks, faults.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// A guest's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A QEMU virtual machine.
    Qemu,
    /// An LXC container.
    Lxc,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Qemu => "qemu",
            Kind::Lxc => "lxc",
        }
    }

    /// `VM` or `CT`, as PVE's messages name the kind (`guest_type`).
    pub(crate) fn what(self) -> &'static str {
        match self {
            Kind::Qemu => "VM",
            Kind::Lxc => "CT",
        }
    }

    /// The name of PVE's task doing `action` to a guest of this kind (`qmstart`, `vzstart`).
    pub(crate) fn worker(self, action: &str) -> String {
        let prefix = match self {
            Kind::Qemu => "qm",
            Kind::Lxc => "vz",
        };
        format!("{prefix}{action}")
    }

    /// PVE's refusal for a guest locked with `lock`.
    pub(crate) fn locked(self, lock: &str) -> String {
        format!("{} is locked ({lock})", self.what())
    }

    /// The directory PVE keeps the guest's configuration in (for error messages).
    pub(crate) fn config_dir(self) -> &'static str {
        match self {
            Kind::Qemu => "qemu-server",
            Kind::Lxc => "lxc",
        }
    }
}

/// A guest (VM or container).
#[derive(Debug, Clone)]
pub struct Guest {
    pub(crate) vmid: u32,
    pub(crate) node: String,
    pub(crate) kind: Kind,
    pub(crate) running: bool,
    pub(crate) paused: bool,
    /// The configuration as PVE stores it: key -> text.
    pub(crate) config: BTreeMap<String, String>,
    /// Changes waiting for the next start: key -> new value (`None`: delete).
    pub(crate) pending: BTreeMap<String, Option<String>>,
    pub(crate) snapshots: BTreeMap<String, Snapshot>,
    /// The parent of the current state (`current` in the snapshot list): the snapshot taken
    /// or rolled back to last (PVE's `parent` config key).
    pub(crate) parent: Option<String>,
    pub(crate) started_at: Option<Instant>,
    /// The start task fails with this message (e.g. a missing disk).
    pub(crate) start_error: Option<String>,
}

impl Guest {
    pub(crate) fn name(&self) -> String {
        self.config
            .get(match self.kind {
                Kind::Qemu => "name",
                Kind::Lxc => "hostname",
            })
            .cloned()
            .unwrap_or_else(|| format!("{} {}", self.kind.what(), self.vmid))
    }

    pub(crate) fn lock(&self) -> Option<&str> {
        self.config.get("lock").map(String::as_str)
    }

    /// PVE's refusal for a locked guest (`AbstractConfig::check_lock`): `VM is locked
    /// (backup)`, `CT is locked (backup)`.
    pub(crate) fn locked(&self) -> Option<String> {
        self.lock().map(|lock| self.kind.locked(lock))
    }

    pub(crate) fn status(&self) -> &'static str {
        if self.running { "running" } else { "stopped" }
    }

    pub(crate) fn template(&self) -> bool {
        self.config.get("template").is_some_and(|t| t == "1")
    }

    /// Applies pending changes (a start or reboot does this).
    pub(crate) fn apply_pending(&mut self) {
        for (key, value) in std::mem::take(&mut self.pending) {
            match value {
                Some(v) => {
                    self.config.insert(key, v);
                }
                None => {
                    self.config.remove(&key);
                }
            }
        }
    }

    /// Memory in MiB, from `memory` (a number, or the `current=` property string).
    pub(crate) fn memory_mib(&self) -> u64 {
        let text = self
            .config
            .get("memory")
            .map(String::as_str)
            .unwrap_or("512");
        let value = text
            .split(',')
            .find_map(|part| match part.split_once('=') {
                Some(("current", v)) => Some(v),
                Some(_) => None,
                None => Some(part),
            })
            .unwrap_or("512");
        value.trim().parse().unwrap_or(512)
    }
}

/// A snapshot of a guest.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub(crate) config: BTreeMap<String, String>,
    pub(crate) description: String,
    pub(crate) snaptime: u64,
    pub(crate) parent: Option<String>,
    pub(crate) vmstate: bool,
}

/// A volume on a storage.
#[derive(Debug, Clone)]
pub struct Volume {
    pub(crate) content: String,
    pub(crate) size: u64,
    pub(crate) format: String,
    pub(crate) ctime: u64,
    pub(crate) vmid: Option<u32>,
    pub(crate) notes: Option<String>,
    pub(crate) protected: bool,
}

/// A storage (one definition, available on every node).
#[derive(Debug, Clone)]
pub struct Storage {
    pub(crate) kind: String,
    pub(crate) content: Vec<String>,
    pub(crate) options: BTreeMap<String, String>,
    /// `volid` -> volume.
    pub(crate) volumes: BTreeMap<String, Volume>,
    pub(crate) total: u64,
}

impl Storage {
    pub(crate) fn used(&self) -> u64 {
        self.volumes.values().map(|v| v.size).sum()
    }

    pub(crate) fn file_based(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "dir" | "nfs" | "cifs" | "cephfs" | "glusterfs" | "btrfs"
        )
    }
}

/// A user account.
#[derive(Debug, Clone, Default)]
pub struct User {
    pub(crate) password: Option<String>,
    pub(crate) attrs: BTreeMap<String, String>,
    pub(crate) groups: Vec<String>,
    /// A TOTP code that is accepted as the second factor, and recovery keys.
    pub(crate) tfa: Option<Tfa>,
}

/// A user's second factor, as the fake checks it.
#[derive(Debug, Clone)]
pub struct Tfa {
    pub(crate) totp: String,
    pub(crate) recovery: Vec<String>,
}

/// An API token.
#[derive(Debug, Clone)]
pub struct Token {
    pub(crate) secret: String,
    /// `comment`, `expire` (Unix time, `0`: never) and `privsep`, as given.
    pub(crate) attrs: BTreeMap<String, String>,
}

impl Token {
    /// Whether its `expire` has passed (PVE's `verify_token`).
    pub(crate) fn expired(&self) -> bool {
        self.attrs
            .get("expire")
            .and_then(|e| e.parse::<u64>().ok())
            .is_some_and(|e| e != 0 && e < unix_now())
    }
}

/// A login ticket.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub(crate) user: String,
    pub(crate) csrf: String,
    /// When it stops being accepted, by the fake's clock (seconds since the epoch): as PVE,
    /// the fake judges a ticket's age by its own clock (`MockPve::set_clock_offset`).
    pub(crate) expires: u64,
}

/// What a task does when it ends: log lines on success, or the error it fails with.
pub(crate) type TaskWork = Box<dyn FnOnce(&mut State) -> Result<Vec<String>, String> + Send>;

/// A worker task.
pub(crate) struct Task {
    pub(crate) upid: String,
    pub(crate) node: String,
    pub(crate) kind: String,
    pub(crate) id: String,
    pub(crate) user: String,
    pub(crate) pid: u32,
    pub(crate) pstart: u32,
    pub(crate) starttime: u64,
    pub(crate) ends_at: Instant,
    pub(crate) log: Vec<String>,
    pub(crate) exitstatus: Option<String>,
    pub(crate) endtime: Option<u64>,
    pub(crate) work: Option<TaskWork>,
    /// The guest whose config lock the work takes, and how long it waits for a held one.
    pub(crate) lock: Option<(u32, Kind, Duration)>,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("upid", &self.upid)
            .field("exitstatus", &self.exitstatus)
            .finish_non_exhaustive()
    }
}

/// A fault to inject: what the next matching request gets.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// An HTTP error with PVE's envelope and this message (e.g. `500`, `"got timeout"`).
    Status(u16, String),
    /// The request is accepted and answers a task, which ends with `TASK ERROR: message`.
    TaskError(String),
    /// The connection is closed without an answer.
    Drop,
    /// The request is handled, and answered, this much later. A client that gives up
    /// meanwhile does not stop it: as on PVE, a write still happens.
    Delay(Duration),
    /// An HTTP error whose body is this `text/html` page instead of PVE's JSON, with the
    /// status's standard reason (a reverse proxy or load balancer in front of PVE).
    Page(u16, String),
}

/// A registered fault.
#[derive(Debug, Clone)]
pub(crate) struct FaultRule {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) fault: Fault,
    /// How many more requests it hits; `None` for every one.
    pub(crate) remaining: Option<u32>,
}

/// A guest's config lock held from outside (as another task or `qm` on the node would).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConfigLock {
    pub(crate) since: Instant,
    /// When it is released; `None` until `release_config_lock`.
    pub(crate) until: Option<Instant>,
}

impl ConfigLock {
    pub(crate) fn held_at(&self, at: Instant) -> bool {
        self.since <= at && self.until.is_none_or(|u| u > at)
    }
}

/// Whether a guest's config lock can be taken.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LockState {
    Free,
    /// Held; the taker is still waiting.
    Waiting,
    /// Held past the taker's wait: PVE's "got timeout" message.
    TimedOut(String),
}

/// PVE's message when a guest's config lock was not obtained in time.
pub(crate) fn lock_timeout(vmid: u32, kind: Kind) -> String {
    let file = match kind {
        Kind::Qemu => format!("/var/lock/qemu-server/lock-{vmid}.conf"),
        Kind::Lxc => format!("/run/lock/lxc/pve-config-{vmid}.lock"),
    };
    format!("can't lock file '{file}' - got timeout")
}

/// The whole fake cluster.
pub(crate) struct State {
    pub(crate) cluster_name: String,
    pub(crate) version: String,
    pub(crate) release: String,
    /// The PVE version played: its index in `crate::api::PVE_VERSIONS`.
    pub(crate) schema: usize,
    pub(crate) nodes: BTreeMap<String, bool>,
    pub(crate) guests: BTreeMap<u32, Guest>,
    pub(crate) storages: BTreeMap<String, Storage>,
    pub(crate) users: BTreeMap<String, User>,
    pub(crate) groups: BTreeMap<String, BTreeMap<String, String>>,
    pub(crate) tokens: BTreeMap<String, Token>,
    pub(crate) tickets: HashMap<String, Ticket>,
    /// Half-logged-in TFA tickets -> user.
    pub(crate) tfa_tickets: HashMap<String, String>,
    pub(crate) ticket_lifetime: Duration,
    pub(crate) task_duration: Duration,
    pub(crate) tasks: Vec<Task>,
    pub(crate) next_pid: u32,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) requests: Vec<(String, String)>,
    pub(crate) quorate: bool,
    pub(crate) secret_seed: u64,
    /// Config locks held from outside, by vmid.
    pub(crate) config_locks: BTreeMap<u32, ConfigLock>,
    /// How long a task or a config write waits for a held config lock.
    pub(crate) lock_wait: Duration,
    /// Added to every answer (a slow network).
    pub(crate) latency: Duration,
    /// Files inside backups that `file-restore/download` serves: (volume, filepath) -> bytes.
    pub(crate) restore_files: BTreeMap<(String, String), bytes::Bytes>,
    /// A file answer (not JSON) the handler of the request in work left for the server.
    pub(crate) file_answer: Option<bytes::Bytes>,
    /// Seconds the fake's clock is ahead of the machine's (negative: behind): its tickets
    /// and `Date` headers carry its time.
    pub(crate) clock_offset: i64,
    /// Console grants (`termproxy`, `vncproxy`) by port, until their connection.
    #[cfg(feature = "console")]
    pub(crate) consoles: BTreeMap<u16, Grant>,
    /// Told after each step of a request's handling ([`State::handled`]), for
    /// `MockPve::wait_until`.
    pub(crate) steps: tokio::sync::watch::Sender<()>,
}

impl State {
    /// Plays the vendored version at `index` of `crate::api::PVE_VERSIONS`: `/version`
    /// answers it (`9.2` as `9.2.0`), its schema routes and shapes answers.
    pub(crate) fn play_version(&mut self, index: usize) {
        let label = crate::api::PVE_VERSIONS
            .get(index)
            .copied()
            .unwrap_or("9.2");
        let parts: Vec<&str> = label.split('.').collect();
        self.release = parts.iter().take(2).copied().collect::<Vec<_>>().join(".");
        self.version = if parts.len() < 3 {
            format!("{label}.0")
        } else {
            label.to_owned()
        };
        self.schema = index;
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl State {
    pub(crate) fn new(user: &str, password: &str) -> State {
        let mut users = BTreeMap::new();
        users.insert(
            user.to_owned(),
            User {
                password: Some(password.to_owned()),
                attrs: BTreeMap::from([("enable".into(), "1".into())]),
                ..User::default()
            },
        );
        let dir = Storage {
            kind: "dir".into(),
            content: ["iso", "vztmpl", "backup", "snippets", "import"]
                .map(String::from)
                .to_vec(),
            options: BTreeMap::from([("path".into(), "/var/lib/vz".into())]),
            volumes: BTreeMap::new(),
            total: 100 << 30,
        };
        let lvm = Storage {
            kind: "lvmthin".into(),
            content: vec!["images".into(), "rootdir".into()],
            options: BTreeMap::from([
                ("vgname".into(), "pve".into()),
                ("thinpool".into(), "data".into()),
            ]),
            volumes: BTreeMap::new(),
            total: 200 << 30,
        };
        State {
            cluster_name: "mockcluster".into(),
            version: String::new(),
            release: String::new(),
            schema: 0,
            nodes: BTreeMap::from([("pve1".to_owned(), true)]),
            guests: BTreeMap::new(),
            storages: BTreeMap::from([("local".to_owned(), dir), ("local-lvm".to_owned(), lvm)]),
            users,
            groups: BTreeMap::new(),
            tokens: BTreeMap::new(),
            tickets: HashMap::new(),
            tfa_tickets: HashMap::new(),
            ticket_lifetime: crate::auth::TICKET_LIFETIME,
            task_duration: Duration::ZERO,
            tasks: Vec::new(),
            next_pid: 4000,
            faults: Vec::new(),
            requests: Vec::new(),
            quorate: true,
            secret_seed: unix_now() ^ (std::process::id() as u64) << 32,
            config_locks: BTreeMap::new(),
            lock_wait: Duration::ZERO,
            latency: Duration::ZERO,
            restore_files: BTreeMap::new(),
            file_answer: None,
            clock_offset: 0,
            #[cfg(feature = "console")]
            consoles: BTreeMap::new(),
            steps: tokio::sync::watch::Sender::new(()),
        }
    }

    /// A request was received, answered, or carried out after a delay or a lock wait:
    /// wakes `MockPve::wait_until`, which looks at the state again.
    pub(crate) fn handled(&self) {
        self.steps.send_replace(());
    }

    /// Now by the fake's clock, in seconds since the epoch.
    pub(crate) fn server_now(&self) -> u64 {
        crate::auth::server_now(self.clock_offset)
    }

    /// A hard-to-guess token (tickets, CSRF tokens, token secrets). Not cryptographic: this
    /// is a test server on loopback.
    pub(crate) fn random_hex(&mut self, bytes: usize) -> String {
        let mut out = String::with_capacity(bytes * 2);
        for _ in 0..bytes {
            // xorshift64*
            let mut x = self.secret_seed;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.secret_seed = x;
            let byte = (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8;
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// Runs the work of tasks whose time is up (and whose guest's config lock is free).
    pub(crate) fn advance(&mut self) {
        let now = Instant::now();
        loop {
            let next = self.tasks.iter().enumerate().find_map(|(i, t)| {
                if t.exitstatus.is_some() || t.ends_at > now {
                    return None;
                }
                match self.task_lock(t, now) {
                    LockState::Free => Some((i, None)),
                    LockState::Waiting => None,
                    LockState::TimedOut(message) => Some((i, Some(message))),
                }
            });
            let Some((i, timed_out)) = next else {
                return;
            };
            let work = self.tasks[i].work.take();
            let outcome = match (timed_out, work) {
                (Some(message), _) => Err(message),
                (None, Some(work)) => work(self),
                (None, None) => Ok(Vec::new()),
            };
            let task = &mut self.tasks[i];
            match outcome {
                Ok(lines) => {
                    task.log.extend(lines);
                    task.log.push("TASK OK".into());
                    task.exitstatus = Some("OK".into());
                }
                Err(message) => {
                    task.log.push(message.clone());
                    task.log.push(format!("TASK ERROR: {message}"));
                    task.exitstatus = Some(message);
                }
            }
            task.endtime = Some(unix_now());
        }
    }

    /// Whether a due task can take its guest's config lock now. It wants it when its time is
    /// up; if it is held then, it waits for the release up to its `lock_wait`.
    fn task_lock(&self, task: &Task, now: Instant) -> LockState {
        let Some((vmid, kind, wait)) = task.lock else {
            return LockState::Free;
        };
        match self.config_locks.get(&vmid) {
            Some(lock) if lock.held_at(task.ends_at) => {
                lock_state(lock, vmid, kind, task.ends_at + wait, now)
            }
            _ => LockState::Free,
        }
    }

    /// Whether a request that came in at `since` may take the config lock now (waiting up to
    /// `lock_wait`).
    pub(crate) fn request_lock(&self, vmid: u32, kind: Kind, since: Instant) -> LockState {
        let now = Instant::now();
        match self.config_locks.get(&vmid) {
            Some(lock) if lock.held_at(now) => {
                lock_state(lock, vmid, kind, since + self.lock_wait, now)
            }
            _ => LockState::Free,
        }
    }

    /// Starts a task; its work runs when its time is up (at once with the default duration).
    pub(crate) fn spawn_task(
        &mut self,
        node: &str,
        kind: &str,
        id: &str,
        user: &str,
        first_log: Vec<String>,
        work: TaskWork,
    ) -> String {
        self.spawn(node, kind, id, user, first_log, work, None)
    }

    /// Starts a task on a guest that takes its config lock before its work runs (as PVE's
    /// workers do): while the lock is held the task waits, up to `lock_wait`, then fails.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn_guest_task(
        &mut self,
        node: &str,
        kind: &str,
        (vmid, guest): (u32, Kind),
        user: &str,
        first_log: Vec<String>,
        work: TaskWork,
    ) -> String {
        let lock = Some((vmid, guest, self.lock_wait));
        self.spawn(node, kind, &vmid.to_string(), user, first_log, work, lock)
    }

    #[allow(clippy::too_many_arguments)]
    fn spawn(
        &mut self,
        node: &str,
        kind: &str,
        id: &str,
        user: &str,
        first_log: Vec<String>,
        work: TaskWork,
        lock: Option<(u32, Kind, Duration)>,
    ) -> String {
        let mut first_log = first_log;
        // A task that takes time says so as it starts, so a client following it sees a line
        // while it runs (its work's lines and `TASK OK` come when it ends).
        if first_log.is_empty() && !self.task_duration.is_zero() {
            first_log.push(match id {
                "" => format!("{kind}: started"),
                id => format!("{kind} {id}: started"),
            });
        }
        let pid = self.next_pid;
        self.next_pid += 1;
        let pstart = pid.wrapping_mul(7);
        let starttime = unix_now();
        let upid =
            format!("UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{kind}:{id}:{user}:");
        self.tasks.push(Task {
            upid: upid.clone(),
            node: node.to_owned(),
            kind: kind.to_owned(),
            id: id.to_owned(),
            user: user.to_owned(),
            pid,
            pstart,
            starttime,
            ends_at: Instant::now() + self.task_duration,
            log: first_log,
            exitstatus: None,
            endtime: None,
            work: Some(work),
            lock,
        });
        self.advance();
        upid
    }

    pub(crate) fn task_json(task: &Task, listing: bool) -> Value {
        let mut out = Map::new();
        out.insert("upid".into(), json!(task.upid));
        out.insert("node".into(), json!(task.node));
        out.insert("pid".into(), json!(task.pid));
        out.insert("pstart".into(), json!(task.pstart));
        out.insert("starttime".into(), json!(task.starttime));
        out.insert("type".into(), json!(task.kind));
        out.insert("id".into(), json!(task.id));
        out.insert("user".into(), json!(task.user));
        if let Some((_, token)) = task.user.split_once('!') {
            out.insert("tokenid".into(), json!(token));
        }
        match (&task.exitstatus, listing) {
            (Some(exit), true) => {
                out.insert("status".into(), json!(exit));
                out.insert("endtime".into(), json!(task.endtime));
            }
            (Some(exit), false) => {
                out.insert("status".into(), json!("stopped"));
                out.insert("exitstatus".into(), json!(exit));
            }
            (None, _) => {
                out.insert("status".into(), json!("running"));
            }
        }
        Value::Object(out)
    }

    /// The first fault registered for this request, consumed.
    pub(crate) fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        // A rule with no hits left (`fail_times(.., 0)`) fails nothing.
        self.faults.retain(|f| f.remaining != Some(0));
        let i = self
            .faults
            .iter()
            .position(|f| f.method.eq_ignore_ascii_case(method) && path_matches(&f.path, path))?;
        let fault = self.faults[i].fault.clone();
        if let Some(remaining) = &mut self.faults[i].remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.faults.remove(i);
            }
        }
        Some(fault)
    }
}

/// A held lock for a taker who gives up at `deadline`.
fn lock_state(
    lock: &ConfigLock,
    vmid: u32,
    kind: Kind,
    deadline: Instant,
    now: Instant,
) -> LockState {
    match lock.until {
        // Released in time: the taker gets it then.
        Some(until) if until <= deadline => {
            if until <= now {
                LockState::Free
            } else {
                LockState::Waiting
            }
        }
        _ if deadline <= now => LockState::TimedOut(lock_timeout(vmid, kind)),
        _ => LockState::Waiting,
    }
}

/// `pattern` is a concrete path (`/nodes/pve1/qemu/100/status/start`) or a template with
/// `{param}` segments matching any one segment. `path` is the request's path as
/// [`display_path`] writes it: a `/` inside a segment (a volume id) stays escaped, so it is
/// one segment, as the template says.
fn path_matches(pattern: &str, path: &str) -> bool {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let p: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let q: Vec<&str> = path.trim_matches('/').split('/').collect();
    p.len() == q.len()
        && p.iter().zip(&q).all(|(a, b)| {
            a == b || (a.starts_with('{') && a.ends_with('}')) || decode(a) == decode(b)
        })
}

/// A request path from its decoded segments, for the request log and fault matching: `/`
/// joins the segments, and a `/` inside one is written `%2F`
/// (`/nodes/pve1/storage/local/content/local:iso%2Fx.iso`).
pub(crate) fn display_path(segments: &[String]) -> String {
    segments
        .iter()
        .map(|s| format!("/{}", s.replace('/', "%2F")))
        .collect()
}

#[cfg(feature = "console")]
/// What `termproxy`/`vncproxy` set up: one connection to one port.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// The ticket as answered (`<password>:PVEVNC:...` for VNC in PVE 9).
    pub(crate) ticket: String,
    /// Who it was made for (`user@realm` or a token id).
    pub(crate) user: String,
    /// The console's API path (`/nodes/pve1/qemu/100`).
    pub(crate) path: String,
    pub(crate) node: String,
    /// The guest, if any.
    pub(crate) guest: Option<(Kind, u32)>,
    /// A terminal (and the serial port asked for), or VNC.
    pub(crate) terminal: Option<Option<String>>,
    pub(crate) issued: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_patterns_match_templates_and_paths() {
        assert!(path_matches(
            "/nodes/{node}/qemu/{vmid}/status/start",
            "/nodes/pve1/qemu/100/status/start"
        ));
        assert!(path_matches("nodes/pve1/qemu", "/nodes/pve1/qemu/"));
        assert!(!path_matches("/nodes/{node}/qemu", "/nodes/pve1/lxc"));
        // A volume id with a `/` is one segment.
        let volume = display_path(&[
            "nodes".into(),
            "pve1".into(),
            "storage".into(),
            "local".into(),
            "content".into(),
            "local:iso/x.iso".into(),
        ]);
        assert_eq!(
            volume,
            "/nodes/pve1/storage/local/content/local:iso%2Fx.iso"
        );
        assert!(path_matches(
            "/nodes/{node}/storage/{storage}/content/{volume}",
            &volume
        ));
        assert!(path_matches(
            "/nodes/pve1/storage/local/content/local:iso%2fx.iso",
            &volume
        ));
    }

    #[test]
    fn a_fault_for_zero_requests_fails_none() {
        let mut state = State::new("root@pam", "secret");
        state.faults.push(FaultRule {
            method: "GET".into(),
            path: "/version".into(),
            fault: Fault::Drop,
            remaining: Some(0),
        });
        assert_eq!(state.take_fault("GET", "/version"), None);
        assert!(state.faults.is_empty());
    }

    #[test]
    fn tasks_run_when_due_and_log_their_end() {
        let mut state = State::new("root@pam", "secret");
        let ok = state.spawn_task(
            "pve1",
            "qmstart",
            "100",
            "root@pam",
            vec![],
            Box::new(|_| Ok(vec!["started".into()])),
        );
        let failed = state.spawn_task(
            "pve1",
            "qmstart",
            "101",
            "root@pam",
            vec![],
            Box::new(|_| Err("boom".into())),
        );
        state.task_duration = Duration::from_secs(3600);
        let slow = state.spawn_task(
            "pve1",
            "qmstop",
            "100",
            "root@pam",
            vec![],
            Box::new(|_| Ok(vec![])),
        );
        let find = |s: &State, upid: &str| {
            s.tasks
                .iter()
                .find(|t| t.upid == upid)
                .map(|t| (t.exitstatus.clone(), t.log.clone()))
        };
        assert_eq!(
            find(&state, &ok),
            Some((Some("OK".into()), vec!["started".into(), "TASK OK".into()]))
        );
        assert_eq!(
            find(&state, &failed).unwrap().1.last().unwrap(),
            "TASK ERROR: boom"
        );
        assert_eq!(find(&state, &slow).unwrap().0, None);
        assert!(crate::Upid::parse(&ok).is_ok());
    }

    fn exitstatus(state: &State, upid: &str) -> Option<String> {
        state
            .tasks
            .iter()
            .find(|t| t.upid == upid)
            .and_then(|t| t.exitstatus.clone())
    }

    fn start_101(state: &mut State) -> String {
        state.spawn_guest_task(
            "pve1",
            "qmstart",
            (101, Kind::Qemu),
            "root@pam",
            vec![],
            Box::new(|_| Ok(vec![])),
        )
    }

    #[test]
    fn a_held_config_lock_fails_a_task_that_does_not_wait() {
        let mut state = State::new("root@pam", "secret");
        let now = Instant::now();
        state.config_locks.insert(
            101,
            ConfigLock {
                since: now,
                until: None,
            },
        );
        let upid = start_101(&mut state);
        assert_eq!(
            exitstatus(&state, &upid).as_deref(),
            Some("can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout")
        );
        assert_eq!(
            lock_timeout(200, Kind::Lxc),
            "can't lock file '/run/lock/lxc/pve-config-200.lock' - got timeout"
        );
    }

    #[test]
    fn a_waiting_task_runs_when_the_lock_is_released_in_time() {
        let mut state = State::new("root@pam", "secret");
        state.lock_wait = Duration::from_secs(3600);
        let now = Instant::now();
        state.config_locks.insert(
            101,
            ConfigLock {
                since: now,
                until: None,
            },
        );
        let upid = start_101(&mut state);
        assert_eq!(exitstatus(&state, &upid), None, "waits for the lock");
        state.advance();
        assert_eq!(exitstatus(&state, &upid), None, "still waits");
        assert_eq!(state.request_lock(101, Kind::Qemu, now), LockState::Waiting);
        if let Some(lock) = state.config_locks.get_mut(&101) {
            lock.until = Some(Instant::now());
        }
        state.advance();
        assert_eq!(exitstatus(&state, &upid).as_deref(), Some("OK"));
        assert_eq!(state.request_lock(101, Kind::Qemu, now), LockState::Free);
        // A task of another guest never waited.
        let other = state.spawn_task(
            "pve1",
            "qmstart",
            "100",
            "root@pam",
            vec![],
            Box::new(|_| Ok(vec![])),
        );
        assert_eq!(exitstatus(&state, &other).as_deref(), Some("OK"));
    }

    #[test]
    fn a_lock_released_after_the_wait_fails_the_waiter() {
        let lock = ConfigLock {
            since: Instant::now(),
            until: Some(Instant::now() + Duration::from_secs(60)),
        };
        let now = Instant::now();
        // Gives up before the release: still waiting until the deadline, then timed out.
        let deadline = now + Duration::from_secs(1);
        assert_eq!(
            lock_state(&lock, 101, Kind::Qemu, deadline, now),
            LockState::Waiting
        );
        assert!(matches!(
            lock_state(&lock, 101, Kind::Qemu, now, now),
            LockState::TimedOut(_)
        ));
        // Released within the wait: waiting until then.
        let patient = now + Duration::from_secs(120);
        assert_eq!(
            lock_state(&lock, 101, Kind::Qemu, patient, now),
            LockState::Waiting
        );
    }
}
