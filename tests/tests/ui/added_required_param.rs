use proxmoxia::api::cluster::config::join;

// A call written against a schema in which POST /cluster/config/join required only
// `fingerprint` and `hostname`: the schema now also requires `password`, and the call
// does not compile until it gives one (the error names it).
async fn join(client: proxmoxia::Client) {
    let _ = client
        .cluster()
        .config()
        .join()
        .post(join::post::Required {
            fingerprint: "AB:CD".into(),
            hostname: "pve2".into(),
        })
        .await;
}

fn main() {}
