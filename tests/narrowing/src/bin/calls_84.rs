//! Calls every vendored PVE version has: compiles with `--cfg proxmoxia_pve="8.4"`.

use proxmoxia::api::nodes::node::rrd;

#[allow(dead_code)]
async fn calls(client: proxmoxia::Client) -> proxmoxia::Result<()> {
    client.version().get().await?;
    client
        .nodes("pve1")
        .qemu(100)
        .status()
        .current()
        .get()
        .await?;
    client
        .nodes("pve1")
        .rrd()
        .get(rrd::get::Required {
            ds: ["cpu"].into(),
            timeframe: rrd::get::Timeframe::Hour,
        })
        .cf(rrd::get::Cf::Average)
        .await?;
    client
        .access()
        .post_domains(proxmoxia::api::access::domains::post::Required {
            realm: "corp".into(),
            r#type: proxmoxia::api::access::domains::post::Type::Openid,
        })
        .await?;
    Ok(())
}

fn main() {}
