//! Compile-fail tests: misusing the typed API or the `api!` macro is a compile error with a
//! useful message. trybuild compares the compiler's output with `ui/*.stderr`; run with
//! `TRYBUILD=overwrite` to rewrite them after a deliberate change, and review the diff.
//!
//! The macro-misuse cases name their schema files by absolute path: the macro's messages
//! print the schema's path, and trybuild compiles the cases as a crate of its own inside the
//! target directory, so a relative path would print a machine-specific location.

use std::path::Path;

/// Where the macro-misuse cases find their schema files (written by [`write_fixtures`]).
const FIXTURES: &str = "/tmp/proxmoxia-trybuild";

fn write_fixtures() {
    let dir = Path::new(FIXTURES);
    std::fs::create_dir_all(dir).expect("fixture directory");
    for (name, text) in [
        // Valid: one path.
        (
            "tiny.json",
            r#"[{"path": "/version", "text": "version", "leaf": 1,
                 "info": {"GET": {"name": "version", "returns": {"type": "string"}}}}]"#,
        ),
        // Not JSON (an unterminated array, the error on line 2).
        ("not-json.json", "[{\"path\": \"/version\"},\n"),
        // JSON, but an object instead of apidoc's array of path nodes.
        ("not-a-tree.json", r#"{"path": "/version"}"#),
        // A child listed under the wrong parent.
        (
            "orphan.json",
            r#"[{"path": "/nodes", "children": [{"path": "/cluster/x"}]}]"#,
        ),
        // Versioned copies of the valid one.
        (
            "pve-9.2.json",
            r#"[{"path": "/version", "text": "version", "leaf": 1,
                 "info": {"GET": {"name": "version", "returns": {"type": "string"}}}}]"#,
        ),
        (
            "pve-9.1.2.json",
            r#"[{"path": "/version", "text": "version", "leaf": 1,
                 "info": {"GET": {"name": "version", "returns": {"type": "string"}}}}]"#,
        ),
        (
            "pve-9.1.11.json",
            r#"[{"path": "/version", "text": "version", "leaf": 1,
                 "info": {"GET": {"name": "version", "returns": {"type": "string"}}}}]"#,
        ),
        // Two paths with the same Rust name.
        (
            "collision.json",
            r#"[{"path": "/a-b", "info": {"GET": {"name": "x", "returns": {"type": "null"}}}},
                {"path": "/a_b", "info": {"GET": {"name": "y", "returns": {"type": "null"}}}}]"#,
        ),
    ] {
        std::fs::write(dir.join(name), text).expect("fixture");
    }
}

#[test]
fn ui() {
    write_fixtures();
    let t = trybuild::TestCases::new();
    // The typed API.
    t.compile_fail("tests/ui/missing_required_param.rs");
    t.compile_fail("tests/ui/wrong_param_type.rs");
    t.compile_fail("tests/ui/unknown_param_setter.rs");
    // Required parameters cannot be swapped, nor a newly required one left out.
    t.compile_fail("tests/ui/swapped_required_params.rs");
    t.compile_fail("tests/ui/added_required_param.rs");
    // A parameter enum cannot be matched without `_` (a newer PVE may add a value).
    t.compile_fail("tests/ui/parameter_enum_exhaustive_match.rs");
    // The macro.
    t.compile_fail("tests/ui/api_bad_arguments.rs");
    t.compile_fail("tests/ui/api_missing_schema.rs");
    t.compile_fail("tests/ui/api_malformed_schema.rs");
    t.compile_fail("tests/ui/api_name_collision.rs");
    t.compile_fail("tests/ui/api_no_such_path.rs");
    t.compile_fail("tests/ui/api_versions.rs");
}

#[test]
fn ui_macro_arguments() {
    write_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/api_missing_schema_with_path.rs");
    t.compile_fail("tests/ui/api_extra_argument.rs");
}
