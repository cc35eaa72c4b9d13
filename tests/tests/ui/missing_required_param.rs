// GET /nodes/{node}/rrd requires `ds` and `timeframe`: they are the verb's arguments.
async fn rrd(client: proxmoxia::Client) {
    let _ = client.nodes("pve1").rrd().get().await;
}

fn main() {}
