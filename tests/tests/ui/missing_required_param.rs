// GET /nodes/{node}/rrd requires `ds` and `timeframe`: the verb takes them, named.
async fn rrd(client: proxmoxia::Client) {
    let _ = client.nodes("pve1").rrd().get().await;
}

// One required parameter (`vmid` of POST /nodes/{node}/qemu) is positional.
async fn create(client: proxmoxia::Client) {
    let _ = client.nodes("pve1").post_qemu().await;
}

fn main() {}
