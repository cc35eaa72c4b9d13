//! Careless input: list items holding the list's separator, path segments of the helpers
//! (uploads, file restore) that would climb out of their path, upload file names that are
//! no file names. Each is refused before anything is sent, by a validation error naming
//! the parameter.

use proxmoxia::typed::Validate;
use proxmoxia::{Error, UploadContent, ValidationError};
use proxmoxia_tests::wire::WirePve as Pve;
use serde_json::json;

/// The validation error `err` is.
fn validation(err: &Error) -> &ValidationError {
    match err {
        Error::Validation(v) => v,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// list items

#[tokio::test]
async fn a_list_item_holding_a_separator_is_refused_naming_the_parameter() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/qemu/100/config", json!(null))
        .await;
    let client = pve.token_client();

    for item in [
        "description,net1,ide2",
        "net1;ide2",
        "net1 ide2",
        "net1\tide2",
        "net1\0ide2",
    ] {
        let request = client.nodes("pve1").qemu(100).config().put().delete([item]);
        let expected = format!(
            "invalid parameter delete: item {item:?} holds a list separator (`,`, `;`, white space or NUL): PVE would read it as several items (format pve-configid-list)"
        );
        // Sending, checking, and checking the parameters alone agree.
        let sent = request.send().await.expect_err(item);
        let checked = request.validate().expect_err(item);
        let params = request.params().validate().expect_err(item);
        for err in [&sent, &checked, &params] {
            let v = validation(err);
            assert_eq!(
                (v.param.as_str(), v.rule.as_str()),
                ("delete", "format pve-configid-list")
            );
            assert!(err.to_string().starts_with(&expected), "{err}");
        }
    }
    assert!(pve.requests().await.is_empty(), "nothing was sent");

    // Items as given go as one list.
    client
        .nodes("pve1")
        .qemu(100)
        .config()
        .put()
        .delete(["net1", "ide2"])
        .await
        .expect("sent");
    let request = pve.single_request().await;
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        "delete=net1%2Cide2"
    );
}

// ---------------------------------------------------------------------------------------
// path segments of the helpers

#[tokio::test]
async fn an_upload_to_a_climbing_or_invalid_path_is_refused_unsent() {
    let pve = Pve::start().await;
    let client = pve.token_client();
    for (node, storage, param, rule) in [
        ("pve1", "..", "storage", "path segment"),
        ("..", "local", "node", "path segment"),
        ("pve1", ".", "storage", "path segment"),
        ("pve 1", "local", "node", "format pve-node"),
        ("pve1", "local/x", "storage", "format pve-storage-id"),
    ] {
        let err = client
            .upload(node, storage, UploadContent::Iso)
            .from_bytes("debian.iso", b"iso".to_vec())
            .await
            .expect_err(storage);
        let v = validation(&err);
        assert_eq!(
            (v.param.as_str(), v.rule.as_str()),
            (param, rule),
            "{node} {storage}: {err}"
        );
    }
    assert!(pve.requests().await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn an_upload_file_name_must_be_a_file_name() {
    let pve = Pve::start().await;
    let client = pve.token_client();
    let too_long = "x".repeat(256);
    for name in [
        "",
        ".",
        "..",
        "../debian.iso",
        "isos/debian.iso",
        "a\\b.iso",
        "a\nb.iso",
        &too_long,
    ] {
        let err = client
            .upload("pve1", "local", UploadContent::Iso)
            .from_bytes(name, b"iso".to_vec())
            .await
            .expect_err(name);
        let v = validation(&err);
        assert_eq!(v.param, "filename", "{name:?}: {err}");
    }
    assert!(pve.requests().await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_file_restore_download_from_a_climbing_path_is_refused_unsent() {
    let pve = Pve::start().await;
    let client = pve.token_client();
    let dir = tempfile::tempdir().expect("dir");
    for (node, storage, param) in [("..", "pbs", "node"), ("pve1", "..", "storage")] {
        let download = || client.file_restore_download(node, storage, "backup", "L2V0Yw==");
        let err = download().open().await.expect_err("refused");
        assert_eq!(validation(&err).param, param, "{err}");
        let mut sink = Vec::new();
        let err = download().to_writer(&mut sink).await.expect_err("refused");
        assert_eq!(validation(&err).param, param, "{err}");
        let err = download()
            .to_path(dir.path().join("out"))
            .await
            .expect_err("refused");
        assert_eq!(validation(&err).param, param, "{err}");
    }
    assert!(pve.requests().await.is_empty(), "nothing was sent");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
