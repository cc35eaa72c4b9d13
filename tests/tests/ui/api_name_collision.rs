// `/a-b` and `/a_b` would both be `a_b`: an error naming both, not a silent rename.
proxmoxia_macros::api!("/tmp/proxmoxia-trybuild/collision.json");

fn main() {}
