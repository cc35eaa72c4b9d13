//! One API for PVE 8.4 to 9.2: the client checks what a call uses against the cluster's
//! version before sending, and the embedded fake plays any vendored version.
//!
//! The items used (see `apidoc/public-api.txt`, `apidoc/versions.md`): `GET /cluster/qemu`
//! (PVE 9.2+), parameter `audiences` of `POST /access/domains` (9.2+), the rrd timeframe
//! `decade` (9.1+), key `ha-auto-rebalance` of `crs` of `PUT /cluster/options` (9.1+), and
//! `maxworkers` of `POST /nodes/{node}/migrateall`, at most 64 since 9.1 and unbounded in
//! 8.4.

use proxmoxia::api::access::domains::post as domains;
use proxmoxia::api::formats::ClusterOptionsCrs;
use proxmoxia::api::nodes::node::rrd;
use proxmoxia::mock::MockPve;
use proxmoxia::{Client, Error, PveVersion, Unsupported};
use proxmoxia_tests::FakePve;
use serde_json::json;

async fn mock(version: &str) -> MockPve {
    MockPve::builder()
        .pve_version(version)
        .start()
        .await
        .expect("the fake starts")
}

fn unsupported(result: proxmoxia::Result<impl std::fmt::Debug>) -> Unsupported {
    match result {
        Err(Error::Unsupported(u)) => *u,
        other => panic!("expected Error::Unsupported, got {other:?}"),
    }
}

/// The requests the fake received after the login.
fn sent(pve: &MockPve) -> Vec<(String, String)> {
    pve.requests()
        .into_iter()
        .filter(|(m, p)| !(m == "POST" && p == "/access/ticket"))
        .collect()
}

fn version_request() -> (String, String) {
    ("GET".into(), "/version".into())
}

#[tokio::test]
async fn the_fake_plays_the_vendored_versions() {
    for (version, expected) in [("8.4.17", "8.4.17"), ("8.4", "8.4.17"), ("9.2", "9.2.0")] {
        let pve = mock(version).await;
        let client = pve.login().await.unwrap();
        let answer = client.raw("version").get(()).await.unwrap();
        assert_eq!(answer["version"], expected, "{version}");
    }
    let err = MockPve::builder()
        .pve_version("7.4")
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("8.4.17, 9.1.11, 9.2"),
        "the error lists the versions: {err}"
    );
}

#[tokio::test]
async fn the_fake_answers_as_its_version_would() {
    let pve = mock("8.4.17").await;
    let client = pve.login().await.unwrap();
    // A path 8.4 lacks: PVE's 501.
    let err = client.raw("cluster/qemu").get(()).await.unwrap_err();
    assert_eq!(err.status(), Some(501), "{err}");
    assert!(
        err.to_string()
            .contains("Method 'GET /cluster/qemu' not implemented"),
        "{err}"
    );
    // A parameter 8.4 lacks: PVE's 400 naming it.
    let err = client
        .raw("access/domains")
        .post(
            json!({"realm": "corp", "type": "openid", "issuer-url": "https://id.example",
                     "client-id": "pve", "audiences": "proxmox"}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.param_error("audiences"),
        Some(
            "property is not defined in schema and the schema does not allow additional properties"
        ),
        "{err}"
    );
    // A value 8.4 lacks, and 8.4's bounds (no maximum of `maxworkers`).
    let err = client
        .raw("nodes/pve1/rrd")
        .get(json!({"ds": "cpu", "timeframe": "decade"}))
        .await
        .unwrap_err();
    assert!(err.param_error("timeframe").is_some(), "{err}");
    client
        .raw("nodes/pve1/migrateall")
        .post(json!({"target": "pve2", "maxworkers": 100}))
        .await
        .expect("8.4 has no maximum");
    // 9.2 has both the path and the bound.
    let pve = mock("9.2").await;
    let client = pve.login().await.unwrap();
    client.raw("cluster/qemu").get(()).await.unwrap();
    let err = client
        .raw("nodes/pve1/migrateall")
        .post(json!({"target": "pve2", "maxworkers": 100}))
        .await
        .unwrap_err();
    assert_eq!(
        err.param_error("maxworkers"),
        Some("value must have a maximum value of 64")
    );
}

#[tokio::test]
async fn a_method_the_cluster_lacks_is_refused_before_sending() {
    let pve = mock("8.4.17").await;
    let client = pve.login().await.unwrap();
    let u = unsupported(client.cluster().qemu().get().await);
    assert_eq!(u.item, "GET /cluster/qemu");
    assert_eq!(u.versions, ["9.2"]);
    assert_eq!(u.cluster, "8.4.17");
    assert_eq!(
        Error::Unsupported(Box::new(u)).to_string(),
        "GET /cluster/qemu is not in PVE 8.4.17 (the cluster's version, checked against the \
         schema of PVE 8.4.17); PVE 9.2 has it. Nothing was sent."
    );
    // The version was asked for; the call itself never left.
    assert_eq!(sent(&pve), [version_request()]);
}

#[tokio::test]
async fn a_parameter_or_value_the_cluster_lacks_is_refused() {
    let pve = mock("8.4.17").await;
    let client = pve.login().await.unwrap();
    let create = || {
        client.access().post_domains(domains::Required {
            realm: "corp".into(),
            r#type: domains::Type::Openid,
        })
    };
    let u = unsupported(create().audiences("proxmox").await);
    assert_eq!(u.item, "parameter `audiences` of POST /access/domains");
    assert_eq!(u.versions, ["9.2"]);
    let u = unsupported(
        client
            .nodes("pve1")
            .rrd()
            .get(rrd::get::Required {
                ds: ["cpu"].into(),
                timeframe: rrd::get::Timeframe::Decade,
            })
            .await,
    );
    assert_eq!(
        u.item,
        "value `decade` of parameter `timeframe` of GET /nodes/{node}/rrd"
    );
    assert_eq!(u.versions, ["9.1.11", "9.2"]);
    let u = unsupported(
        client
            .cluster()
            .options()
            .put()
            .crs(ClusterOptionsCrs::new().ha_auto_rebalance(true))
            .await,
    );
    assert_eq!(
        u.item,
        "key `ha-auto-rebalance` of parameter crs of PUT /cluster/options"
    );
    // One `GET /version` for all of them, shared by clones.
    let clone = client.clone();
    let _ = clone.cluster().qemu().get().await;
    assert_eq!(sent(&pve), [version_request()]);
    // What every version has needs no version at all.
    let fresh = pve.login().await.unwrap();
    fresh.nodes("pve1").get_qemu().await.unwrap();
    assert_eq!(
        sent(&pve).last(),
        Some(&("GET".to_owned(), "/nodes/pve1/qemu".to_owned()))
    );
    assert_eq!(
        sent(&pve)
            .iter()
            .filter(|r| **r == version_request())
            .count(),
        1
    );
}

#[tokio::test]
async fn the_cluster_version_rules_where_versions_check_differently() {
    // `maxworkers`: at most 64 since 9.1, unbounded in 8.4.
    let migrate = |client: &Client| {
        client
            .nodes("pve1")
            .migrateall()
            .post("pve2")
            .maxworkers(100)
    };
    let pve = mock("9.2").await;
    let client = pve.login().await.unwrap();
    match migrate(&client).await {
        Err(Error::Validation(e)) => {
            assert_eq!(e.param, "maxworkers");
            assert_eq!(e.message, "value must have a maximum value of 64");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(
        sent(&pve),
        [version_request()],
        "nothing but the version was sent"
    );
    let pve = mock("8.4.17").await;
    let client = pve.login().await.unwrap();
    migrate(&client).await.expect("8.4 allows 100 workers");
}

#[tokio::test]
async fn the_version_can_be_given_or_the_check_switched_off() {
    let pve = mock("8.4.17").await;
    // Given: no `GET /version`.
    let told = pve.client_builder().pve_version("8.4.2").build().unwrap();
    told.login(pve.user(), pve.password()).await.unwrap();
    assert_eq!(told.pve_version().await.unwrap().as_str(), "8.4.2");
    unsupported(told.cluster().qemu().get().await);
    assert!(!sent(&pve).contains(&version_request()));
    // A version newer than every vendored one is checked as the newest.
    let newer = pve.client_builder().pve_version("10.1").build().unwrap();
    newer.login(pve.user(), pve.password()).await.unwrap();
    let err = newer.cluster().qemu().get().await.unwrap_err();
    assert_eq!(err.status(), Some(501), "sent, and PVE 8.4 refused: {err}");
    // Off: sent as it is; the fake answers as PVE 8.4 would.
    let unchecked = pve.client_builder().version_guard(false).build().unwrap();
    unchecked.login(pve.user(), pve.password()).await.unwrap();
    let err = unchecked.cluster().qemu().get().await.unwrap_err();
    assert_eq!(err.status(), Some(501), "{err}");
    assert!(!sent(&pve).contains(&version_request()));
    // A version that is not one.
    let err = pve
        .client_builder()
        .pve_version("nine")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("not a PVE version"), "{err}");
}

#[tokio::test]
async fn fakepve_is_checked_by_what_it_reports() {
    if proxmoxia_tests::skip_without_fakepve("fakepve_is_checked_by_what_it_reports") {
        return;
    }
    // fakepve answers `9.0.10` from /version: checked against 9.1.11, the oldest vendored
    // 9.x, which lacks `/cluster/qemu` (9.2+).
    let pve = FakePve::start().await;
    let client = Client::builder(&pve.url)
        .add_ca_pem(pve.cert.ca_pem.as_deref().expect("a CA").as_bytes())
        .build()
        .unwrap();
    client.login("root@pam", "secret").await.unwrap();
    assert_eq!(
        client.pve_version().await.unwrap(),
        PveVersion::parse("9.0.10").unwrap()
    );
    let u = unsupported(client.cluster().qemu().get().await);
    assert_eq!(
        (u.cluster.as_str(), u.checked_against.as_str()),
        ("9.0.10", "9.1.11")
    );
    // It has what 9.1 has.
    client
        .nodes("pve1")
        .rrd()
        .get(rrd::get::Required {
            ds: ["cpu"].into(),
            timeframe: rrd::get::Timeframe::Decade,
        })
        .await
        .expect("9.1+ timeframe");
}
