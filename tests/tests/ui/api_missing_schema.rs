proxmoxia_macros::api!("/nonexistent/proxmoxia/no-such-schema.json");

fn main() {}
