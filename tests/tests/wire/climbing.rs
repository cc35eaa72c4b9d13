//! Paths that try to climb: a path parameter `.` or `..` is refused before sending (URL
//! parsers would resolve it, so `tasks("..").delete()` would be `DELETE /nodes/pve1`), a raw
//! segment too, and a raw path is resolved inside the API root.

use proxmoxia::Error;
use proxmoxia_tests::wire::{WirePve as Pve, ok};
use serde_json::json;

/// The validation error inside `err`: (param, rule).
fn refused(err: Error) -> (String, String) {
    match err {
        Error::Validation(v) => (v.param.clone(), v.rule.clone()),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn typed_path_parameters_dot_and_dot_dot_are_refused_unsent() {
    let pve = Pve::start().await;
    let client = pve.token_client();

    let err = client
        .access()
        .tfa("root@pam")
        .id("..")
        .delete()
        .await
        .expect_err("climbs");
    assert_eq!(refused(err), ("id".into(), "path segment".into()));
    let err = client
        .nodes("pve1")
        .tasks("..")
        .delete()
        .await
        .expect_err("climbs");
    assert_eq!(refused(err), ("upid".into(), "path segment".into()));
    let err = client
        .nodes(".")
        .tasks("x")
        .delete()
        .await
        .expect_err("climbs");
    assert_eq!(refused(err), ("node".into(), "path segment".into()));
    let err = client.access().users("..").get().await.expect_err("climbs");
    assert_eq!(refused(err), ("userid".into(), "path segment".into()));
    // Nothing went out.
    assert!(pve.requests().await.is_empty());
}

#[tokio::test]
async fn dots_inside_a_value_are_fine() {
    let pve = Pve::start().await;
    pve.mount_data("nodes/pve1/tasks/a..b", json!({})).await;
    pve.mount_data("nodes/pve1/tasks/...", json!({})).await;
    let client = pve.token_client();

    client
        .nodes("pve1")
        .tasks("a..b")
        .delete()
        .await
        .expect("sent");
    client
        .nodes("pve1")
        .tasks("...")
        .delete()
        .await
        .expect("sent");
    let paths: Vec<String> = pve
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "/api2/json/nodes/pve1/tasks/a..b",
            "/api2/json/nodes/pve1/tasks/..."
        ]
    );
}

#[tokio::test]
async fn raw_paths_are_resolved_inside_the_api_root() {
    let pve = Pve::start().await;
    pve.mount("/api2/json/x", ok(json!("x"))).await;
    pve.mount("/api2/json/version", ok(json!("v"))).await;
    let client = pve.token_client();

    assert_eq!(client.raw("nodes/../../x").path(), "x");
    assert_eq!(
        client.raw("nodes/../../x").get(()).await.expect("x"),
        json!("x")
    );
    assert_eq!(
        client
            .raw("/../../../version")
            .get(())
            .await
            .expect("version"),
        json!("v")
    );
    assert_eq!(client.raw("./nodes/./pve1/").path(), "nodes/pve1");
    let paths: Vec<String> = pve
        .requests()
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/api2/json/x", "/api2/json/version"]);
}

#[tokio::test]
async fn raw_segments_dot_and_dot_dot_are_refused_unsent() {
    let pve = Pve::start().await;
    let client = pve.token_client();

    for segment in ["..", "."] {
        let path = client.raw("nodes/pve1/tasks").segment(segment);
        for err in [
            path.get(()).await.expect_err("climbs"),
            path.delete(()).await.expect_err("climbs"),
            path.post(())
                .decode::<serde_json::Value>()
                .await
                .expect_err("climbs"),
        ] {
            assert_eq!(refused(err), ("segment".into(), "path segment".into()));
        }
    }
    // A segment is escaped, `%` included: `%2e%2e` stays a name, it does not climb.
    assert_eq!(
        client.raw("nodes").segment("%2e%2e").path(),
        "nodes/%252e%252e"
    );
    assert!(pve.requests().await.is_empty());
}
