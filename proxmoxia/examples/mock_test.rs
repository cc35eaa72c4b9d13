//! How a user tests their own automation against the embedded fake PVE, faults included.
//!
//! The `#[tokio::test]`s below are what would sit in your crate's tests (add `proxmoxia`
//! with `features = ["mock"]` to your dev-dependencies). Run them with
//! `cargo test -p proxmoxia --example mock_test`; `cargo run --example mock_test` runs the
//! same scenario once.

use std::time::Duration;

use proxmoxia::mock::{Fault, GuestSpec, MockPve};
use proxmoxia::{Client, Error};

/// The code under test: start a VM and report how it went.
async fn ensure_running(client: &Client, node: &str, vmid: i64) -> proxmoxia::Result<String> {
    let vm = client.nodes(node).qemu(vmid);
    if vm.status().current().get().await?.status.as_str() == "running" {
        return Ok("already running".into());
    }
    vm.status()
        .start()
        .post()
        .task()
        .await?
        .poll_interval(Duration::from_millis(50))
        .wait()
        .await?;
    Ok("started".into())
}

#[tokio::main]
async fn main() -> proxmoxia::Result<()> {
    let pve = MockPve::start().await?;
    let client = pve.login().await?;
    println!("VM 101: {}", ensure_running(&client, "pve1", 101).await?);
    pve.add_guest(GuestSpec::qemu(150).name("broken"));
    pve.fail_next(
        "POST",
        "/nodes/pve1/qemu/150/status/start",
        Fault::TaskError("no bootable disk".into()),
    );
    match ensure_running(&client, "pve1", 150).await {
        Err(Error::Task(failed)) => {
            println!("VM 150: task failed as scripted: {}", failed.exitstatus)
        }
        other => println!("VM 150: unexpected {other:?}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn starts_a_stopped_vm() {
        let pve = MockPve::start().await.unwrap();
        let client = pve.login().await.unwrap();
        assert_eq!(
            ensure_running(&client, "pve1", 101).await.unwrap(),
            "started"
        );
        assert!(pve.guest(101).unwrap().running);
        assert_eq!(
            ensure_running(&client, "pve1", 101).await.unwrap(),
            "already running"
        );
    }

    #[tokio::test]
    async fn reports_a_failed_start_task() {
        let pve = MockPve::start().await.unwrap();
        let client = pve.login().await.unwrap();
        pve.fail_next(
            "POST",
            "/nodes/{node}/qemu/{vmid}/status/start",
            Fault::TaskError("unable to find configuration file".into()),
        );
        match ensure_running(&client, "pve1", 101).await {
            Err(Error::Task(failed)) => {
                assert_eq!(failed.exitstatus, "unable to find configuration file")
            }
            other => panic!("expected a failed task, got {other:?}"),
        }
        assert!(!pve.guest(101).unwrap().running);
    }

    #[tokio::test]
    async fn survives_an_expired_ticket() {
        let pve = MockPve::start().await.unwrap();
        let client = pve.login().await.unwrap();
        pve.revoke_tickets();
        // The client logs in again with the password it kept.
        assert_eq!(
            ensure_running(&client, "pve1", 100).await.unwrap(),
            "already running"
        );
    }

    #[tokio::test]
    async fn a_missing_vm_is_not_found() {
        let pve = MockPve::start().await.unwrap();
        let client = pve.login().await.unwrap();
        match ensure_running(&client, "pve1", 999).await {
            Err(Error::Api(e)) => assert!(e.is_not_found(), "{e}"),
            other => panic!("expected not found, got {other:?}"),
        }
    }
}
