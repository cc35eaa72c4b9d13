//! `mock serve`: the embedded fake PVE as a server of its own, for sessions of several
//! commands (`--mock` starts a fresh fake per run). It prints the environment that points the
//! CLI (or the quickstart) at it, then serves until interrupted. Built with the `mock`
//! feature (a default one); without it, `mock serve` and `--mock` say so.

use crate::args::Serve;
use crate::fail::Fail;

/// `--mock` or `mock serve` in a build without the fake.
#[cfg_attr(feature = "mock", allow(dead_code))]
pub fn not_built_in(what: &str) -> Fail {
    Fail::usage(format!(
        "{what}: the embedded fake PVE is not built in (build proxmoxia-cli with its `mock` \
         feature, a default one)"
    ))
}

#[cfg(not(feature = "mock"))]
pub async fn run(_: Serve) -> Result<(), Fail> {
    Err(not_built_in("mock serve"))
}

#[cfg(feature = "mock")]
pub async fn run(serve: Serve) -> Result<(), Fail> {
    use std::time::Duration;

    let mut builder = proxmoxia::mock::MockPve::builder();
    if let Some(version) = &serve.pve_version {
        builder = builder.pve_version(version);
    }
    let pve = builder.start().await?;
    if let Some(seconds) = serve.task_duration {
        let duration = Duration::try_from_secs_f64(seconds)
            .map_err(|e| Fail::usage(format!("--task-duration {seconds}: {e}")))?;
        pve.set_task_duration(duration);
    }
    for file in serve.restore_file.chunks(3) {
        if let [volume, filepath, path] = file {
            let data = std::fs::read(path)
                .map_err(|e| Fail::usage(format!("--restore-file {path}: {e}")))?;
            pve.store_restore_file(volume, filepath, data);
        }
    }
    // The password is the fake's fixed one (`secret`), not a secret worth hiding.
    crate::output::print(&format!(
        "export PVE_URL={}\nexport PVE_FINGERPRINT={}\nexport PVE_USER={}\nexport PVE_PASSWORD={}\n",
        pve.url(),
        pve.fingerprint(),
        pve.user(),
        pve.password()
    ))?;
    eprintln!(
        "# fake PVE serving on {} until interrupted; run the lines above in another shell to \
         point proxmoxia (or the quickstart) at it",
        pve.url()
    );
    stopped().await;
    drop(pve);
    Ok(())
}

#[cfg(all(feature = "mock", unix))]
async fn stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(all(feature = "mock", not(unix)))]
async fn stopped() {
    let _ = tokio::signal::ctrl_c().await;
}
