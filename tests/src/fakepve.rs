//! Runs the fakepve test peer (PyPI `fakepve` 0.5.0) as a child process.
//!
//! Each [`FakePve`] is one fake cluster on 127.0.0.1 with a free port and a certificate made
//! here, so the client verifies TLS for real. The process is killed when the value drops,
//! also when a test panics; it also exits by itself when its stdin closes.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use proxmoxia::{Client, ClientBuilder};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Mutex;

use crate::certs::TestCert;

/// How long fakepve may take to print its ready line (it needs < 1 s).
const START_TIMEOUT: Duration = Duration::from_secs(30);
const READY: &str = "FAKEPVE_READY ";
/// What to tell a developer whose machine lacks the peer.
pub const INSTALL_HINT: &str = "the integration tests need the fakepve test peer: run `scripts/test` \
    (it creates .venv with fakepve), or `python3 -m venv .venv && .venv/bin/pip install \
    'fakepve[crypto]==0.5.0'`, or point PROXMOXIA_PYTHON at a python that has it";

/// Fault scenarios the launcher can set up (see `tests/peer/fakepve_launcher.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// An API token `root@pam!ci` with a random secret.
    ApiToken,
    /// VM 102 is locked by a backup.
    LockedVm,
    /// VM 103's start task ends in `TASK ERROR`.
    TaskError,
    /// Node `pve2` exists but is offline.
    OfflineNode,
    /// The cluster lost quorum.
    NoQuorum,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::ApiToken => "api-token",
            Scenario::LockedVm => "locked-vm",
            Scenario::TaskError => "task-error",
            Scenario::OfflineNode => "offline-node",
            Scenario::NoQuorum => "no-quorum",
        }
    }
}

/// How the fake's certificate is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertKind {
    /// Signed by a test CA the client can trust.
    CaSigned,
    /// Self-signed: only a pinned fingerprint (or no verification) accepts it.
    SelfSigned,
}

/// Options for [`FakePve::start_with`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Fault scenarios.
    pub scenarios: Vec<Scenario>,
    /// Real seconds per PVE second (0: tasks finish before the request returns).
    pub time_scale: f64,
    /// The certificate kind.
    pub cert: CertKind,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            scenarios: Vec::new(),
            time_scale: 0.0,
            cert: CertKind::CaSigned,
        }
    }
}

/// A running fakepve.
#[derive(Debug)]
pub struct FakePve {
    /// `https://127.0.0.1:<port>`.
    pub url: String,
    /// The port.
    pub port: u16,
    /// The certificate it serves.
    pub cert: TestCert,
    /// Everything the launcher reported (user, password, token, scenario details).
    pub info: Value,
    control: Mutex<(ChildStdin, Lines<BufReader<ChildStdout>>)>,
    _child: Child,
    _dir: tempfile::TempDir,
}

impl FakePve {
    /// A fake cluster with the standard seed and no faults.
    pub async fn start() -> FakePve {
        FakePve::start_with(Options::default()).await
    }

    /// A fake cluster with these options. Panics (with an install hint) if fakepve is missing
    /// (a test skips itself first: [`skip_without_fakepve`]).
    pub async fn start_with(options: Options) -> FakePve {
        let dir = tempfile::tempdir().expect("temp dir");
        let cert = match options.cert {
            CertKind::CaSigned => TestCert::ca_signed(),
            CertKind::SelfSigned => TestCert::self_signed(),
        };
        let (cert_path, key_path) = cert.write_to(dir.path());
        let python = python().unwrap_or_else(|| panic!("no fakepve: {INSTALL_HINT}"));
        let mut cmd = Command::new(&python);
        cmd.arg(launcher())
            .arg("--cert")
            .arg(&cert_path)
            .arg("--key")
            .arg(&key_path)
            .arg("--time-scale")
            .arg(options.time_scale.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for s in &options.scenarios {
            cmd.arg("--scenario").arg(s.name());
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}\n{INSTALL_HINT}", python.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let ready = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await.expect("read fakepve output") {
                if let Some(json) = line.strip_prefix(READY) {
                    return Some(json.to_owned());
                }
            }
            None
        })
        .await
        .expect("fakepve did not get ready within 30 s");
        let Some(ready) = ready else {
            let status = child.wait().await.expect("fakepve exit status");
            panic!("fakepve exited before it was ready ({status}).\n{INSTALL_HINT}");
        };
        let info: Value = serde_json::from_str(&ready).expect("ready line is JSON");
        FakePve {
            url: info["url"].as_str().expect("url").to_owned(),
            port: u16::try_from(info["port"].as_u64().expect("port")).expect("port fits"),
            cert,
            info,
            control: Mutex::new((stdin, lines)),
            _child: child,
            _dir: dir,
        }
    }

    /// A client builder that trusts the fake's CA (or pins its fingerprint when self-signed).
    pub fn builder(&self) -> ClientBuilder {
        let builder = Client::builder(&self.url);
        match &self.cert.ca_pem {
            Some(ca) => builder.add_ca_pem(ca.as_bytes()),
            None => builder.fingerprint(&self.cert.fingerprint.to_string()),
        }
    }

    /// A client that trusts the fake, not logged in.
    pub fn client(&self) -> Client {
        self.builder().build().expect("client")
    }

    /// A client logged in as root@pam.
    pub async fn login(&self) -> Client {
        let client = self.client();
        client
            .login(self.user(), self.password())
            .await
            .expect("login to fakepve");
        client
    }

    /// The login user.
    pub fn user(&self) -> &str {
        self.info["user"].as_str().expect("user")
    }

    /// The login password.
    pub fn password(&self) -> &str {
        self.info["password"].as_str().expect("password")
    }

    /// The API token (id, secret) of the `ApiToken` scenario.
    pub fn token(&self) -> (String, String) {
        let id = self.info["token_id"]
            .as_str()
            .expect("the ApiToken scenario");
        let secret = self.info["token_secret"].as_str().expect("token secret");
        (id.to_owned(), secret.to_owned())
    }

    /// Calls a method of the Python `FakePve` object, e.g. `("revoke_tickets", [])`.
    pub async fn call(&self, method: &str, args: Value) -> Value {
        self.command(serde_json::json!({"call": method, "args": args}))
            .await
    }

    /// Sets an attribute of the Python `FakePve` object, e.g. `("ticket_ttl", 1)`.
    pub async fn set(&self, attribute: &str, value: Value) {
        self.command(serde_json::json!({"set": attribute, "value": value}))
            .await;
    }

    async fn command(&self, command: Value) -> Value {
        let mut guard = self.control.lock().await;
        let (stdin, lines) = &mut *guard;
        let mut line = command.to_string();
        line.push('\n');
        stdin
            .write_all(line.as_bytes())
            .await
            .expect("write to fakepve");
        stdin.flush().await.expect("flush fakepve stdin");
        let answer = lines
            .next_line()
            .await
            .expect("read fakepve answer")
            .expect("fakepve closed its output");
        let answer: Value = serde_json::from_str(&answer).expect("answer is JSON");
        assert_eq!(
            answer["ok"], true,
            "fakepve command {command} failed: {answer}"
        );
        answer["result"].clone()
    }
}

/// The Python with fakepve: `PROXMOXIA_PYTHON`, else the repository's `.venv` (which
/// `scripts/test` makes), else none.
fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PROXMOXIA_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = repo_root().join(".venv/bin/python");
    venv.exists().then_some(venv)
}

/// Whether `test`, which needs fakepve, is skipped here: no `PROXMOXIA_PYTHON` and no
/// `.venv`. Then it says so on stderr and passes, so that `cargo test` works without Python.
/// `scripts/test` (and so CI) always sets `PROXMOXIA_PYTHON`: there a missing peer fails.
pub fn skip_without_fakepve(test: &str) -> bool {
    let skip = python().is_none();
    if skip {
        eprintln!("skipped {test}: {INSTALL_HINT}");
    }
    skip
}

fn launcher() -> PathBuf {
    repo_root().join("tests/peer/fakepve_launcher.py")
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the repository")
        .to_path_buf()
}
