//! Uses what PVE 8.4 lacks: with `--cfg proxmoxia_pve="8.4"` each of these is a compile
//! error (a method 9.2 added, a 9.2 parameter's setter, a 9.1 enum value); without it, the
//! whole union, it compiles.

use proxmoxia::api::access::domains::post;
use proxmoxia::api::nodes::node::rrd;

#[allow(dead_code)]
async fn uses(client: proxmoxia::Client) -> proxmoxia::Result<()> {
    // GET /cluster/qemu: PVE 9.2+.
    client.cluster().qemu().get().await?;
    // `audiences` of POST /access/domains: PVE 9.2+.
    client
        .access()
        .post_domains(post::Required {
            realm: "corp".into(),
            r#type: post::Type::Openid,
        })
        .audiences("proxmox")
        .await?;
    // The `decade` timeframe: PVE 9.1+.
    let _ = rrd::get::Timeframe::Decade;
    Ok(())
}

fn main() {}
