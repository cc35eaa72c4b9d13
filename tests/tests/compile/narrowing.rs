//! `--cfg proxmoxia_pve="8.4"`: a build that must run against PVE 8.4 gets compile errors
//! for what 8.4 lacks, and keeps everything 8.4 has.
//!
//! The programs are `tests/narrowing/src/bin/*.rs` (built normally with the workspace, where
//! every call exists). Here they are checked with the cfg in RUSTFLAGS, in a target
//! directory of their own (`target/narrowing`: other flags would rebuild the workspace's).

use std::path::Path;
use std::process::{Command, Output};

/// `cargo check` of one program of `tests/narrowing` with `--cfg proxmoxia_pve="8.4"`.
fn check_for_84(bin: &str) -> Output {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .current_dir(&workspace)
        .args([
            "check",
            "--quiet",
            "-p",
            "proxmoxia-narrowing",
            "--bin",
            bin,
        ])
        .env("CARGO_TARGET_DIR", workspace.join("target/narrowing"))
        .env("RUSTFLAGS", r#"--cfg proxmoxia_pve="8.4""#)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

#[test]
fn a_build_for_pve_84_rejects_what_84_lacks_and_keeps_the_rest() {
    let ok = check_for_84("calls_84");
    assert!(
        ok.status.success(),
        "calls PVE 8.4 has must compile:\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let refused = check_for_84("uses_92");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "9.x calls compiled for 8.4");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error[")).collect();
    assert_eq!(
        errors,
        [
            // GET /cluster/qemu (9.2+)
            "error[E0599]: no method named `qemu` found for struct `proxmoxia::api::cluster::Handle` in the current scope",
            // `audiences` of POST /access/domains (9.2+): a setter of that endpoint's
            // request, which the label below names
            "error[E0599]: no method named `audiences` found for struct `proxmoxia::typed::Request<E>` in the current scope",
            // timeframe `decade` (9.1+); the enum is shared by the rrd endpoints, so the
            // compiler names its home
            "error[E0599]: no variant or associated item named `Decade` found for enum `RrdGetTimeframe` in the current scope",
        ],
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "method not found in `proxmoxia::typed::Request<proxmoxia::api::access::domains::post::Endpoint>`"
        ),
        "{stderr}"
    );
}
