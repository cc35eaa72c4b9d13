//! The generator's modules import each other without cycles, file by file: each stage
//! builds only on the ones below it (docs/architecture.md lists them).

#[path = "../../tests/module_graph.rs"]
mod module_graph;

use std::path::Path;

#[test]
fn the_generator_modules_import_each_other_without_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    module_graph::assert_no_cycles(&module_graph::Crate::read(&root, &[], &[]));
}
