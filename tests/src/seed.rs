//! Facts of the seed cluster both peers start with (see [`Peer`](crate::Peer)) that the
//! end-to-end suites share.

/// The container template the suites upload to `local`.
pub const TEMPLATE: &str = "debian-12-standard_12.7-1_amd64.tar.zst";
/// Its volume id on `local`.
pub const TEMPLATE_VOLID: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

/// The guest lines the seed library's examples print (`{vmid}. {name} => {status}`) for the
/// seed cluster, sorted.
pub fn seed_lines() -> Vec<String> {
    vec![
        "100. web => running".to_owned(),
        "101. db => stopped".to_owned(),
        "200. dns => running".to_owned(),
    ]
}
