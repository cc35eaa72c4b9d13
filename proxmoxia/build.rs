// The typed API is generated from a schema file; the proc macro reads this variable to
// use another one, and cargo must rebuild when it changes.
fn main() {
    println!("cargo:rerun-if-env-changed=PROXMOXIA_APIDOC");
}
