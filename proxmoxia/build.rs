//! Rebuilds the crate when a vendored schema or `PROXMOXIA_APIDOC` changes. rustc tracks
//! both for `cargo build` (the macro's `include_bytes!` and `option_env!`), but rustdoc
//! reports no such dependencies, so without this `cargo doc` would keep serving the docs of
//! the schema it saw first.

fn main() {
    println!("cargo::rerun-if-env-changed=PROXMOXIA_APIDOC");
    println!("cargo::rerun-if-changed=apidoc");
    if let Some(path) = std::env::var_os("PROXMOXIA_APIDOC").filter(|p| !p.is_empty()) {
        println!("cargo::rerun-if-changed={}", path.to_string_lossy());
    }
}
