//! The `proxmoxia` binary against the embedded fake: `--mock`, `mock serve`, the TFA prompt,
//! usage, the version guard and shell completion. (The calls against both peers are in
//! `tests/tests/e2e/cli.rs`.) Each test runs the real binary as a process.

// Helpers outside #[test] functions panic on a broken set-up too.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use proxmoxia::mock::MockPve;

fn proxmoxia(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proxmoxia"));
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
    cmd.args(args);
    cmd
}

fn run(args: &[&str]) -> Output {
    proxmoxia(args).output().expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn mock_get_version_prints_the_fakes_version() {
    let out = run(&["--mock", "get", "/version"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"release\":\"9.2\",\"repoid\":\"proxmoxia-mock\",\"version\":\"9.2.0\"}\n"
    );
    let out = run(&[
        "--mock",
        "--pve-version",
        "8.4.17",
        "get",
        "/version",
        "-o",
        "yaml",
    ]);
    assert_eq!(
        text(&out.stdout),
        "release: '8.4'\nrepoid: proxmoxia-mock\nversion: 8.4.17\n"
    );
}

#[test]
fn mock_ls_and_a_table() {
    let out = run(&["--mock", "ls", "/nodes/pve1/qemu", "-o", "table"]);
    assert_eq!(text(&out.stdout), "Dr--d        100\nDr--d        101\n");
    let out = run(&[
        "--mock",
        "get",
        "/nodes/pve1/qemu/101/config",
        "-o",
        "table",
    ]);
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        lines[0].replace(|c| c != '┌' && c != '─' && c != '┬' && c != '┐', "")
    );
    assert_eq!(
        lines[1].split('│').map(str::trim).collect::<Vec<_>>(),
        ["", "key", "value", ""]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.split('│').map(str::trim).collect::<Vec<_>>() == ["", "name", "db", ""]),
        "{table}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.split('│').map(str::trim).collect::<Vec<_>>() == ["", "memory", "4096", ""]),
        "{table}"
    );
}

#[test]
fn usage_shows_pves_description_and_the_parameters() {
    let out = run(&["usage", "/nodes/pve1/lxc"]);
    assert_eq!(
        text(&out.stdout),
        "USAGE: proxmoxia get /nodes/{node}/lxc\n\
         USAGE: proxmoxia create /nodes/{node}/lxc --ostemplate <string> --vmid <integer> (100 - 999999999) [OPTIONS]\n"
    );
    let out = run(&[
        "usage",
        "/nodes/{node}/qemu/{vmid}/migrate",
        "-c",
        "create",
        "-v",
    ]);
    let usage = text(&out.stdout);
    for expected in [
        "USAGE: proxmoxia create /nodes/{node}/qemu/{vmid}/migrate --target <string> [OPTIONS]\n",
        "\n  Migrate virtual machine. Creates a new migration task.\n",
        "  --online <boolean>\n        Use online/live migration if VM is running. Ignored if VM is stopped.\n",
        "  --with-conntrack-state <boolean> (default=0) [PVE 9.1.11, 9.2]\n",
        "  Check: [\"perm\",\"/vms/{vmid}\",[\"VM.Migrate\"]]\n",
        "  API tokens: allowed\n",
        "  PVE versions: 8.4.17, 9.1.11, 9.2 (described as in 9.2)\n",
    ] {
        assert!(usage.contains(expected), "{expected:?} in:\n{usage}");
    }
}

#[test]
fn the_version_guard_refuses_what_the_clusters_pve_lacks() {
    let args = [
        "create",
        "/nodes/pve1/qemu/100/migrate",
        "--target",
        "pve2",
        "--with-conntrack-state",
        "1",
    ];
    let mut old = vec!["--mock", "--pve-version", "8.4.17"];
    old.extend(args);
    let out = run(&old);
    // A mistake of the command line for this cluster: nothing sent, exit status 2.
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: parameter --with-conntrack-state is not in PVE 8.4.17 (the cluster's version, \
         checked against the schema of PVE 8.4.17); PVE 9.1.11, 9.2 have it. Nothing was sent.\n"
    );
}

#[test]
fn mock_serve_serves_one_fake_to_several_runs() {
    let mut serve = proxmoxia(&["mock", "serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mock serve starts");
    let stdout = serve.stdout.take().expect("stdout");
    let mut env = Vec::new();
    for line in BufReader::new(stdout).lines().take(4) {
        let line = line.expect("a line");
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .unwrap_or_else(|| panic!("not an export line: {line}"));
        env.push((name.to_owned(), value.to_owned()));
    }
    let names: Vec<&str> = env.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["PVE_URL", "PVE_FINGERPRINT", "PVE_USER", "PVE_PASSWORD"]
    );
    let cache = std::env::temp_dir().join(format!("proxmoxia-cli-serve-{}", std::process::id()));
    let with_env = |args: &[&str]| {
        let mut cmd = proxmoxia(args);
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .env("XDG_CACHE_HOME", &cache);
        cmd.output().expect("runs")
    };
    let created = with_env(&[
        "create",
        "/nodes/pve1/lxc",
        "--vmid",
        "300",
        "--hostname",
        "demo",
        "--ostemplate",
        proxmoxia::mock::SEED_TEMPLATE,
        "--rootfs",
        "local-lvm:8",
    ]);
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert_eq!(text(&created.stderr), "created lxc 300\nTASK OK\n");
    let listed = with_env(&["ls", "/nodes/pve1/lxc", "-o", "table"]);
    assert_eq!(text(&listed.stdout), "Dr--d        200\nDr--d        300\n");
    serve.kill().expect("stop the fake");
    let _ = serve.wait();
    let _ = std::fs::remove_dir_all(cache);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_factor_is_asked_for() {
    let pve = MockPve::start().await.expect("fake");
    pve.enable_tfa("root@pam", "123456", &["recovery-1"]);
    let cache = tempdir("tfa");
    let command = |code: &'static str| {
        let mut cmd = proxmoxia(&["get", "/version"]);
        cmd.env("PVE_URL", pve.url())
            .env("PVE_FINGERPRINT", pve.fingerprint().to_string())
            .env("PVE_PASSWORD", pve.password())
            .env("XDG_CACHE_HOME", &cache)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().expect("runs");
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(code.as_bytes()).expect("code written");
            drop(stdin);
            child.wait_with_output().expect("output")
        })
    };
    let wrong = command("000000\n").await.expect("run");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).starts_with(
            "Second factor for root@pam (TOTP code, or recovery:KEY): error: authentication failed"
        ),
        "{}",
        text(&wrong.stderr)
    );
    let right = command("123456\n").await.expect("run");
    assert!(right.status.success(), "{}", text(&right.stderr));
    assert_eq!(
        text(&right.stderr),
        "Second factor for root@pam (TOTP code, or recovery:KEY): "
    );
    // The ticket is kept: the next run asks nothing.
    let again = command("").await.expect("run");
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(text(&again.stderr), "");
    let _ = std::fs::remove_dir_all(cache);
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("proxmoxia-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn completion_of_commands_paths_values_and_parameters() {
    let complete = |line: &str| text(&run(&["__complete", line]).stdout);
    assert_eq!(
        complete("proxmoxia --mock ls /nodes/pve1/qe"),
        "/nodes/pve1/qemu/\n"
    );
    assert_eq!(
        complete("proxmoxia --mock get /nodes/pve1/qemu/"),
        "/nodes/pve1/qemu/100/\n/nodes/pve1/qemu/101/\n"
    );
    assert_eq!(
        complete("proxmoxia set /nodes/pve1/qemu/100/config --bal"),
        "--balloon\n"
    );
    assert_eq!(
        complete("proxmoxia create /nodes/pve1/lxc --cmode "),
        "shell\nconsole\ntty\n"
    );
    assert_eq!(
        complete("proxmoxia get /version --output j"),
        "json\njson-pretty\n"
    );
    assert_eq!(complete("proxmoxia us"), "usage\n");
}

/// The bash script, sourced into a real bash, completing a line.
#[test]
fn bash_completes_through_the_binary() {
    let Ok(bash) = which("bash") else {
        panic!("bash is needed for this test");
    };
    let script = text(&run(&["completion", "bash"]).stdout);
    let dir = tempdir("bash");
    std::fs::create_dir_all(&dir).expect("dir");
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_proxmoxia"))
        .parent()
        .expect("dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let test = format!(
        "{script}\n\
         COMP_LINE='proxmoxia --mock ls /nodes/pve1/qemu/'; COMP_POINT=${{#COMP_LINE}}\n\
         COMP_WORDS=(proxmoxia --mock ls /nodes/pve1/qemu/); COMP_CWORD=3\n\
         _proxmoxia; printf '%s\\n' \"${{COMPREPLY[@]}}\"\n\
         COMP_LINE='proxmoxia --mock get /nodes/pve1/storage/local/content/local:vz'; COMP_POINT=${{#COMP_LINE}}\n\
         COMP_WORDS=(proxmoxia --mock get /nodes/pve1/storage/local/content/local : vz); COMP_CWORD=5\n\
         _proxmoxia; printf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
    );
    let out = Command::new(bash)
        .arg("-c")
        .arg(&test)
        .env("PATH", path)
        .output()
        .expect("bash runs");
    // bash splits words at `:`: a volume id is completed from its part after the `:`.
    assert_eq!(
        text(&out.stdout),
        "/nodes/pve1/qemu/100/\n/nodes/pve1/qemu/101/\nvztmpl%2Fdebian-12-standard_12.7-1_amd64.tar.zst\n",
        "stderr: {}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| std::path::Path::new(d).join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_of_the_config_file_and_login() {
    let pve = MockPve::start().await.expect("fake");
    let home = tempdir("profile");
    let config = home.join("config/proxmoxia/config.toml");
    std::fs::create_dir_all(config.parent().expect("dir")).expect("config dir");
    std::fs::write(
        &config,
        format!(
            "default = \"other\"\n\
             [profiles.other]\nurl = \"https://127.0.0.1:1\"\n\
             [profiles.lab]\nurl = \"{}\"\nfingerprint = \"{}\"\nuser = \"root@pam\"\npassword = \"{}\"\n",
            pve.url(),
            pve.fingerprint(),
            pve.password()
        ),
    )
    .expect("config written");
    let run_in_home = |args: &[&str], profile: Option<&str>| {
        let mut cmd = proxmoxia(args);
        cmd.env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_CACHE_HOME", home.join("cache"));
        if let Some(profile) = profile {
            cmd.env("PVE_PROFILE", profile);
        }
        tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
    };
    let login = run_in_home(&["--profile", "lab", "login"], None)
        .await
        .expect("run");
    assert!(login.status.success(), "{}", text(&login.stderr));
    let said = text(&login.stderr);
    assert!(said.starts_with("logged in as root@pam for 1"), "{said}");
    assert!(
        said.trim_end().ends_with(
            "/proxmoxia/tickets/root@pam@127.0.0.1_{port}.json"
                .replace("{port}", pve.url().rsplit(':').next().unwrap_or_default())
                .as_str()
        ),
        "{said}"
    );
    let version = run_in_home(&["get", "/version"], Some("lab"))
        .await
        .expect("run");
    assert!(version.status.success(), "{}", text(&version.stderr));
    let logins = pve
        .requests()
        .iter()
        .filter(|(m, p)| m == "POST" && p == "/access/ticket")
        .count();
    assert_eq!(logins, 1, "the second run used the ticket `login` kept");
    let missing = run_in_home(&["--profile", "nope", "get", "/version"], None)
        .await
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        text(&missing.stderr),
        format!(
            "error: no profile \"nope\" in {} (profiles: lab, other)\n",
            config.display()
        )
    );
    let _ = std::fs::remove_dir_all(home);
}

/// Runs `args` against `pve` with the task's standard output and error read line by line as
/// they come.
fn spawn_against(
    pve: &MockPve,
    args: &[&str],
    cache: &std::path::Path,
) -> (
    std::process::Child,
    tokio::sync::mpsc::UnboundedReceiver<String>,
    tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let mut child = proxmoxia(args)
        .env("PVE_URL", pve.url())
        .env("PVE_FINGERPRINT", pve.fingerprint().to_string())
        .env("PVE_PASSWORD", pve.password())
        .env("XDG_CACHE_HOME", cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let lines = |pipe: Box<dyn std::io::Read + Send>| {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        rx
    };
    let out = lines(Box::new(child.stdout.take().expect("stdout")));
    let err = lines(Box::new(child.stderr.take().expect("stderr")));
    (child, out, err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_task_log_is_printed_while_the_task_runs() {
    let pve = MockPve::start().await.expect("fake");
    // The start task runs until the test ends it.
    pve.set_task_duration(std::time::Duration::from_secs(3600));
    let cache = tempdir("live");
    for (path, error) in [
        ("/nodes/pve1/qemu/101/status/start", None),
        (
            "/nodes/pve1/qemu/100/status/reboot",
            Some("no bootable disk"),
        ),
    ] {
        let (mut child, mut out, mut err) =
            spawn_against(&pve, &["create", path, "-o", "json"], &cache);
        let upid = out.recv().await.expect("the UPID");
        let upid: String = serde_json_from(&upid);
        // The fake's opening line of a task that takes time, then each line shows up while
        // the task still runs: the next one is added only after it.
        let id = &path[17..20];
        let kind = if error.is_some() {
            "qmreboot"
        } else {
            "qmstart"
        };
        assert_eq!(err.recv().await, Some(format!("{kind} {id}: started")));
        for step in ["step one", "step two"] {
            pve.append_task_log(&upid, &[step]);
            assert_eq!(err.recv().await.as_deref(), Some(step));
        }
        pve.finish_task(&upid, error);
        let status = tokio::task::spawn_blocking(move || child.wait().expect("exits"))
            .await
            .expect("waited");
        // The rest of standard error, up to its end.
        let mut rest = Vec::new();
        while let Some(line) = err.recv().await {
            rest.push(line);
        }
        match error {
            None => {
                assert!(status.success());
                assert_eq!(rest, ["TASK OK"]);
            }
            Some(message) => {
                assert_eq!(status.code(), Some(3), "a failed task");
                assert_eq!(
                    rest,
                    [
                        format!("TASK ERROR: {message}"),
                        format!(
                            "error: task {upid} failed: {message} (the task may have changed \
                             things before it failed: not safe to retry blindly)"
                        )
                    ]
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(cache);
}

fn serde_json_from(text: &str) -> String {
    text.trim().trim_matches('"').to_owned()
}

/// Runs `args` against `pve` (its environment, a private ticket cache) off the runtime's
/// thread, as the fake answers on it.
async fn run_against(pve: &MockPve, args: &[&str], cache: &std::path::Path) -> Output {
    let mut cmd = proxmoxia(args);
    cmd.env("PVE_URL", pve.url())
        .env("PVE_FINGERPRINT", pve.fingerprint().to_string())
        .env("PVE_PASSWORD", pve.password())
        .env("XDG_CACHE_HOME", cache);
    tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("runner")
}

#[test]
fn mock_upload_streams_the_file_then_follows_the_copy_task() {
    let dir = tempdir("upload");
    std::fs::create_dir_all(&dir).expect("dir");
    let iso = dir.join("tiny.iso");
    // Not a multiple of the 64 KiB chunks.
    std::fs::write(&iso, vec![7u8; 300_007]).expect("file");
    let iso = iso.display().to_string();
    let out = run(&[
        "--mock",
        "upload",
        "pve1",
        "local",
        &iso,
        "--content",
        "iso",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let upid = serde_json_from(&text(&out.stdout));
    let upid = proxmoxia::Upid::parse(&upid).expect("a UPID on stdout");
    assert_eq!((upid.task_type(), upid.node()), ("imgcopy", "pve1"));
    // In a pipe: no bar, the summary, then the copy task's log as it is followed.
    assert_eq!(
        text(&out.stderr),
        "uploaded tiny.iso to local on pve1: 300007 bytes (292.98 KiB)\n\
         starting file import from: upload of tiny.iso\n\
         target file: local:iso/tiny.iso\n\
         file size is: 300007\n\
         TASK OK\n"
    );

    // --filename names it on the storage; --no-wait prints the UPID only.
    let out = run(&[
        "--mock",
        "upload",
        "pve1",
        "local",
        &iso,
        "--content",
        "iso",
        "--filename",
        "renamed.iso",
        "--no-wait",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        "uploaded renamed.iso to local on pve1: 300007 bytes (292.98 KiB)\n"
    );

    // Refused before anything is read or sent: the schema's rules, a missing file.
    let out = run(&[
        "--mock",
        "upload",
        "pve1",
        "local",
        &iso,
        "--content",
        "iso",
        "--checksum-algorithm",
        "crc32",
        "--checksum",
        "00",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: invalid parameter checksum-algorithm: value 'crc32' does not have a value in \
         the enumeration 'md5, sha1, sha224, sha256, sha384, sha512' (enum) (nothing \
         reached PVE: safe to retry)\n"
    );
    let missing = dir.join("none.iso").display().to_string();
    let out = run(&[
        "--mock",
        "upload",
        "pve1",
        "local",
        &missing,
        "--content",
        "iso",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("error: cannot read {missing}: No such file or directory (os error 2)\n")
    );
    let _ = std::fs::remove_dir_all(dir);
}

const VOLUME: &str = "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst";
/// `/etc/hosts`, base64 (PVE's `filepath`).
const FILEPATH: &str = "L2V0Yy9ob3N0cw==";
const RESTORE: &str = "/nodes/pve1/storage/local/file-restore/download";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn download_streams_a_file_from_a_backup_to_a_file_or_stdout() {
    let pve = MockPve::start().await.expect("fake");
    // 3 MiB and a bit, every byte value: many chunks.
    let stored: Vec<u8> = (0..3 * 1024 * 1024 + 5)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    pve.store_restore_file(VOLUME, FILEPATH, stored.clone());
    let dir = tempdir("download");
    std::fs::create_dir_all(&dir).expect("dir");
    let cache = dir.join("cache");
    let file = dir.join("hosts");
    let file_arg = file.display().to_string();
    let args = [
        "download",
        RESTORE,
        "--volume",
        VOLUME,
        "--filepath",
        FILEPATH,
        "-O",
        &file_arg,
    ];
    let out = run_against(&pve, &args, &cache).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!("downloaded to {file_arg}: 3145733 bytes (3.00 MiB)\n")
    );
    assert_eq!(text(&out.stdout), "");
    assert!(std::fs::read(&file).expect("written") == stored);

    // To standard output, -O after the parameters.
    let out = run_against(
        &pve,
        &[
            "download",
            RESTORE,
            "--volume",
            VOLUME,
            "--filepath",
            FILEPATH,
            "-O",
            "-",
        ],
        &cache,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout == stored, "stdout holds the stored bytes");
    assert_eq!(
        text(&out.stderr),
        "downloaded to standard output: 3145733 bytes (3.00 MiB)\n"
    );

    // A file the backup lacks: PVE's error, exit 1, and no file created.
    let none = dir.join("none");
    let none_arg = none.display().to_string();
    let out = run_against(
        &pve,
        &[
            "download",
            RESTORE,
            "--volume",
            VOLUME,
            "--filepath",
            "L25vbmU=",
            "-O",
            &none_arg,
        ],
        &cache,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: file-restore: no such file 'L25vbmU=' in '{VOLUME}' (HTTP 500 on GET \
             nodes/pve1/storage/local/file-restore/download) (a read: safe to retry)\n"
        )
    );
    assert!(!none.exists());

    // Without -O, or with a parameter the method lacks: refused, nothing sent.
    let before = pve.requests().len();
    let out = run_against(
        &pve,
        &[
            "download",
            RESTORE,
            "--volume",
            VOLUME,
            "--filepath",
            "L2V0Yw==",
        ],
        &cache,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: download needs -O FILE (or -O - for standard output)\n"
    );
    let out = run_against(
        &pve,
        &["download", RESTORE, "--volum", VOLUME, "-O", &none_arg],
        &cache,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: GET /nodes/{node}/storage/{storage}/file-restore/download has no parameter \
         --volum; did you mean --volume?\n"
    );
    assert_eq!(pve.requests().len(), before, "nothing reached the fake");
    let _ = std::fs::remove_dir_all(dir);
}

/// `mock serve` with `extra` arguments: the process and the environment it printed.
fn serve(extra: &[&str]) -> (std::process::Child, Vec<(String, String)>) {
    let mut args = vec!["mock", "serve"];
    args.extend(extra);
    let mut serve = proxmoxia(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("mock serve starts");
    let stdout = serve.stdout.take().expect("stdout");
    let env = BufReader::new(stdout)
        .lines()
        .take(4)
        .map(|line| {
            let line = line.expect("a line");
            let (name, value) = line
                .strip_prefix("export ")
                .and_then(|l| l.split_once('='))
                .unwrap_or_else(|| panic!("not an export line: {line}"));
            (name.to_owned(), value.to_owned())
        })
        .collect();
    (serve, env)
}

/// A session on `mock serve`: an upload is then listed with its size, and a file of a
/// backup given with `--restore-file` downloads to the same bytes.
#[test]
fn mock_serve_keeps_an_upload_and_serves_a_restore_file() {
    let dir = tempdir("serve-transfers");
    std::fs::create_dir_all(&dir).expect("dir");
    let stored: Vec<u8> = (0..200_003u32).map(|i| (i * 7 % 256) as u8).collect();
    let source = dir.join("hosts.src");
    std::fs::write(&source, &stored).expect("file");
    let (mut server, env) = serve(&[
        "--restore-file",
        VOLUME,
        FILEPATH,
        &source.display().to_string(),
    ]);
    let with_env = |args: &[&str]| {
        let mut cmd = proxmoxia(args);
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .env("XDG_CACHE_HOME", dir.join("cache"));
        cmd.output().expect("runs")
    };
    let iso = dir.join("small.iso");
    std::fs::write(&iso, vec![1u8; 70_000]).expect("file");
    let up = with_env(&[
        "upload",
        "pve1",
        "local",
        &iso.display().to_string(),
        "--content",
        "iso",
    ]);
    assert!(up.status.success(), "{}", text(&up.stderr));
    let listed: serde_json::Value = serde_json::from_slice(
        &with_env(&[
            "get",
            "/nodes/pve1/storage/local/content",
            "--content",
            "iso",
        ])
        .stdout,
    )
    .expect("JSON");
    let volumes: Vec<(&str, u64)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| {
            (
                v["volid"].as_str().expect("volid"),
                v["size"].as_u64().expect("size"),
            )
        })
        .collect();
    assert_eq!(volumes, [("local:iso/small.iso", 70_000)]);

    let out = dir.join("hosts");
    let down = with_env(&[
        "download",
        RESTORE,
        "--volume",
        VOLUME,
        "--filepath",
        FILEPATH,
        "-O",
        &out.display().to_string(),
    ]);
    assert!(down.status.success(), "{}", text(&down.stderr));
    assert!(std::fs::read(&out).expect("written") == stored);
    server.kill().expect("stop the fake");
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(dir);
}

/// `audit-answers` on the fresh fake of `--mock`: the whole sweep, its JSON report, exit 0.
#[test]
fn mock_audit_answers_prints_the_json_report() {
    let out = run(&["--mock", "audit-answers", "-o", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON value");
    assert_eq!(
        report["cluster"],
        serde_json::json!({"version": "9.2.0", "schema": "9.2"})
    );
    assert_eq!(
        report["counts"],
        serde_json::json!({
            "paths_called": 241, "ok": 241, "decode_failures": 0, "http_errors": 0, "errors": 0,
            "unknown_fields": 3, "paths_with_unknown_fields": 1,
        })
    );
    assert_eq!(
        report["paths"].as_array().map(Vec::len),
        report["counts"]["paths_called"]
            .as_u64()
            .map(|n| n as usize)
    );
}

/// A decode failure found is not a failure of the command (exit 0); nothing but GET is sent
/// after the login; `-o table` lists the paths with findings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_answers_reads_only_and_exits_zero_on_findings() {
    use proxmoxia::mock::GuestSpec;
    let pve = MockPve::builder().empty().start().await.expect("fake");
    pve.add_guest(GuestSpec::qemu(100).config("x-note", "hello"));
    pve.add_guest(GuestSpec::qemu(101).config("cores", "many"));
    let cache = tempdir("audit");
    let only = "/nodes/{node}/qemu/{vmid}/config";
    let out = run_against(
        &pve,
        &["audit-answers", "--only", only, "-o", "table"],
        &cache,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "PVE 9.2.0 (schema 9.2), proxmoxia 0.1.0: 5 paths called, 4 ok, 1 decode failures, \
         0 HTTP errors, 0 errors; 1 unknown fields on 1 paths\n\
         ┌─────────────────────────────┬────────────────┬─────────────────────────────────────────────┐\n\
         │ path                        │ outcome        │ what                                        │\n\
         ╞═════════════════════════════╪════════════════╪═════════════════════════════════════════════╡\n\
         │ /nodes/pve1/qemu/100/config │ ok             │ data.x-note (field)                         │\n\
         │ /nodes/pve1/qemu/101/config │ decode_failure │ data.cores: expected an integer, got \"many\" │\n\
         └─────────────────────────────┴────────────────┴─────────────────────────────────────────────┘\n"
    );
    let requests: Vec<(String, String)> = pve.requests();
    let expected = [
        ("POST", "/access/ticket"),
        ("GET", "/version"),
        ("GET", "/nodes"),
        ("GET", "/nodes/pve1/qemu"),
        ("GET", "/nodes/pve1/qemu/100/config"),
        ("GET", "/nodes/pve1/qemu/101/config"),
    ];
    let requests: Vec<(&str, &str)> = requests
        .iter()
        .map(|(m, p)| (m.as_str(), p.as_str()))
        .collect();
    assert_eq!(requests, expected);
    let _ = std::fs::remove_dir_all(&cache);
}

/// A pseudo-terminal whose slave side is a command's standard input, output and error: what
/// the command writes, as a terminal shows it, with a deadline for each wait.
#[cfg(unix)]
struct Pty {
    master: std::fs::File,
    output: std::sync::mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
    /// How much of `seen` the waits have gone past.
    waited: usize,
}

#[cfg(unix)]
impl Pty {
    /// Spawns `cmd` on a new pseudo-terminal of `cols` x `rows`.
    fn spawn(cmd: &mut Command, cols: u16, rows: u16) -> (Pty, std::process::Child) {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let master = std::fs::File::from(master);
        let pty = Pty {
            output: Self::reader(master.try_clone().unwrap()),
            master,
            seen: Vec::new(),
            waited: 0,
        };
        pty.set_size(cols, rows);
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let child = cmd
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave)
            .spawn()
            .expect("the binary runs");
        (pty, child)
    }

    /// A thread reading the master side until the last slave closes.
    fn reader(mut master: std::fs::File) -> std::sync::mpsc::Receiver<Vec<u8>> {
        use std::io::Read;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        rx
    }

    fn set_size(&self, cols: u16, rows: u16) {
        let size = rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&self.master, size).unwrap();
    }

    fn type_keys(&mut self, keys: &[u8]) {
        use std::io::Write;
        self.master.write_all(keys).unwrap();
    }

    /// Reads until `end` shows in the output after the last wait; fails at the deadline.
    fn wait_for(&mut self, end: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let new = &self.seen[self.waited..];
            if let Some(at) = new.windows(end.len()).position(|w| w == end.as_bytes()) {
                self.waited += at + end.len();
                return;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.output.recv_timeout(left) {
                Ok(data) => self.seen.extend(data),
                Err(e) => panic!("no {end:?} ({e}); got {:?}", text(&self.seen)),
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn console_through_a_pseudo_terminal_echoes_resizes_and_leaves_with_ctrl_o() {
    let mut cmd = proxmoxia(&["--mock", "console", "pve1"]);
    let (mut pty, mut child) = Pty::spawn(&mut cmd, 100, 30);
    drop(cmd); // its copies of the terminal, so that the end of the run closes it
    pty.wait_for("root@pve1:~# ");
    pty.type_keys(b"echo hello\r");
    pty.wait_for("hello\r\nroot@pve1:~# ");
    // The window starts at 100x30; SIGWINCH after a change resizes the console.
    pty.type_keys(b"stty size\r");
    pty.wait_for("30 100\r\nroot@pve1:~# ");
    pty.set_size(120, 40);
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::WINCH).unwrap();
    // The resize may still be on its way: ask until the console has it (bounded).
    let mut asked = 0;
    while !text(&pty.seen).contains("40 120") {
        asked += 1;
        assert!(asked <= 50, "no resize: {}", text(&pty.seen));
        pty.type_keys(b"stty size\r");
        pty.wait_for("stty size\r\n");
        pty.wait_for("\r\nroot@pve1:~# ");
    }
    // Ctrl+O leaves, as in `qm terminal`.
    pty.type_keys(b"\x0f");
    pty.wait_for("proxmoxia: left the console\r\n");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let transcript = text(&pty.seen);
    assert!(
        transcript.starts_with(
            "proxmoxia: connected to node pve1; press ^O to leave\r\n\
             root@pve1:~# echo hello\r\nhello\r\n\
             root@pve1:~# stty size\r\n30 100\r\n"
        ),
        "{transcript}"
    );
    assert!(
        transcript.ends_with("stty size\r\n40 120\r\nroot@pve1:~# proxmoxia: left the console\r\n"),
        "{transcript}"
    );
    println!("{transcript}");
}

/// Bytes a terminal would act on: C0 controls but the newline, DEL, and C1 controls.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

/// Control characters a server sends are escaped before they reach the terminal: in a
/// table cell, YAML, the task log, the task's error. (They once arrived as they came: 9
/// control characters that clear the screen, retitle the window, blink.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_from_the_server_are_escaped() {
    let pve = MockPve::start().await.expect("fake");
    let description = "\u{1b}]0;owned\u{7}\u{1b}[2Jgone";
    pve.add_guest(
        proxmoxia::mock::GuestSpec::qemu(102)
            .name("evil")
            .config("description", description),
    );
    let cache = tempdir("escapes");
    let config = "/nodes/pve1/qemu/102/config";
    let table = run_against(&pve, &["get", config, "-o", "table"], &cache).await;
    assert!(table.status.success(), "{}", text(&table.stderr));
    let table = text(&table.stdout);
    assert_eq!(controls(&table), Vec::<char>::new());
    assert!(
        table
            .lines()
            .any(|l| l.split('│').map(str::trim).collect::<Vec<_>>()
                == ["", "description", "\\u{1b}]0;owned\\u{7}\\u{1b}[2Jgone", ""]),
        "{table}"
    );
    let yaml = run_against(&pve, &["get", config, "-o", "yaml"], &cache).await;
    let yaml = text(&yaml.stdout);
    assert_eq!(controls(&yaml), Vec::<char>::new());
    assert!(
        yaml.contains("description: \"\\e]0;owned\\a\\e[2Jgone\"\n"),
        "{yaml}"
    );

    // The task's log and its error, on standard error.
    pve.set_task_duration(std::time::Duration::from_secs(3600));
    let (mut child, mut out, mut err) = spawn_against(
        &pve,
        &["create", "/nodes/pve1/qemu/101/status/start", "-o", "json"],
        &cache,
    );
    let upid = serde_json_from(&out.recv().await.expect("the UPID"));
    let lines = [
        "\u{1b}[2Jscreen cleared",
        "\u{9b}31mred by a C1 CSI",
        "tab\there, delete\u{7f}",
    ];
    pve.append_task_log(&upid, &lines);
    pve.finish_task(&upid, Some("\u{1b}[5mblink"));
    let status = tokio::task::spawn_blocking(move || child.wait().expect("exits"))
        .await
        .expect("waited");
    assert_eq!(status.code(), Some(3));
    let mut printed = Vec::new();
    while let Some(line) = err.recv().await {
        printed.push(line);
    }
    assert_eq!(
        printed,
        [
            "qmstart 101: started".to_owned(),
            "\\u{1b}[2Jscreen cleared".to_owned(),
            "\\u{9b}31mred by a C1 CSI".to_owned(),
            "tab\\there, delete\\u{7f}".to_owned(),
            "TASK ERROR: \\u{1b}[5mblink".to_owned(),
            format!(
                "error: task {upid} failed: \\u{{1b}}[5mblink (the task may have changed \
                 things before it failed: not safe to retry blindly)"
            ),
        ]
    );
    let _ = std::fs::remove_dir_all(cache);
}

/// A config file that does not read: the error names the file, the line, the key and the
/// rule, never the value (it once quoted the whole line, token or password included).
#[test]
fn config_file_errors_never_show_the_values() {
    let dir = tempdir("config-errors");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("config.toml");
    for (config, secret, expected) in [
        (
            "[profiles.ci]\nurl = \"https://pve\"\ntoken = ci@pve!cli=SECRET-1\n",
            "SECRET-1",
            "line 3: unexpected key or value, expected newline, `#`",
        ),
        (
            "[profiles.lab]\npassword = 123456789\n",
            "123456789",
            "line 2: profiles.lab.password: must be a string (in quotes)",
        ),
        (
            "[profiles.lab]\npasword = \"SECRET-3\"\n",
            "SECRET-3",
            "line 2: profiles.lab.pasword: no such setting (url, token, user, password, \
             fingerprint, ca_file, pve_version)",
        ),
        (
            "[profiles.lab]\npassword = \"SECRET-4\n",
            "SECRET-4",
            "line 2: invalid basic string, expected `\"`",
        ),
        (
            "[profiles.lab]\ntoken = \"a\"\ntoken = \"SECRET-5\"\n",
            "SECRET-5",
            "line 3: duplicate key",
        ),
    ] {
        std::fs::write(&file, config).expect("config written");
        let out = proxmoxia(&["get", "/version"])
            .env("PROXMOXIA_CONFIG", &file)
            .output()
            .expect("runs");
        let said = text(&out.stderr);
        assert!(!said.contains(secret), "{said}");
        assert_eq!(out.status.code(), Some(2), "{said}");
        assert_eq!(
            said,
            format!("error: config file {}, {expected}\n", file.display())
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// The ticket directory and file are private even when they were not: a `tickets` directory
/// made 0755 before (it stayed so) is made 0700, a ticket opened up to 0644 is made 0600
/// when it is read, and still used.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_directory_and_file_are_made_private() {
    let pve = MockPve::start().await.expect("fake");
    let cache = tempdir("private-tickets");
    let dir = cache.join("proxmoxia/tickets");
    std::fs::create_dir_all(&dir).expect("dir");
    set_mode(&dir, 0o755);
    let out = run_against(&pve, &["get", "/version"], &cache).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!((mode(&dir), mode(&files[0])), (0o700, 0o600));

    set_mode(&dir, 0o755);
    set_mode(&files[0], 0o644);
    let out = run_against(&pve, &["get", "/version"], &cache).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert_eq!((mode(&dir), mode(&files[0])), (0o700, 0o600));
    let logins = pve
        .requests()
        .iter()
        .filter(|(m, p)| m == "POST" && p == "/access/ticket")
        .count();
    assert_eq!(logins, 1, "the second run used the kept ticket");
    let _ = std::fs::remove_dir_all(cache);
}

/// pvesh's habits: `-name value`, `--output-format text` with `--noborder`/`--noheader`,
/// `--quiet`, and a task's UPID bare (no quotes) in a pipe, ready for `UP=$(...)`.
#[test]
fn pvesh_habits_single_dash_parameters_text_quiet_and_a_bare_upid() {
    let out = run(&[
        "--mock",
        "create",
        "/nodes/pve1/qemu/100/snapshot",
        "-snapname",
        "s1",
        "-description",
        "first",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let upid = text(&out.stdout);
    assert!(
        upid.starts_with("UPID:pve1:") && upid.ends_with(":qmsnapshot:100:root@pam:\n"),
        "{upid:?}"
    );
    assert_eq!(text(&out.stderr), "snapshot 's1' created\nTASK OK\n");
    // --quiet: nothing on standard output, the task still followed on standard error.
    let out = run(&[
        "--mock",
        "create",
        "/nodes/pve1/qemu/100/snapshot",
        "-snapname",
        "s1",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        (text(&out.stdout), text(&out.stderr)),
        (String::new(), "snapshot 's1' created\nTASK OK\n".to_owned())
    );

    let version = |extra: &[&str]| {
        let mut args = vec!["--mock", "get", "/version"];
        args.extend(extra);
        let out = run(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    assert_eq!(
        version(&["--output-format", "text"]),
        "┌─────────┬────────────────┐\n\
         │ key     │ value          │\n\
         ╞═════════╪════════════════╡\n\
         │ release │ 9.2            │\n\
         ├─────────┼────────────────┤\n\
         │ repoid  │ proxmoxia-mock │\n\
         ├─────────┼────────────────┤\n\
         │ version │ 9.2.0          │\n\
         └─────────┴────────────────┘\n"
    );
    assert_eq!(
        version(&["-output-format", "text", "-noborder"]),
        "key     value\nrelease 9.2\nrepoid  proxmoxia-mock\nversion 9.2.0\n"
    );
    assert_eq!(
        version(&["-o", "text", "--noborder", "--noheader"]),
        "release 9.2\nrepoid  proxmoxia-mock\nversion 9.2.0\n"
    );
    assert_eq!(version(&["--quiet"]), "");
    // The options before the path, as clap reads them, or among the parameters.
    assert_eq!(
        run(&["--mock", "get", "--output", "json", "/version"]).stdout,
        run(&["--mock", "get", "/version", "-o", "json"]).stdout
    );
}

/// The exit statuses of the CLI README's table: 2 for the command line (clap's mistakes and the
/// schema's alike, nothing sent), 1 for a call PVE refused, 3 for a failed task (see
/// `the_task_log_is_printed_while_the_task_runs`).
#[test]
fn exit_statuses_follow_the_table() {
    let cases: [(&[&str], i32, &str); 4] = [
        (
            &["--mock", "get", "/nodes/pve1/qemu", "-core", "2"],
            2,
            "error: GET /nodes/{node}/qemu has no parameter --core; see `proxmoxia usage /nodes/{node}/qemu -c get -v`\n",
        ),
        (
            &[
                "--mock",
                "get",
                "/nodes/pve1/qemu",
                "-output-format",
                "nope",
            ],
            2,
            "error: --output-format nope: use json, json-pretty, text, yaml or table\n",
        ),
        (
            &["--mock", "create", "/nodes/pve1/qemu/100/snapshot"],
            2,
            "error: invalid parameter snapname: property is missing and it is not optional (required) (nothing reached PVE: safe to retry)\n",
        ),
        (
            &["--mock", "get", "/nodes/nope/qemu"],
            1,
            "error: hostname lookup 'nope' failed - failed to get address info for: nope: Name or service not known (HTTP 500 on GET nodes/nope/qemu) (a read: safe to retry)\n",
        ),
    ];
    for (args, code, message) in cases {
        let out = run(args);
        assert_eq!(
            (out.status.code(), text(&out.stderr).as_str()),
            (Some(code), message),
            "{args:?}"
        );
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
    let out = run(&["--mock", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: unrecognized subcommand 'frobnicate'\n"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    let table = &help[help.find("Exit status:\n").expect("the table in --help")..];
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "Exit status:");
    // Each status on a line of its own, its meaning wrapped under itself.
    assert_eq!(
        lines[1..]
            .iter()
            .take_while(|l| l.starts_with("  "))
            .filter(|l| !l.starts_with("       "))
            .filter_map(|l| l.split_whitespace().next())
            .collect::<Vec<_>>(),
        ["0", "1", "2", "3", "130"]
    );
    assert_eq!(
        lines[1..3],
        [
            "  0    done; a task it followed ended OK or with warnings",
            "  1    the call failed: PVE refused it or could not be reached, a login failed,"
        ]
    );
    // The CLI's README states the same table, row for row.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for (code, meaning) in proxmoxia_cli::fail::EXIT_STATUSES {
        let row = format!("| {code} | {meaning} |");
        assert!(readme.contains(&row), "README lacks {row}");
    }
}

/// `--password` given is used even with a kept ticket: a wrong one is refused (it was once
/// ignored while the ticket was valid), a right one logs in afresh; without it, the ticket
/// is used again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_given_is_checked_even_with_a_kept_ticket() {
    let pve = MockPve::start().await.expect("fake");
    let cache = tempdir("password-given");
    let logins = || {
        pve.requests()
            .iter()
            .filter(|(m, p)| m == "POST" && p == "/access/ticket")
            .count()
    };
    let out = run_against(&pve, &["get", "/version", "-o", "json"], &cache).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(logins(), 1);

    let out = run_against(&pve, &["--password", "wrong", "get", "/version"], &cache).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: authentication failed for root@pam: authentication failure (PVE refused \
         before acting: safe to retry)\n"
    );
    assert_eq!(text(&out.stdout), "");
    assert_eq!(logins(), 2);

    let right = pve.password().to_owned();
    let out = run_against(&pve, &["--password", &right, "get", "/version"], &cache).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(logins(), 3);
    let out = run_against(&pve, &["get", "/version"], &cache).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(logins(), 3, "the kept ticket again");
    let _ = std::fs::remove_dir_all(cache);
}

/// The fake's own task writes its log as it runs: the CLI shows its opening line while the
/// task runs (an hour long: it cannot end before the test ends it), then the end's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_shows_a_fake_tasks_log_live() {
    let pve = MockPve::start().await.expect("fake");
    pve.set_task_duration(std::time::Duration::from_secs(3600));
    let cache = tempdir("live-fake");
    let (mut child, mut out, mut err) = spawn_against(
        &pve,
        &["create", "/nodes/pve1/qemu/101/status/start"],
        &cache,
    );
    let upid = out.recv().await.expect("the UPID");
    assert!(upid.starts_with("UPID:pve1:"), "a bare UPID: {upid}");
    assert_eq!(err.recv().await.as_deref(), Some("qmstart 101: started"));
    assert_eq!(pve.tasks()[0].exitstatus, None, "still running");
    pve.end_task(&upid);
    let status = tokio::task::spawn_blocking(move || child.wait().expect("exits"))
        .await
        .expect("waited");
    assert!(status.success());
    let mut rest = Vec::new();
    while let Some(line) = err.recv().await {
        rest.push(line);
    }
    assert_eq!(rest, ["TASK OK"]);
    assert!(pve.guest(101).expect("VM 101").running);
    let _ = std::fs::remove_dir_all(cache);
}
