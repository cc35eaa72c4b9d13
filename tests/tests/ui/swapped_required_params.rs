// POST /cluster/config/join requires `fingerprint`, `hostname` and `password`, all strings.
// Given in a row they could be swapped unnoticed: the verb takes them only by name, so a
// positional call does not compile.
async fn join(client: proxmoxia::Client, fingerprint: String, hostname: String) {
    let _ = client
        .cluster()
        .config()
        .join()
        .post(hostname, fingerprint, "secret")
        .await;
}

fn main() {}
