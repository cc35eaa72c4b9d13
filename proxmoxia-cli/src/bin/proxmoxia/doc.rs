//! What PVE's schema says of a method beyond its rules: the vendored versions by name and the
//! key naming a list answer's children, as the catalogue keeps them; the answer's full schema
//! (pvesh's `text` output is laid out by it) is the catalogue's `Method::answer_schema`.

use proxmoxia::catalog::Method;

/// The vendored versions in a mask, as `8.4.17, 9.2`.
pub fn versions(mask: u32) -> Vec<String> {
    proxmoxia::catalog::versions()
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, l)| (*l).to_owned())
        .collect()
}

/// The key whose values name the children of a list answer (`vmid` for `/nodes/{node}/qemu`):
/// the schema's child link, else `fallback`.
pub fn link_key(get: Option<&Method>, fallback: &str) -> String {
    get.and_then(|m| m.child_link)
        .unwrap_or(fallback)
        .to_owned()
}
