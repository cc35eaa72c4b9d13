//! The typed API, generated at build time from the vendored PVE API schema
//! (`apidoc/pve-9.2.json`, or the file named by `PROXMOXIA_APIDOC`).
//!
//! One module per API path: `/nodes/{node}/qemu/{vmid}/status/current` is
//! `api::nodes::node::qemu::vmid::status::current`, with one module per method inside (`get`)
//! holding `Params`, `Response` and the `Endpoint` marker. Calls start from the [`Client`]:
//!
//! ```no_run
//! # async fn demo(client: proxmoxia::Client) -> proxmoxia::Result<()> {
//! let status = client.nodes("pve1").qemu(100).status().current().get().await?;
//! # Ok(()) }
//! ```
//!
//! [`Client`]: crate::Client
#![allow(clippy::too_many_arguments)]

proxmoxia_macros::api!("apidoc/pve-9.2.json");

impl crate::Client {
    /// One node of the cluster: the same as `client.nodes(node)`, under the name the seed
    /// library's `Node` object had. `client.node("pve1").qemu(100).status().current().get()`.
    pub fn node(&self, node: impl std::fmt::Display) -> nodes::node::Handle {
        self.nodes(node)
    }
}
