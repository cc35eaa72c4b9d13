// The schema is missing: the error belongs on the schema literal, not on the path.
proxmoxia_macros::api!("/nonexistent/proxmoxia/no-such-schema.json", "/version");

fn main() {}
