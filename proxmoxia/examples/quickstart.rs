//! The seed library's walkthrough on today's PVE: log in, list nodes and guests, find a
//! container template, create a container, wait for its task, print the task log, start it.
//!
//! With no environment set it runs against the embedded fake PVE (`proxmoxia::mock`), so it
//! needs no cluster. With `PVE_URL` and credentials (`PVE_USER` and `PVE_PASSWORD`, or
//! `PVE_TOKEN` as `user@realm!tokenid=secret`) it does the read-only part against a real
//! cluster; trust its certificate with `PVE_FINGERPRINT` (as PVE shows it) or `PVE_CA_FILE`.
//!
//! `cargo run --example quickstart`

use std::process::ExitCode;

use proxmoxia::api::formats::{LxcNet, LxcRootfs};
use proxmoxia::api::nodes::node::lxc;
use proxmoxia::mock::MockPve;
use proxmoxia::{ApiToken, Client};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> proxmoxia::Result<()> {
    let Ok(url) = std::env::var("PVE_URL") else {
        println!("PVE_URL is not set: using the embedded fake PVE.\n");
        let pve = MockPve::start().await?;
        let client = pve.login().await?;
        inventory(&client).await?;
        create_container(&client).await?;
        return Ok(());
    };
    let client = real_cluster(&url).await?;
    inventory(&client).await
}

/// A client for a real cluster, from the environment.
async fn real_cluster(url: &str) -> proxmoxia::Result<Client> {
    let mut builder = Client::builder(url);
    if let Ok(fingerprint) = std::env::var("PVE_FINGERPRINT") {
        builder = builder.fingerprint(&fingerprint);
    }
    if let Ok(file) = std::env::var("PVE_CA_FILE") {
        let pem = std::fs::read(&file)
            .map_err(|e| proxmoxia::Error::Config(format!("PVE_CA_FILE {file}: {e}")))?;
        builder = builder.add_ca_pem(&pem);
    }
    if let Ok(token) = std::env::var("PVE_TOKEN") {
        return builder.token(ApiToken::parse(&token)?).build();
    }
    let client = builder.build()?;
    let user = std::env::var("PVE_USER").unwrap_or_else(|_| "root@pam".into());
    let password = std::env::var("PVE_PASSWORD")
        .map_err(|_| proxmoxia::Error::Config("set PVE_PASSWORD or PVE_TOKEN".into()))?;
    let login = client.login(&user, &password).await?;
    println!("logged in: {login:?}");
    Ok(client)
}

/// PVE version, nodes, and per node its VMs and containers.
async fn inventory(client: &Client) -> proxmoxia::Result<()> {
    let version = client.version().get().await?;
    println!("PVE {} (release {})", version.version, version.release);
    for node in client.get_nodes().await? {
        println!("node {} ({})", node.node, node.status);
        let handle = client.nodes(&node.node);
        for vm in handle.get_qemu().await? {
            let name = vm.name.as_deref().unwrap_or("");
            println!("  {}. {name} => {}", vm.vmid, vm.status);
        }
        for ct in handle.get_lxc().await? {
            let name = ct.name.as_deref().unwrap_or("");
            println!("  {}. {name} => {}", ct.vmid, ct.status);
        }
    }
    Ok(())
}

/// Finds a template, creates a container from it, waits, shows the log, starts it.
async fn create_container(client: &Client) -> proxmoxia::Result<()> {
    let node = client.nodes("pve1");
    let mut template = None;
    for storage in node.get_storage().content(["vztmpl"]).await? {
        let listing = node
            .storage(&storage.storage)
            .get_content()
            .content("vztmpl")
            .await?;
        template = listing.into_iter().map(|v| v.volid).next().or(template);
    }
    let template =
        template.ok_or_else(|| proxmoxia::Error::Config("no container template on pve1".into()))?;
    println!("\ntemplate: {template}");

    let vmid = client.cluster().nextid().get().await?;
    let task = node
        .post_lxc(lxc::post::Required {
            ostemplate: template,
            vmid,
        })
        .hostname("quickstart")
        .rootfs(LxcRootfs::new().volume("local-lvm:8"))
        .nets(0, LxcNet::new().name("eth0").bridge("vmbr0").ip("dhcp"))
        .task()
        .await?;
    println!("creating container {vmid}: {}", task.upid());
    println!("task: {:?}", task.wait().await?);
    for line in task.log().await? {
        println!("  {:>3} {}", line.n, line.t);
    }

    let start = node.lxc(vmid).status().start().post().task().await?;
    println!("starting container {vmid}: {:?}", start.wait().await?);
    let status = node.lxc(vmid).status().current().get().await?;
    println!("container {vmid} is {}", status.status);
    Ok(())
}
