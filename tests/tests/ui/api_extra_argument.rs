// Schemas and at most one path.
proxmoxia_macros::api!("/tmp/proxmoxia-trybuild/tiny.json", "/version", "/extra");

proxmoxia_macros::api!(["/tmp/proxmoxia-trybuild/tiny.json"], "/version", "/extra");

fn main() {}
