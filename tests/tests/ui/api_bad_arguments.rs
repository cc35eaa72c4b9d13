proxmoxia_macros::api!(42);

proxmoxia_macros::api!();

proxmoxia_macros::api!("schema.json" "/path");

proxmoxia_macros::api!(b"schema.json");

proxmoxia_macros::api!("schema.json", 1);

proxmoxia_macros::api!([]);

proxmoxia_macros::api!(["a.json" "b.json"]);

fn main() {}
