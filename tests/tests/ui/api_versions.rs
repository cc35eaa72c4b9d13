// With several schemas, each file's name must say its version.
proxmoxia_macros::api!([
    "/tmp/proxmoxia-trybuild/pve-9.2.json",
    "/tmp/proxmoxia-trybuild/tiny.json",
]);

// One schema per release line.
proxmoxia_macros::api!([
    "/tmp/proxmoxia-trybuild/pve-9.1.2.json",
    "/tmp/proxmoxia-trybuild/pve-9.1.11.json",
]);

fn main() {}
