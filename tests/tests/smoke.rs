use proxmoxia_tests::FakePve;

#[tokio::test]
async fn login_and_list_nodes() {
    let pve = FakePve::start().await;
    let client = pve.login().await;
    let nodes = client.raw("/nodes").get(()).await.unwrap();
    assert_eq!(nodes[0]["node"], "pve1");
}
