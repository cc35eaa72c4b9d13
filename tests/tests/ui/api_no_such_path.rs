proxmoxia_macros::api!("/tmp/proxmoxia-trybuild/tiny.json", "/no/such/path");

fn main() {}
