//! The `proxmoxia` command line, run as a user runs it (the real binary, a process per
//! command) against both peers: fakepve and the embedded fake (PVE 9.2 and 8.4.17). The
//! binary is pointed at the peer with the quickstart's environment (`PVE_URL`, `PVE_USER`,
//! `PVE_PASSWORD`, `PVE_CA_FILE`/`PVE_FINGERPRINT`); its ticket file and config live in a
//! temporary directory per test.
//!
//! `cargo test --workspace` builds the binary (the `proxmoxia-cli` package's own tests need
//! it); run alone, build it first with `cargo build -p proxmoxia-cli`. A missing or stale
//! binary fails the tests.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use proxmoxia_tests::wire::{TEST_TOKEN_ID, TEST_TOKEN_SECRET, WirePve};
use proxmoxia_tests::{
    Peer, PeerKind, Recorded, Scenario, TEMPLATE_VOLID, TlsFront, peer_tests, upload_template,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `target/debug/proxmoxia`, checked to be newer than every source of the `proxmoxia` and
/// `proxmoxia-cli` crates.
fn binary() -> PathBuf {
    let bin = assert_cmd::cargo::cargo_bin("proxmoxia");
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: build it with `cargo build -p proxmoxia-cli` \
             (`cargo test --workspace` does)",
                bin.display()
            )
        });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sources in ["../proxmoxia/src", "../proxmoxia-cli/src"] {
        if let Some((newest, changed)) = newest(&root.join(sources)) {
            assert!(
                built >= changed,
                "{} is older than {}: rebuild it with `cargo build -p proxmoxia-cli`",
                bin.display(),
                newest.display()
            );
        }
    }
    bin
}

fn newest(dir: &Path) -> Option<(PathBuf, SystemTime)> {
    let mut best: Option<(PathBuf, SystemTime)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let found = if path.is_dir() {
            newest(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (path, t))
        };
        if let Some((p, t)) = found {
            if best.as_ref().is_none_or(|(_, b)| t > *b) {
                best = Some((p, t));
            }
        }
    }
    best
}

/// The binary's environment for one peer, in a private home.
struct Cli {
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Cli {
    fn for_peer(peer: &Peer) -> Cli {
        let home = tempfile::tempdir().expect("temporary home");
        let mut env = vec![
            ("PVE_URL".to_owned(), peer.url().to_owned()),
            ("PVE_USER".to_owned(), peer.user().to_owned()),
            ("PVE_PASSWORD".to_owned(), peer.password().to_owned()),
        ];
        match &peer.cert().ca_pem {
            Some(ca) => {
                let file = home.path().join("ca.pem");
                std::fs::write(&file, ca).expect("CA file");
                env.push(("PVE_CA_FILE".into(), file.display().to_string()));
            }
            None => env.push((
                "PVE_FINGERPRINT".into(),
                peer.cert().fingerprint.to_string(),
            )),
        }
        // fakepve says 9.0.10 but implements a schema newer than 9.2 (see `Peer::builder`).
        if peer.kind() == PeerKind::FakePve {
            env.push(("PVE_VERSION".into(), "9.2".into()));
        }
        Cli { home, env }
    }

    /// The binary pointed at a scripted server behind a TLS front, with an API token (no
    /// login) and the PVE version given (no version request).
    fn for_front(front: &TlsFront) -> Cli {
        let home = tempfile::tempdir().expect("temporary home");
        let ca = home.path().join("ca.pem");
        std::fs::write(&ca, front.cert.ca()).expect("CA file");
        let env = vec![
            ("PVE_URL".to_owned(), front.url()),
            ("PVE_CA_FILE".to_owned(), ca.display().to_string()),
            (
                "PVE_TOKEN".to_owned(),
                format!("{TEST_TOKEN_ID}={TEST_TOKEN_SECRET}"),
            ),
            ("PVE_VERSION".to_owned(), "9.2".to_owned()),
        ];
        Cli { home, env }
    }

    fn command(&self, args: &[&str]) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_command(args))
    }

    /// [`Cli::command`] as a plain process, for a test that signals it.
    fn std_command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(binary());
        for var in [
            "PVE_URL",
            "PVE_TOKEN",
            "PVE_USER",
            "PVE_PASSWORD",
            "PVE_FINGERPRINT",
            "PVE_CA_FILE",
            "PVE_VERSION",
            "PVE_PROFILE",
            "PROXMOXIA_CONFIG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("HOME", self.home.path())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .args(args);
        cmd
    }

    /// Runs the binary off the runtime's thread (the embedded fake answers on it).
    async fn run(&self, args: &[&str]) -> Output {
        self.run_with(self.command(args)).await
    }

    async fn run_with(&self, mut cmd: assert_cmd::Command) -> Output {
        tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
            .await
            .expect("runner")
    }

    fn ticket_files(&self) -> Vec<PathBuf> {
        let dir = self.home.path().join("cache/proxmoxia/tickets");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The JSON a successful run printed.
/// The UPID a task-starting call prints in a pipe without `-o`: bare, on a line of its own.
fn bare_upid(out: &Output) -> proxmoxia::Upid {
    assert!(
        out.status.success(),
        "exit {:?}; stderr: {}",
        out.status,
        stderr(out)
    );
    let text = stdout(out);
    let line = text.strip_suffix('\n').expect("one line");
    proxmoxia::Upid::parse(line).expect("a bare UPID")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}; stderr: {}",
        out.status,
        stderr(out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

fn names(listing: &Value) -> Vec<String> {
    listing
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

fn posts(requests: &[Recorded], path: &str) -> usize {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

async fn get_version_prints_the_peers_version(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let version = json(&cli.run(&["get", "/version"]).await);
    assert_eq!(version["version"], pve.version().version);
    assert_eq!(version["release"], pve.version().release);
    // YAML and pretty JSON carry the same value.
    let yaml = cli.run(&["get", "/version", "--output", "yaml"]).await;
    assert!(yaml.status.success(), "{}", stderr(&yaml));
    assert!(
        stdout(&yaml).contains(&format!("version: {}\n", pve.version().version)),
        "{}",
        stdout(&yaml)
    );
    let pretty = json(&cli.run(&["get", "/version", "-o", "json-pretty"]).await);
    assert_eq!(pretty, version);
}

async fn ls_lists_guests_and_literal_children(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let qemu = json(&cli.run(&["ls", "/nodes/pve1/qemu"]).await);
    assert_eq!(names(&qemu), ["100", "101"]);
    assert_eq!(qemu[0]["path"], "/nodes/pve1/qemu/100");
    assert_eq!(qemu[0]["flags"], "Dr--d");
    let vm = json(&cli.run(&["ls", "/nodes/pve1/qemu/100"]).await);
    for child in ["config", "status", "snapshot", "agent"] {
        assert!(names(&vm).contains(&child.to_owned()), "{child} in {vm}");
    }
    let table = cli.run(&["ls", "/nodes/pve1/qemu", "-o", "table"]).await;
    assert_eq!(stdout(&table), "Dr--d        100\nDr--d        101\n");
}

async fn create_waits_for_the_task_and_ls_shows_the_container(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    upload_template(&pve.login().await, b"a template".to_vec()).await;
    let cli = Cli::for_peer(&pve);
    let out = cli
        .run(&[
            "create",
            "/nodes/pve1/lxc",
            "--vmid",
            "300",
            "--ostemplate",
            TEMPLATE_VOLID,
            "--hostname",
            "demo",
            "--rootfs",
            "local-lvm:8",
            "--net0",
            "name=eth0,bridge=vmbr0",
            "--output",
            "json",
        ])
        .await;
    let upid = json(&out);
    let upid = proxmoxia::Upid::parse(upid.as_str().expect("a UPID")).expect("a UPID");
    assert_eq!(upid.task_type(), "vzcreate");
    assert_eq!(upid.id(), "300");
    // The live log ends with PVE's last line of a task that went well.
    assert!(
        stderr(&out).trim_end().ends_with("TASK OK"),
        "stderr: {}",
        stderr(&out)
    );
    let lxc = json(&cli.run(&["ls", "/nodes/pve1/lxc"]).await);
    assert_eq!(names(&lxc), ["200", "300"]);
    let config = json(&cli.run(&["get", "/nodes/pve1/lxc/300/config"]).await);
    assert_eq!(config["hostname"], "demo");
}

async fn no_wait_prints_the_upid_only(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let out = cli
        .run(&[
            "create",
            "/nodes/pve1/qemu/101/status/start",
            "--no-wait",
            "-o",
            "json",
        ])
        .await;
    let upid = json(&out);
    assert!(
        upid.as_str().is_some_and(|u| u.contains(":qmstart:101:")),
        "{upid}"
    );
    assert_eq!(stderr(&out), "");
}

async fn set_and_delete_change_the_guest(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let out = cli
        .run(&[
            "set",
            "/nodes/pve1/qemu/101/config",
            "--cores",
            "4",
            "--description",
            "resized",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let config = json(&cli.run(&["get", "/nodes/pve1/qemu/101/config"]).await);
    assert_eq!(config["cores"].to_string().trim_matches('"'), "4");
    assert_eq!(config["description"], "resized");
    let out = cli.run(&["delete", "/nodes/pve1/qemu/101"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        names(&json(&cli.run(&["ls", "/nodes/pve1/qemu"]).await)),
        ["100"]
    );
}

async fn a_bad_parameter_is_refused_before_anything_is_sent(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let before = pve.requests().await.len();
    for (args, message) in [
        (
            vec![
                "create",
                "/nodes/pve1/lxc",
                "--vmid",
                "300",
                "--ostemplate",
                TEMPLATE_VOLID,
                "--cores",
                "99999",
            ],
            "error: invalid parameter cores: value must have a maximum value of 8192 (maximum) (nothing reached PVE: safe to retry)\n",
        ),
        (
            vec![
                "create",
                "/nodes/pve1/lxc",
                "--vmid",
                "300",
                "--ostemplate",
                TEMPLATE_VOLID,
                "--arch",
                "sparc",
            ],
            "error: invalid parameter arch: value 'sparc' does not have a value in the enumeration \
             'amd64, i386, arm64, armhf, riscv32, riscv64' (enum) (nothing reached PVE: safe to retry)\n",
        ),
        (
            vec!["create", "/nodes/pve1/lxc", "--ostemplate", TEMPLATE_VOLID],
            "error: invalid parameter vmid: property is missing and it is not optional (required) (nothing reached PVE: safe to retry)\n",
        ),
        (
            vec!["get", "/nodes/bad_node!/qemu"],
            "error: invalid parameter node: invalid format - value does not look like a valid \
             node name (format pve-node) (nothing reached PVE: safe to retry)\n",
        ),
        (
            vec!["set", "/nodes/pve1/qemu/101/config", "--core", "2"],
            "error: PUT /nodes/{node}/qemu/{vmid}/config has no parameter --core; did you mean --cores?\n",
        ),
    ] {
        let out = cli.run(&args).await;
        assert_eq!(stderr(&out), message, "{args:?}");
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(stdout(&out), "");
    }
    assert_eq!(
        pve.requests().await.len(),
        before,
        "nothing reached the peer"
    );
}

async fn a_failed_task_exits_non_zero_with_pves_error(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        proxmoxia_tests::Options {
            scenarios: vec![Scenario::TaskError],
            ..proxmoxia_tests::Options::default()
        },
    )
    .await;
    let (vmid, expected) = pve.failing_vm();
    let cli = Cli::for_peer(&pve);
    let path = format!("/nodes/pve1/qemu/{vmid}/status/start");
    let out = cli.run(&["create", &path]).await;
    // A failed task has its own exit status.
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.lines()
            .last()
            .is_some_and(|l| l.starts_with("error: task UPID:")
                && l.ends_with(&format!(
                    "failed: {expected} (the task may have changed things before it failed: \
                     not safe to retry blindly)"
                ))),
        "stderr: {err}"
    );
    // --no-wait does not look at the task: it started, so the run went well.
    let out = cli.run(&["create", &path, "--no-wait"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

async fn the_ticket_is_kept_private_and_reused(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    json(&cli.run(&["get", "/version"]).await);
    let files = cli.ticket_files();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let dir = file.parent().unwrap();
        assert_eq!(
            std::fs::metadata(dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }
    assert!(!stderr(&cli.run(&["get", "/version"]).await).contains("error"));
    let logins = posts(&pve.requests().await, "/access/ticket");
    assert_eq!(logins, 1, "the second run used the kept ticket");

    // A revoked ticket: the run logs in again and succeeds.
    pve.revoke_tickets().await;
    json(&cli.run(&["get", "/nodes"]).await);
    assert_eq!(posts(&pve.requests().await, "/access/ticket"), 2);

    // Without the password, the kept ticket alone is enough; logout forgets it.
    let mut cmd = cli.command(&["get", "/version"]);
    cmd.env_remove("PVE_PASSWORD");
    assert!(cli.run_with(cmd).await.status.success());
    let out = cli.run(&["logout"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(cli.ticket_files().is_empty());
    let mut cmd = cli.command(&["get", "/version"]);
    cmd.env_remove("PVE_PASSWORD");
    let out = cli.run_with(cmd).await;
    assert_eq!(
        stderr(&out),
        format!(
            "error: no password for {}: set PVE_PASSWORD or PVE_TOKEN, or run `proxmoxia login` on a terminal\n",
            pve.user()
        )
    );
}

async fn an_api_token_from_the_environment(kind: PeerKind) {
    let pve = Peer::start_with(
        kind,
        proxmoxia_tests::Options {
            scenarios: vec![Scenario::ApiToken],
            ..proxmoxia_tests::Options::default()
        },
    )
    .await;
    let (id, secret) = pve.token();
    let cli = Cli::for_peer(&pve);
    let mut cmd = cli.command(&["get", "/nodes/pve1/qemu/100/config"]);
    cmd.env_remove("PVE_PASSWORD")
        .env("PVE_TOKEN", format!("{id}={secret}"));
    let out = cli.run_with(cmd).await;
    assert_eq!(json(&out)["name"], "web");
    assert_eq!(posts(&pve.requests().await, "/access/ticket"), 0);
    assert!(cli.ticket_files().is_empty());
}

/// The volumes of `content` on `local`: (volid, size).
async fn local_content(cli: &Cli, content: &str) -> Vec<(String, u64)> {
    let listed = json(
        &cli.run(&[
            "get",
            "/nodes/pve1/storage/local/content",
            "--content",
            content,
        ])
        .await,
    );
    listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| {
            (
                v["volid"].as_str().expect("volid").to_owned(),
                v["size"].as_u64().expect("size"),
            )
        })
        .collect()
}

async fn upload_streams_the_file_and_follows_the_copy_task(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let file = cli.home.path().join("upload.tar.zst");
    // Not a multiple of the 64 KiB chunks, and every byte value.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(64 * 1024 + 7).collect();
    std::fs::write(&file, &bytes).expect("file");
    let file = file.display().to_string();
    let name = TEMPLATE_VOLID.rsplit('/').next().expect("a file name");
    let out = cli
        .run(&[
            "upload",
            "pve1",
            "local",
            &file,
            "--content",
            "vztmpl",
            "--filename",
            name,
        ])
        .await;
    let upid = bare_upid(&out);
    assert_eq!(upid.task_type(), "imgcopy");
    // The summary (no bar in a pipe), then the copy task's log to PVE's last line.
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(&*format!(
            "uploaded {name} to local on pve1: 65543 bytes (64.01 KiB)"
        )),
        "stderr: {err}"
    );
    assert_eq!(lines.last().copied(), Some("TASK OK"), "stderr: {err}");
    assert_eq!(
        local_content(&cli, "vztmpl").await,
        [(TEMPLATE_VOLID.to_owned(), 65543)]
    );

    // A storage that holds no files: PVE's refusal, exit 1, nothing stored.
    let out = cli
        .run(&["upload", "pve1", "local-lvm", &file, "--content", "iso"])
        .await;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(
        err.starts_with("error: can't upload to storage type 'lvmthin'"),
        "stderr: {err}"
    );
    assert_eq!(local_content(&cli, "iso").await, []);
}

/// `download-url` through the generic verb: the server-side download task is followed, its
/// log shown, and the file is then on the storage.
async fn create_download_url_follows_the_download_task(kind: PeerKind) {
    let pve = Peer::start(kind).await;
    let cli = Cli::for_peer(&pve);
    let url = "https://images.example.com/debian-13.iso";
    let out = cli
        .run(&[
            "create",
            "/nodes/pve1/storage/local/download-url",
            "--content",
            "iso",
            "--filename",
            "debian-13.iso",
            "--url",
            url,
        ])
        .await;
    let upid = bare_upid(&out);
    assert_eq!(upid.task_type(), "download");
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(&*format!("downloading {url} to debian-13.iso")),
        "stderr: {err}"
    );
    assert_eq!(lines.last().copied(), Some("TASK OK"), "stderr: {err}");
    let isos = local_content(&cli, "iso").await;
    let volids: Vec<&str> = isos.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(volids, ["local:iso/debian-13.iso"]);
}

// Hostile servers: scripted answers behind a TLS front.

/// A list of 2900 objects with a key each of their own (42 KB): a table of them once printed
/// 84 MB (a column per key, every row padded to all of them) and took 642 MiB. It shows the
/// first 32 keys as columns and says how many more there are.
#[tokio::test]
async fn a_table_of_a_large_heterogeneous_answer_is_linear_in_it() {
    let pve = WirePve::start().await;
    let rows = 2900;
    let items: Vec<Value> = (0..rows)
        .map(|i| json!({ format!("k{i:04}"): i }))
        .collect();
    assert_eq!(json!({ "data": items }).to_string().len(), 42_400);
    pve.mount_data("cluster/resources", Value::Array(items))
        .await;
    let cli = Cli::for_front(&pve.front);
    let out = cli.run(&["get", "/cluster/resources", "-o", "table"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    // Three rules, the header, a line per row, the note.
    assert_eq!(lines.len(), 3 + 1 + rows + 1);
    let header: String = (0..32).map(|i| format!(" k{i:04} \u{2502}")).collect();
    assert_eq!(lines[1], format!("\u{2502}{header}"));
    let first: String = std::iter::once("     0 \u{2502}".to_owned())
        .chain((1..32).map(|_| "       \u{2502}".to_owned()))
        .collect();
    assert_eq!(lines[3], format!("\u{2502}{first}"));
    assert_eq!(
        lines[lines.len() - 1],
        "(2868 more columns not shown: -o json shows every key)"
    );
    // 32 columns 7 wide: a line is 257 characters, 33 of them 3-byte box lines (rules: all
    // 257), and a newline.
    let row = 32 * 7 + 33 * 3 + 1;
    let rule = 257 * 3 + 1;
    let note = lines[lines.len() - 1].len() + 1;
    assert_eq!(out.stdout.len(), 3 * rule + (1 + rows) * row + note);
    assert_eq!(out.stdout.len(), 942_295);
}

/// A server answering the download with its headers and the first 1000 bytes of 2000, then
/// keeping the connection open (`stall`) or closing it. `seen` fires once those bytes are
/// sent: the request was made.
async fn half_a_file(stall: bool) -> (TlsFront, tokio::sync::oneshot::Receiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let (seen, seen_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("a connection");
        let mut head = Vec::new();
        let mut buf = [0u8; 4096];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.expect("the request");
            assert_ne!(n, 0, "the request ended early");
            head.extend_from_slice(&buf[..n]);
        }
        socket
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                  Content-Length: 2000\r\n\r\n",
            )
            .await
            .expect("headers");
        socket
            .write_all(&[b'x'; 1000])
            .await
            .expect("half the body");
        socket.flush().await.expect("flushed");
        let _ = seen.send(());
        if stall {
            // Held until the test ends: the transfer neither moves nor ends.
            std::future::pending::<()>().await;
        }
    });
    (TlsFront::start(addr).await, seen_rx)
}

const RESTORE: &str = "/nodes/pve1/storage/local/file-restore/download";

/// `download ... -O <dir>/hosts` into a directory holding an older `hosts`.
fn download_over_a_file(cli: &Cli) -> (PathBuf, std::process::Command) {
    let dir = cli.home.path().join("out");
    std::fs::create_dir_all(&dir).expect("dir");
    let target = dir.join("hosts");
    std::fs::write(&target, "old\n").expect("older file");
    let cmd = cli.std_command(&[
        "download",
        RESTORE,
        "--volume",
        "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst",
        "--filepath",
        "L2V0Yy9ob3N0cw==",
        "-O",
        &target.display().to_string(),
    ]);
    (target, cmd)
}

/// The names in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Ctrl-C during a stalled download: the run ends (status 130), no partial file is left and
/// the file it was to replace is as it was. (It once died by the signal, leaving the first
/// 1000 bytes as the file.)
#[tokio::test]
async fn an_interrupted_download_leaves_no_partial_file() {
    let (front, seen) = half_a_file(true).await;
    let cli = Cli::for_front(&front);
    let (target, mut cmd) = download_over_a_file(&cli);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let pid = child.id().to_string();
    let done = tokio::task::spawn_blocking(move || child.wait_with_output().expect("exits"));
    seen.await.expect("the request came");
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let out = done.await.expect("waited");
    assert_eq!(files_in(target.parent().expect("dir")), ["hosts"]);
    assert_eq!(std::fs::read_to_string(&target).expect("kept"), "old\n");
    assert_eq!(out.status.code(), Some(130), "{out:?}");
    assert_eq!(
        stderr(&out),
        format!(
            "error: interrupted: nothing was written to {}\n",
            target.display()
        )
    );
}

/// A transfer cut short: exit 1 with the reason, no partial file, and the file it was to
/// replace is as it was. (It once removed that file.)
#[tokio::test]
async fn a_download_cut_short_keeps_the_file_it_was_to_replace() {
    let (front, _seen) = half_a_file(false).await;
    let cli = Cli::for_front(&front);
    let (target, cmd) = download_over_a_file(&cli);
    let out = cli.run_with(assert_cmd::Command::from_std(cmd)).await;
    assert_eq!(files_in(target.parent().expect("dir")), ["hosts"]);
    assert_eq!(std::fs::read_to_string(&target).expect("kept"), "old\n");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "error: connection error on GET {}/api2/json{RESTORE}?filepath=L2V0Yy9ob3N0cw%3D%3D&\
             volume=local%3Abackup%2Fvzdump-qemu-100-2026_01_01-00_00_00.vma.zst: error decoding \
             response body: request or response body error: error reading a body from \
             connection: end of file before message length reached (a read: safe to retry)\n",
            front.url()
        )
    );
}

peer_tests!(
    get_version_prints_the_peers_version,
    ls_lists_guests_and_literal_children,
    create_waits_for_the_task_and_ls_shows_the_container,
    no_wait_prints_the_upid_only,
    set_and_delete_change_the_guest,
    a_bad_parameter_is_refused_before_anything_is_sent,
    a_failed_task_exits_non_zero_with_pves_error,
    the_ticket_is_kept_private_and_reused,
    an_api_token_from_the_environment,
    upload_streams_the_file_and_follows_the_copy_task,
    create_download_url_follows_the_download_task,
);
