// Not JSON.
proxmoxia_macros::api!("/tmp/proxmoxia-trybuild/not-json.json");

// JSON, but not apidoc's tree.
proxmoxia_macros::api!("/tmp/proxmoxia-trybuild/not-a-tree.json");

// A child listed under the wrong parent.
proxmoxia_macros::api!("/tmp/proxmoxia-trybuild/orphan.json");

fn main() {}
