//! Path parameters are checked like body parameters: the handles take any value
//! (`client.nodes(..)`, `.qemu(vmid)`), so a typed request checks them against the schema
//! before anything is sent. Runs against the embedded fake, which records what reaches it.

use proxmoxia::mock::MockPve;
use proxmoxia::{Error, ValidationError};

fn validation(err: Error) -> Box<ValidationError> {
    match err {
        Error::Validation(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The paths of the requests the fake has seen.
fn seen(pve: &MockPve) -> Vec<String> {
    pve.requests().into_iter().map(|(_, path)| path).collect()
}

#[tokio::test]
async fn a_bad_node_name_is_refused_before_sending() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let before = seen(&pve).len();
    let err = client
        .nodes("bad node")
        .qemu(100)
        .status()
        .current()
        .get()
        .await
        .unwrap_err();
    let err = validation(err);
    assert_eq!(err.param, "node");
    assert_eq!(err.rule, "format pve-node");
    assert!(
        err.to_string()
            .contains("value does not look like a valid node name"),
        "{err}"
    );
    assert_eq!(seen(&pve).len(), before, "nothing was sent");
}

#[tokio::test]
async fn a_vmid_out_of_range_is_refused() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let request = client.nodes("pve1").qemu(99).config().get();
    let err = validation(request.validate().unwrap_err());
    assert_eq!(err.param, "vmid");
    assert_eq!(err.rule, "format pve-vmid");
}

#[tokio::test]
async fn an_empty_path_parameter_is_named() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let err = validation(
        client
            .nodes("")
            .qemu(100)
            .config()
            .get()
            .validate()
            .unwrap_err(),
    );
    assert_eq!(err.param, "node");
}

#[tokio::test]
async fn valid_path_parameters_with_escaped_characters_pass() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    // A volume ID holds `:` and `/`; the handle escapes them and validation reads them back.
    let request = client
        .nodes("pve1")
        .storage("local")
        .content("local:iso/debian.iso")
        .get();
    request.validate().unwrap();
    assert_eq!(
        request.api_path(),
        "nodes/pve1/storage/local/content/local:iso%2Fdebian.iso"
    );
    let ok = client.nodes("pve1").qemu(100).status().current().get();
    ok.validate().unwrap();
}

#[tokio::test]
async fn a_bad_user_id_in_the_path_is_refused() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let err = validation(
        client
            .access()
            .users("no-realm")
            .get()
            .validate()
            .unwrap_err(),
    );
    assert_eq!(err.param, "userid");
}
