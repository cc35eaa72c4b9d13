//! Empty is not absent: a parameter set to `""` or to an empty list goes out as `key=`
//! (PVE reads that as "empty", e.g. to clear a description), one never set does not go out,
//! and a property-string key set to `""` stays in the text.

use proxmoxia::api::formats::ClusterOptionsWebauthn;
use proxmoxia_tests::wire::{WirePve as Pve, ok};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{method, path};

const CONFIG: &str = "/api2/json/nodes/pve1/qemu/100/config";

async fn sent_body(send: impl AsyncFnOnce(&proxmoxia::Client)) -> String {
    let pve = Pve::start().await;
    Mock::given(method("PUT"))
        .and(path(CONFIG))
        .respond_with(ok(json!(null)))
        .mount(&pve.server)
        .await;
    send(&pve.token_client()).await;
    let request = pve.single_request().await;
    String::from_utf8(request.body).expect("utf-8 form")
}

#[tokio::test]
async fn an_empty_string_is_sent_as_key_equals() {
    let body = sent_body(async |client| {
        client
            .nodes("pve1")
            .qemu(100)
            .config()
            .put()
            .description("")
            .await
            .expect("sent");
    })
    .await;
    assert_eq!(body, "description=");
}

#[tokio::test]
async fn an_empty_list_is_sent_as_key_equals() {
    let body = sent_body(async |client| {
        client
            .nodes("pve1")
            .qemu(100)
            .config()
            .put()
            .delete(Vec::<String>::new())
            .await
            .expect("sent");
    })
    .await;
    assert_eq!(body, "delete=");
}

#[tokio::test]
async fn what_is_not_set_is_not_sent() {
    let body = sent_body(async |client| {
        client
            .nodes("pve1")
            .qemu(100)
            .config()
            .put()
            .await
            .expect("sent");
    })
    .await;
    assert_eq!(body, "");
}

#[tokio::test]
async fn a_property_string_key_set_empty_is_kept() {
    let webauthn = ClusterOptionsWebauthn::new()
        .rp("pve.example.com")
        .origin("");
    let text = webauthn.to_string();
    // Kept, and read back as set-but-empty (not as absent).
    assert_eq!(text, r#"origin="",rp=pve.example.com"#);
    assert_eq!(
        ClusterOptionsWebauthn::parse(&text)
            .expect("parses")
            .origin
            .as_deref(),
        Some("")
    );
    let pve = Pve::start().await;
    Mock::given(method("PUT"))
        .and(path("/api2/json/cluster/options"))
        .respond_with(ok(json!(null)))
        .mount(&pve.server)
        .await;
    pve.token_client()
        .cluster()
        .options()
        .put()
        .webauthn(webauthn)
        .await
        .expect("sent");
    let body = String::from_utf8(pve.single_request().await.body).expect("utf-8 form");
    assert_eq!(body, "webauthn=origin%3D%22%22%2Crp%3Dpve.example.com");
}
