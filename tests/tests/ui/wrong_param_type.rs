use proxmoxia::api::nodes::node::rrd;

// `timeframe` is an enum, not an integer.
async fn rrd(client: proxmoxia::Client) {
    let _ = client
        .nodes("pve1")
        .rrd()
        .get(rrd::get::Required {
            ds: ["cpu"].into(),
            timeframe: 3600,
        })
        .await;
}

// `vmid` is an integer, not a string.
async fn status(client: proxmoxia::Client) {
    let _ = client.nodes("pve1").qemu("100").status().current().get().await;
}

fn main() {}
