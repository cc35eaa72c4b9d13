//! The CLI's modules import each other without cycles, file by file and folder by folder:
//! the library (`src/`) and the binary (`src/bin/proxmoxia`), each a crate of its own.

#[path = "../../tests/module_graph.rs"]
mod module_graph;

use module_graph::{Crate, assert_no_cycles};
use std::path::Path;

#[test]
fn the_cli_modules_import_each_other_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    assert_no_cycles(&Crate::read(&src, &["bin"], &[]));
    assert_no_cycles(&Crate::read(&src.join("bin/proxmoxia"), &[], &[]));
}
