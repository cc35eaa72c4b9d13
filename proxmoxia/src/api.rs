//! The typed API, generated at build time from the vendored PVE API schemas of PVE 8.4.17,
//! 9.1.11 and 9.2 (`apidoc/`), as one API over their union; or from the one file named by
//! `PROXMOXIA_APIDOC`. Every item says in its docs which versions have it ("PVE 9.1+").
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

proxmoxia_macros::api!([
    "apidoc/pve-8.4.17.json",
    "apidoc/pve-9.1.11.json",
    "apidoc/pve-9.2.json",
]);

impl crate::Client {
    /// One node of the cluster: the same as `client.nodes(node)`, under the name the seed
    /// library's `Node` object had. `client.node("pve1").qemu(100).status().current().get()`.
    pub fn node(&self, node: impl std::fmt::Display) -> nodes::node::Handle {
        self.nodes(node)
    }
}
