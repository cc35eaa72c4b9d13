//! The runtime's modules import each other without cycles, file by file and folder by
//! folder: each builds only on modules below it (docs/architecture.md lists the layers).
//! The generated `api` is outside the check: it is on top of all and imports nothing
//! else of the crate's.

#[path = "../../tests/module_graph.rs"]
mod module_graph;

use module_graph::{Crate, assert_no_cycles, cycles, layers};
use std::path::Path;

fn runtime() -> Crate {
    Crate::read(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &["api", "module_graph_tests"],
    )
}

#[test]
fn the_runtime_modules_import_each_other_without_cycles() {
    assert_no_cycles(&runtime());
}

/// `cargo test -p proxmoxia --lib module_graph -- --nocapture --ignored` prints the graph.
#[test]
#[ignore]
fn print_the_module_graph() {
    let krate = runtime();
    for (name, edges) in [
        ("folders", krate.folder_edges()),
        ("files", krate.file_edges()),
    ] {
        println!("{name}, bottom up:");
        for layer in layers(&edges) {
            println!("  {}", layer.join(" "));
        }
        println!("{name}' cycles:\n{}", cycles(&edges).join("\n\n"));
    }
}

#[test]
fn the_reader_sees_the_imports_it_must() {
    let edges = runtime().file_edges();
    let deps = |m: &str| edges[m].iter().cloned().collect::<Vec<_>>().join(" ");
    // A facade item resolves to its defining module; a group expands; super:: is relative.
    assert!(deps("typed::request").contains("typed::params"));
    assert!(deps("typed::request").contains("client"));
    assert!(deps("validate::firewall").contains("validate::net"));
    assert!(deps("error").contains("upid"));
    assert_eq!(deps("secret"), "");
    assert_eq!(deps("upid"), "");
}
