//! One test peer, of either kind: fakepve (the third-party fake, a child process, see
//! [`FakePve`]) or the embedded fake ([`MockPve`]), behind one API, so each end-to-end test
//! runs against both (see [`peer_tests!`](crate::peer_tests)).
//!
//! Both are seeded alike (see `tests/peer/fakepve_launcher.py`): node `pve1`; VM 100 `web`
//! running, VM 101 `db` stopped, CT 200 `dns` running; storages `local` (dir, empty) and
//! `local-lvm` (lvmthin); user `root@pam` with password `secret`. Both serve a [`TestCert`]
//! made here, so the client verifies TLS for real against either.

use std::time::Duration;

use proxmoxia::mock::{Fault, GuestSpec, MockPve};
use proxmoxia::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::certs::TestCert;
use crate::fakepve::{CertKind, FakePve, Options, Scenario};
use crate::support::within;

/// Which fake a [`Peer`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    /// fakepve 0.5.0, the third-party fake (follows PVE closely).
    FakePve,
    /// `proxmoxia::mock::MockPve`, the embedded fake, playing PVE 9.2 (its default).
    Mock,
    /// The embedded fake playing PVE 8.4.17: the oldest vendored schema.
    Mock84,
}

impl PeerKind {
    /// The embedded fake, whatever version it plays.
    pub fn is_mock(self) -> bool {
        matches!(self, PeerKind::Mock | PeerKind::Mock84)
    }

    /// `fakepve`, `mock` or `mock-84`.
    pub fn name(self) -> &'static str {
        match self {
            PeerKind::FakePve => "fakepve",
            PeerKind::Mock => "mock",
            PeerKind::Mock84 => "mock-84",
        }
    }
}

/// What `GET /version` of a peer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerVersion {
    /// `version`.
    pub version: &'static str,
    /// `release`.
    pub release: &'static str,
    /// `repoid`.
    pub repoid: &'static str,
}

/// A request a peer received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path under `/api2/json` (`/access/ticket`).
    pub path: String,
}

/// The scenario facts (as the launcher reports them).
#[derive(Debug, Clone, Default)]
struct Facts {
    token: Option<(String, String)>,
    locked_vmid: Option<u32>,
    failing: Option<(u32, String)>,
    offline_node: Option<String>,
}

#[derive(Debug)]
enum Inner {
    FakePve(Box<FakePve>),
    Mock(MockPve, PeerKind),
}

/// A running fake PVE of either kind.
#[derive(Debug)]
pub struct Peer {
    inner: Inner,
    cert: TestCert,
    time_scale: f64,
    facts: Facts,
}

/// The launcher's token id of the `ApiToken` scenario.
const TOKEN_ID: &str = "root@pam!ci";
/// The launcher's start error of VM 103 (`TaskError` scenario).
const START_ERROR: &str = "unable to find configuration file for VM 103 disk 'scsi0'";

impl Peer {
    /// A peer with the standard seed and no faults.
    pub async fn start(kind: PeerKind) -> Peer {
        Peer::start_with(kind, Options::default()).await
    }

    /// A peer with these options. For the embedded fake `time_scale` only scales the durations
    /// the capability methods take ([`slow_network`](Peer::slow_network), ...): its tasks end
    /// at once and it has no PVE clock.
    pub async fn start_with(kind: PeerKind, options: Options) -> Peer {
        match kind {
            PeerKind::FakePve => {
                let pve = FakePve::start_with(options.clone()).await;
                let info = &pve.info;
                let facts = Facts {
                    token: info["token_id"].as_str().map(|id| {
                        let secret = info["token_secret"].as_str().expect("token secret");
                        (id.to_owned(), secret.to_owned())
                    }),
                    locked_vmid: info["locked_vmid"].as_u64().map(vmid),
                    failing: info["failing_vmid"].as_u64().map(|id| {
                        let error = info["failing_error"].as_str().expect("failing error");
                        (vmid(id), error.to_owned())
                    }),
                    offline_node: info["offline_node"].as_str().map(str::to_owned),
                };
                Peer {
                    cert: pve.cert.clone(),
                    inner: Inner::FakePve(Box::new(pve)),
                    time_scale: options.time_scale,
                    facts,
                }
            }
            PeerKind::Mock | PeerKind::Mock84 => {
                let cert = match options.cert {
                    CertKind::CaSigned => TestCert::ca_signed(),
                    CertKind::SelfSigned => TestCert::self_signed(),
                };
                let version = if kind == PeerKind::Mock84 {
                    "8.4.17"
                } else {
                    "9.2"
                };
                let pve = MockPve::builder()
                    .empty()
                    .pve_version(version)
                    .certificate(&cert.cert_pem, &cert.key_pem)
                    .start()
                    .await
                    .expect("the embedded fake starts");
                seed(&pve);
                let mut facts = Facts::default();
                for scenario in &options.scenarios {
                    apply(&pve, *scenario, &mut facts);
                }
                Peer {
                    inner: Inner::Mock(pve, kind),
                    cert,
                    time_scale: options.time_scale,
                    facts,
                }
            }
        }
    }

    /// Which fake this is.
    pub fn kind(&self) -> PeerKind {
        match self.inner {
            Inner::FakePve(_) => PeerKind::FakePve,
            Inner::Mock(_, kind) => kind,
        }
    }

    /// The fakepve harness, for what only fakepve has.
    pub fn fakepve(&self) -> Option<&FakePve> {
        match &self.inner {
            Inner::FakePve(pve) => Some(pve),
            Inner::Mock(..) => None,
        }
    }

    /// The embedded fake, for what only it has.
    pub fn mock(&self) -> Option<&MockPve> {
        match &self.inner {
            Inner::FakePve(_) => None,
            Inner::Mock(pve, _) => Some(pve),
        }
    }

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        match &self.inner {
            Inner::FakePve(pve) => &pve.url,
            Inner::Mock(pve, _) => pve.url(),
        }
    }

    /// The certificate the peer serves.
    pub fn cert(&self) -> &TestCert {
        &self.cert
    }

    /// A client builder that trusts the peer's CA (or pins its fingerprint when self-signed).
    /// fakepve answers `9.0.10` from `/version` but implements a PVE 9 schema newer than 9.2
    /// (see `apidoc/README.md`): its clients are told it is 9.2.
    pub fn builder(&self) -> ClientBuilder {
        let builder = Client::builder(self.url());
        let builder = match self.kind() {
            PeerKind::FakePve => builder.pve_version("9.2"),
            PeerKind::Mock | PeerKind::Mock84 => builder,
        };
        match &self.cert.ca_pem {
            Some(ca) => builder.add_ca_pem(ca.as_bytes()),
            None => builder.fingerprint(&self.cert.fingerprint.to_string()),
        }
    }

    /// A client that trusts the peer, not logged in.
    pub fn client(&self) -> Client {
        self.builder().build().expect("client")
    }

    /// A client logged in as root@pam.
    pub async fn login(&self) -> Client {
        let client = self.client();
        client
            .login(self.user(), self.password())
            .await
            .unwrap_or_else(|e| panic!("login to {}: {e}", self.kind().name()));
        client
    }

    /// The login user.
    pub fn user(&self) -> &str {
        "root@pam"
    }

    /// The login password.
    pub fn password(&self) -> &str {
        "secret"
    }

    /// The API token (id, secret) of the `ApiToken` scenario.
    pub fn token(&self) -> (String, String) {
        self.facts.token.clone().expect("the ApiToken scenario")
    }

    /// The VM locked by a backup (`LockedVm` scenario).
    pub fn locked_vmid(&self) -> u32 {
        self.facts.locked_vmid.expect("the LockedVm scenario")
    }

    /// The VM whose start fails, and its error (`TaskError` scenario).
    pub fn failing_vm(&self) -> (u32, &str) {
        let (vmid, error) = self.facts.failing.as_ref().expect("the TaskError scenario");
        (*vmid, error)
    }

    /// The offline node (`OfflineNode` scenario).
    pub fn offline_node(&self) -> &str {
        self.facts
            .offline_node
            .as_deref()
            .expect("the OfflineNode scenario")
    }

    /// What `GET /version` answers: each fake claims its own PVE.
    pub fn version(&self) -> PeerVersion {
        match self.kind() {
            PeerKind::FakePve => PeerVersion {
                version: "9.0.10",
                release: "9.0",
                repoid: "fakepve",
            },
            PeerKind::Mock => PeerVersion {
                version: "9.2.0",
                release: "9.2",
                repoid: "proxmoxia-mock",
            },
            PeerKind::Mock84 => PeerVersion {
                version: "8.4.17",
                release: "8.4",
                repoid: "proxmoxia-mock",
            },
        }
    }

    // ------------------------------------------------------------------ capabilities

    /// Forgets every ticket: the next request with one gets a 401.
    pub async fn revoke_tickets(&self) {
        match &self.inner {
            Inner::FakePve(pve) => {
                pve.call("revoke_tickets", json!([])).await;
            }
            Inner::Mock(pve, _) => pve.revoke_tickets(),
        }
    }

    /// Every ticket issued so far expires now, as its lifetime passing would (no test waits
    /// for that): the next request with one gets PVE's 401. Later tickets last PVE's 2 h.
    pub async fn expire_tickets(&self) {
        match &self.inner {
            Inner::FakePve(pve) => {
                pve.call("expire_tickets", json!([])).await;
            }
            Inner::Mock(pve, _) => pve.expire_tickets(),
        }
    }

    /// Another task holds VM `vmid`'s config lock, for `duration` (real time) or until
    /// [`release_config_lock`](Peer::release_config_lock).
    pub async fn hold_config_lock(&self, vmid: u32, duration: Option<Duration>) {
        match &self.inner {
            Inner::FakePve(pve) => {
                let secs = duration.map(|d| self.pve_seconds(d));
                pve.call("hold_config_lock", json!([vmid, secs])).await;
            }
            Inner::Mock(pve, _) => pve.hold_config_lock(vmid, duration),
        }
    }

    /// Releases the lock of [`hold_config_lock`](Peer::hold_config_lock).
    pub async fn release_config_lock(&self, vmid: u32) {
        match &self.inner {
            Inner::FakePve(pve) => {
                pve.call("release_config_lock", json!([vmid])).await;
            }
            Inner::Mock(pve, _) => pve.release_config_lock(vmid),
        }
    }

    /// Releases the lock of [`hold_config_lock`](Peer::hold_config_lock) `after` this long
    /// (real time), on the peer's own timer: the client meanwhile runs into it.
    pub async fn release_config_lock_after(&self, vmid: u32, after: Duration) {
        match &self.inner {
            Inner::FakePve(pve) => {
                let secs = self.pve_seconds(after);
                pve.call("release_config_lock_after", json!([vmid, secs]))
                    .await;
            }
            // Holding a held lock again changes only its end.
            Inner::Mock(pve, _) => pve.hold_config_lock(vmid, Some(after)),
        }
    }

    /// How long (real time) tasks and config writes wait for a held config lock. Without
    /// this, neither fake waits (fakepve at time scale 0; the mock's default).
    pub async fn set_lock_wait(&self, wait: Duration) {
        match &self.inner {
            Inner::FakePve(pve) => pve.set("lock_wait", json!(self.pve_seconds(wait))).await,
            Inner::Mock(pve, _) => pve.set_lock_wait(wait),
        }
    }

    /// Every answer from now on comes `latency` (real time) later.
    pub async fn slow_network(&self, latency: Duration) {
        match &self.inner {
            Inner::FakePve(pve) => {
                pve.call("slow_network", json!([self.pve_seconds(latency)]))
                    .await;
            }
            Inner::Mock(pve, _) => pve.set_latency(latency),
        }
    }

    /// The next `times` requests of `method` to `template` (a schema path such as
    /// `/nodes/{node}/tasks/{upid}/status`) get an error with PVE's JSON envelope.
    pub async fn fail(&self, method: &str, template: &str, status: u16, message: &str, times: u32) {
        match &self.inner {
            Inner::FakePve(pve) => {
                let args = json!([method, template, status, message, false, null, times]);
                pve.call("fail", args).await;
            }
            Inner::Mock(pve, _) => pve.fail_times(
                method,
                template,
                Fault::Status(status, message.to_owned()),
                times,
            ),
        }
    }

    /// The next `times` requests of `method` to `template` get a proxy's HTML error page.
    pub async fn fail_with_page(
        &self,
        method: &str,
        template: &str,
        status: u16,
        page: &str,
        times: u32,
    ) {
        match &self.inner {
            Inner::FakePve(pve) => {
                let args = json!([method, template, status, page, true, null, times]);
                pve.call("fail", args).await;
            }
            Inner::Mock(pve, _) => pve.fail_times(
                method,
                template,
                Fault::Page(status, page.to_owned()),
                times,
            ),
        }
    }

    /// Requests of `method` to `template` are dropped (the connection closed without an
    /// answer) until [`stop_dropping`](Peer::stop_dropping). fakepve drops every request
    /// meanwhile, whatever its method and path, and does not record them.
    pub async fn drop_requests(&self, method: &str, template: &str) {
        match &self.inner {
            Inner::FakePve(pve) => {
                pve.call("flaky_network", json!([1.0])).await;
            }
            Inner::Mock(pve, _) => pve.fail_always(method, template, Fault::Drop),
        }
    }

    /// Ends [`drop_requests`](Peer::drop_requests) (and every scripted fault of the mock).
    pub async fn stop_dropping(&self) {
        match &self.inner {
            Inner::FakePve(pve) => {
                pve.call("flaky_network", json!([0.0])).await;
            }
            Inner::Mock(pve, _) => pve.clear_faults(),
        }
    }

    /// The next ticket renewal (a login with the current ticket as the password) is refused
    /// with PVE's 401. fakepve refuses every renewal anyway (it takes only the password); the
    /// mock, like PVE, renews, so the refusal is scripted there.
    pub async fn refuse_next_ticket_renewal(&self) {
        if let Inner::Mock(pve, _) = &self.inner {
            let refused = Fault::Status(401, "authentication failure".to_owned());
            pve.fail_next("POST", "/access/ticket", refused);
        }
    }

    /// Every request received so far, oldest first.
    pub async fn requests(&self) -> Vec<Recorded> {
        match &self.inner {
            Inner::FakePve(pve) => {
                let log = pve.call("__getattribute__", json!(["requests"])).await;
                log.as_array()
                    .expect("fakepve's request log is a list")
                    .iter()
                    .map(|r| Recorded {
                        method: text(&r[0]),
                        path: text(&r[1]).trim_start_matches("/api2/json").to_owned(),
                    })
                    .collect()
            }
            Inner::Mock(pve, _) => recorded(pve),
        }
    }

    /// Waits until `done` holds of the peer's request log (see [`requests`](Peer::requests)),
    /// looking again each time the peer records a request; fails the test after
    /// [`DEADLINE`](crate::DEADLINE), naming `what`.
    pub async fn until_requested(&self, what: &str, done: impl Fn(&[Recorded]) -> bool) {
        within(what, async {
            match &self.inner {
                Inner::FakePve(pve) => loop {
                    let log = self.requests().await;
                    if done(&log) {
                        return;
                    }
                    pve.call("until_requests", json!([log.len()])).await;
                },
                Inner::Mock(pve, _) => pve.wait_until(|pve| done(&recorded(pve))).await,
            }
        })
        .await;
    }

    /// Waits until guest `vmid`'s config holds `key` = `value` (a write the client did not
    /// wait for, carried out by the peer), looking again each time the peer records a
    /// request or releases a config lock; fails the test after [`DEADLINE`](crate::DEADLINE).
    pub async fn until_config(&self, vmid: u32, key: &str, value: &str) {
        let what = format!("VM {vmid}'s {key} = {value:?}");
        within(&what, async {
            match &self.inner {
                Inner::FakePve(pve) => {
                    pve.call("until_config", json!([vmid, key, value])).await;
                }
                Inner::Mock(pve, _) => {
                    let holds = |pve: &MockPve| {
                        pve.guest(vmid)
                            .is_some_and(|g| g.config.get(key).is_some_and(|v| v == value))
                    };
                    pve.wait_until(holds).await;
                }
            }
        })
        .await;
    }

    /// A real duration in fakepve's PVE seconds.
    fn pve_seconds(&self, real: Duration) -> f64 {
        assert!(
            self.time_scale > 0.0,
            "fakepve runs PVE time only with a time scale (Options::time_scale)"
        );
        real.as_secs_f64() / self.time_scale
    }
}

/// The embedded fake's request log.
fn recorded(pve: &MockPve) -> Vec<Recorded> {
    pve.requests()
        .into_iter()
        .map(|(method, path)| Recorded { method, path })
        .collect()
}

fn vmid(id: u64) -> u32 {
    u32::try_from(id).expect("a vmid fits u32")
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The launcher's seed, on an empty mock (which has node `pve1`, storages `local` and
/// `local-lvm`, and user `root@pam`).
fn seed(pve: &MockPve) {
    pve.add_guest(
        GuestSpec::qemu(100)
            .name("web")
            .running()
            .config("memory", "2048")
            .config("cores", "2")
            .config("sockets", "1")
            .config("ostype", "l26")
            .config("net0", "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1")
            .config("scsi0", "local-lvm:vm-100-disk-0,size=32G")
            .config("scsihw", "virtio-scsi-single"),
    );
    pve.add_guest(
        GuestSpec::qemu(101)
            .name("db")
            .config("memory", "4096")
            .config("cores", "4")
            .config("ostype", "l26")
            .config("net0", "virtio=BC:24:11:00:00:02,bridge=vmbr0"),
    );
    // fakepve's container defaults.
    pve.add_guest(
        GuestSpec::lxc(200)
            .name("dns")
            .running()
            .config("swap", "512")
            .config("unprivileged", "1"),
    );
}

/// The launcher's scenarios, on the mock.
fn apply(pve: &MockPve, scenario: Scenario, facts: &mut Facts) {
    match scenario {
        Scenario::ApiToken => {
            let secret = pve.add_token(TOKEN_ID);
            facts.token = Some((TOKEN_ID.to_owned(), secret));
        }
        Scenario::LockedVm => {
            pve.add_guest(
                GuestSpec::qemu(102)
                    .name("locked")
                    .config("memory", "1024")
                    .locked("backup"),
            );
            facts.locked_vmid = Some(102);
        }
        Scenario::TaskError => {
            pve.add_guest(
                GuestSpec::qemu(103)
                    .name("broken")
                    .config("memory", "1024")
                    .start_error(START_ERROR),
            );
            facts.failing = Some((103, START_ERROR.to_owned()));
        }
        Scenario::OfflineNode => {
            pve.add_node("pve2");
            pve.set_node_online("pve2", false);
            facts.offline_node = Some("pve2".to_owned());
        }
        Scenario::NoQuorum => pve.lose_quorum(),
    }
}

/// Runs each test against both peers: for every function listed,
///
/// ```ignore
/// async fn name(kind: PeerKind) { let peer = Peer::start(kind).await; ... }
///
/// peer_tests!(name, other_name);
/// ```
///
/// it defines the tests `fakepve::name`, `mock::name` and `mock_84::name`, which call it with
/// [`PeerKind::FakePve`], [`PeerKind::Mock`] and [`PeerKind::Mock84`]. Attributes before a
/// name (`#[ignore]`) go on every one. A test function left out of the list is dead code, which the lints catch.
#[macro_export]
macro_rules! peer_tests {
    ($( $(#[$attr:meta])* $name:ident ),* $(,)?) => {
        /// The tests against fakepve (skipped where there is none).
        mod fakepve {
            $(
                $(#[$attr])*
                #[tokio::test]
                async fn $name() {
                    if $crate::skip_without_fakepve(stringify!($name)) {
                        return;
                    }
                    super::$name($crate::PeerKind::FakePve).await
                }
            )*
        }

        /// The tests against the embedded fake (PVE 9.2).
        mod mock {
            $(
                $(#[$attr])*
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::PeerKind::Mock).await
                }
            )*
        }

        /// The tests against the embedded fake playing PVE 8.4.17.
        mod mock_84 {
            $(
                $(#[$attr])*
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::PeerKind::Mock84).await
                }
            )*
        }
    };
}
