use proxmoxia::api::nodes::node::rrd::get::{Required, Timeframe};

fn required() -> Required {
    Required {
        ds: ["cpu"].into(),
        timeframe: Timeframe::Hour,
    }
}

async fn rrd(client: proxmoxia::Client) {
    // No such parameter.
    let _ = client
        .nodes("pve1")
        .rrd()
        .get(required())
        .no_such_option(1)
        .await;
    // `ds` is required: it has no setter.
    let _ = client
        .nodes("pve1")
        .rrd()
        .get(required())
        .ds(["mem"])
        .await;
}

// /version has no POST.
async fn version(client: proxmoxia::Client) {
    let _ = client.version().post().await;
}

fn main() {}
