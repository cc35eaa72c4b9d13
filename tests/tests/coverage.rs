//! Coverage of the typed API: every (method, path) of the vendored PVE schema is reachable
//! through the typed tree, under the names the naming rule gives it.
//!
//! `coverage/probe.rs` is generated from `apidoc/pve-9.2.json` by the generator in this file
//! and checked in. Each of its lines calls one method through the typed tree:
//!
//! ```text
//! check::<api::nodes::node::qemu::post::Endpoint>("POST", "/nodes/{node}/qemu", |c| c.nodes("x").post_qemu(any()));
//! ```
//!
//! so the compiler checks the accessor chain, the verb function, the kind of each positional
//! argument and the request type; the tests check the endpoint's constants (`METHOD`, `PATH`,
//! `NAME`, `SUFFIX`) against the schema and that each method appears exactly once. The same
//! generator writes `coverage/sweep.rs`, the GET endpoints `typed_sweep.rs` calls.
//!
//! The generator re-implements the naming rule on its own (it shares no code with
//! `proxmoxia-macros`): that is the point, the generated API is checked against the schema
//! by a second reading of the rule. After a schema or rule change, regenerate with
//!
//! ```text
//! UPDATE_COVERAGE_PROBE=1 cargo test -p proxmoxia-tests --test coverage
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proxmoxia::Client;
use proxmoxia::typed::{Endpoint, Request};
use serde_json::Value;

#[path = "coverage/probe.rs"]
mod probe;

/// The environment variable that makes the sync test rewrite the generated files.
const UPDATE_ENV: &str = "UPDATE_COVERAGE_PROBE";

// ------------------------------------------------------------------------------------------
// The probe's runtime: `check` records what the compiler already type-checked.

/// One line of the probe, as it ran.
struct Checked {
    method: &'static str,
    path: &'static str,
    endpoint_method: &'static str,
    endpoint_path: &'static str,
    endpoint_name: &'static str,
    endpoint_suffix: &'static str,
    /// Calls the line's closure and gives the request's API path. Only safe for lines
    /// whose closure has no `any()` (see [`Generated::callable`]).
    call: Box<dyn Fn(&Client) -> String>,
}

thread_local! {
    static CHECKED: RefCell<Vec<Checked>> = const { RefCell::new(Vec::new()) };
}

/// Records one method: the schema's `method` and `path`, and the endpoint `f` builds. `f`
/// is not called here.
fn check<E: Endpoint>(method: &'static str, path: &'static str, f: fn(&Client) -> Request<E>) {
    CHECKED.with(|c| {
        c.borrow_mut().push(Checked {
            method,
            path,
            endpoint_method: E::METHOD.as_str(),
            endpoint_path: E::PATH,
            endpoint_name: E::NAME,
            endpoint_suffix: E::SUFFIX,
            call: Box::new(move |client| f(client).api_path().to_owned()),
        })
    });
}

/// A value of any type, for arguments of a concrete type: only type-checked, never run.
fn any<T>() -> T {
    unreachable!("the probe's closures with typed arguments are never called")
}

/// Runs the probe and returns what it recorded.
fn run_probe() -> Vec<Checked> {
    CHECKED.with(|c| c.borrow_mut().clear());
    probe::probe();
    CHECKED.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

// ------------------------------------------------------------------------------------------
// The schema, read with serde_json.

/// The HTTP methods, in the order each path's methods are visited.
const VERBS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// One path of the schema.
struct Node {
    /// `/nodes/{node}/qemu`
    path: String,
    segment: Segment,
    /// In [`VERBS`] order.
    methods: Vec<Method>,
    children: Vec<Node>,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// One method of one path.
struct Method {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    verb: &'static str,
    /// `parameters.properties`, sorted by wire name.
    params: Vec<(String, Value)>,
}

fn schema_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../apidoc/pve-9.2.json")
}

fn load_schema() -> Value {
    let file = schema_file();
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()))
}

fn parse_tree(schema: &Value) -> Vec<Node> {
    schema
        .as_array()
        .expect("the schema is an array of path nodes")
        .iter()
        .map(parse_node)
        .collect()
}

fn parse_node(value: &Value) -> Node {
    let path = value["path"]
        .as_str()
        .expect("a node has a path")
        .to_owned();
    let last = path.rsplit('/').next().unwrap_or_default();
    let segment = match last.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(name) => Segment::Param(name.to_owned()),
        None => Segment::Literal(last.to_owned()),
    };
    let methods = VERBS
        .iter()
        .filter_map(|verb| {
            let info = value.get("info")?.get(*verb)?;
            let mut params: Vec<(String, Value)> = info
                .pointer("/parameters/properties")
                .and_then(Value::as_object)
                .map(|props| props.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            params.sort_by(|a, b| a.0.cmp(&b.0));
            Some(Method { verb, params })
        })
        .collect();
    let children = value
        .get("children")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(parse_node).collect())
        .unwrap_or_default();
    Node {
        path,
        segment,
        methods,
        children,
    }
}

/// Every (method, path) of the schema with its `name`: a flat walk, independent of the
/// generator's.
fn schema_methods(schema: &Value) -> Vec<(String, String, String)> {
    fn walk(node: &Value, out: &mut Vec<(String, String, String)>) {
        let path = node["path"].as_str().unwrap_or_default();
        if let Some(info) = node.get("info").and_then(Value::as_object) {
            for (method, m) in info {
                let name = m["name"].as_str().unwrap_or_default();
                out.push((method.clone(), path.to_owned(), name.to_owned()));
            }
        }
        for child in node["children"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for root in schema.as_array().into_iter().flatten() {
        walk(root, &mut out);
    }
    out
}

// ------------------------------------------------------------------------------------------
// The naming rule, re-implemented.

/// Rust keywords that can be raw identifiers (`r#type`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];
/// Keywords that cannot be raw identifiers: they get a `_` suffix.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate"];

/// snake_case of a PVE name: non-alphanumerics become `_` (runs collapsed, none at the
/// ends), a word break before an uppercase letter that follows a lowercase letter or digit
/// (`forceStop`) or that starts a word after an acronym (`CSRFPrevention`), lowercase.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    let mut pending_break = false;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            pending_break = true;
            continue;
        }
        let camel_break = c.is_ascii_uppercase()
            && i > 0
            && chars[i - 1].is_ascii_alphanumeric()
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(char::is_ascii_lowercase));
        if !out.is_empty() && (pending_break || camel_break) {
            out.push('_');
        }
        pending_break = false;
        out.push(c.to_ascii_lowercase());
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// The identifier for snake_case text: keywords raw (`r#in`), `self`-like ones suffixed.
fn ident(text: &str) -> String {
    if NOT_RAW.contains(&text) {
        format!("{text}_")
    } else if KEYWORDS.contains(&text) {
        format!("r#{text}")
    } else {
        text.to_owned()
    }
}

/// The identifier of a segment or parameter name.
fn snake_ident(name: &str) -> String {
    ident(&snake(name))
}

/// True when a parameter may be left out: `optional` is 1, "1" or true.
fn is_optional(schema: &Value) -> bool {
    matches!(schema.get("optional"), Some(v) if *v == 1 || *v == "1" || *v == true)
}

/// Whether a required argument of a verb function takes `impl Into<String>` (the probe
/// passes `""`) rather than a concrete type (the probe passes `any()`).
///
/// THE one place this decision is made; flip it here when the generator's rule changes,
/// then regenerate. The rule: a plain string, that is schema type `string` with no `enum`,
/// no `format` object and a `format` name not ending in `-list`; everything else (enums,
/// integers, numbers, booleans, arrays, property strings, lists) takes a concrete type.
///
/// Deviation (known, reported): proxmoxia-macros today also gives `impl Into<String>` to
/// strings whose format name ends in `-list` (`ds` of the rrd GETs, `roles` of PUT
/// /access/acl, ...). A probe following the rule above would not compile against it, so
/// [`LIST_FORMATS_ARE_TYPED`] says which behaviour the probe expects.
fn takes_into_string(schema: &Value) -> bool {
    let plain_type = schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("enum").is_none();
    // A named format whose typetext lists `key=value` pairs is a property string (a struct).
    let property_string = schema
        .get("typetext")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains('='));
    match schema.get("format") {
        None => plain_type,
        Some(Value::String(format)) => {
            plain_type
                && !property_string
                && (!LIST_FORMATS_ARE_TYPED || !format.ends_with("-list"))
        }
        Some(_) => false,
    }
}

/// The generator types `*-list` strings as `List<T>`: the argument is an iterator of items.
const LIST_FORMATS_ARE_TYPED: bool = true;

/// The argument the probe passes for a required parameter.
fn probe_arg(schema: &Value) -> &'static str {
    match schema.get("format").and_then(Value::as_str) {
        Some("pve-vmid-list") if LIST_FORMATS_ARE_TYPED => "Vec::<i64>::new()",
        Some(f)
            if LIST_FORMATS_ARE_TYPED
                && f.ends_with("-list")
                && !schema
                    .get("typetext")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.contains('=')) =>
        {
            "Vec::<String>::new()"
        }
        _ if takes_into_string(schema) => "\"\"",
        _ => "any()",
    }
}

/// Whether a path parameter's accessor takes `i64` (else `impl Display`): the type of the
/// first declaration of `name` in `node`'s subtree (its own methods in GET, POST, PUT,
/// DELETE order, then its children depth-first).
fn integer_path_param(node: &Node, name: &str) -> bool {
    fn declared<'a>(node: &'a Node, name: &str) -> Option<&'a Value> {
        node.methods
            .iter()
            .find_map(|m| m.params.iter().find(|(n, _)| n == name).map(|(_, s)| s))
            .or_else(|| node.children.iter().find_map(|c| declared(c, name)))
    }
    declared(node, name)
        .and_then(|s| s.get("type"))
        .and_then(Value::as_str)
        == Some("integer")
}

// ------------------------------------------------------------------------------------------
// The generator.

/// One method as the generator sees it.
struct Generated {
    verb: &'static str,
    path: String,
    /// `api::nodes::node::qemu::post`
    module: String,
    /// `c.nodes("x").post_qemu(any())`
    call: String,
    /// The path the call builds, relative to the API root (`nodes/x/qemu`).
    concrete: String,
    /// The segment the endpoint adds to its handle's path (`qemu` for `post_qemu`).
    suffix: String,
    /// The call passes no `any()`, so the closure can run.
    callable: bool,
}

/// A handle expression and the path it stands for.
#[derive(Clone)]
struct Handle {
    expr: String,
    concrete: String,
}

impl Handle {
    fn join(&self, expr: String, segment: &str) -> Handle {
        let concrete = if self.concrete.is_empty() {
            segment.to_owned()
        } else {
            format!("{}/{segment}", self.concrete)
        };
        Handle { expr, concrete }
    }
}

/// Every method of the schema, in tree order, with its call through the typed tree.
fn generate(tree: &[Node]) -> Vec<Generated> {
    let mut out = Vec::new();
    let root = Handle {
        expr: "c".into(),
        concrete: String::new(),
    };
    for node in tree {
        child(node, &root, &mut out);
    }
    out
}

/// `node`, a child of the path whose handle is `parent`.
fn child(node: &Node, parent: &Handle, out: &mut Vec<Generated>) {
    match &node.segment {
        Segment::Literal(lit) => {
            let item = node
                .children
                .iter()
                .find(|c| matches!(c.segment, Segment::Param(_)));
            match item {
                Some(item) => {
                    // A collection: `l(p)` for the item, `{verb}_{l}` for its own methods.
                    let name = snake(lit);
                    for m in &node.methods {
                        let expr = format!("{}.{}_{name}", parent.expr, m.verb.to_lowercase());
                        let at = parent.join(String::new(), lit);
                        out.push(method(node, m, &at, &expr, lit));
                    }
                    // The item accessor is called on the parent; the path has the literal.
                    let collection = parent.join(parent.expr.clone(), lit);
                    let item_handle =
                        param_handle(item, &collection, &accessor(&ident(&name), parent));
                    own(item, &item_handle, out);
                    for other in &node.children {
                        assert!(
                            matches!(other.segment, Segment::Param(_)),
                            "{} is unreachable: the rule gives no handle to its parent \
                             collection {}",
                            other.path,
                            node.path
                        );
                    }
                }
                None => {
                    let expr = format!("{}.{}()", parent.expr, accessor(&snake_ident(lit), parent));
                    own(node, &parent.join(expr, lit), out);
                }
            }
        }
        Segment::Param(name) => {
            // `{q}` under `{p}`: `.q(id)` on `p`'s handle.
            let handle = param_handle(node, parent, &accessor(&snake_ident(name), parent));
            own(node, &handle, out);
        }
    }
}

/// An accessor's name: one that a handle already has as a method (`clone`, `fmt`; for the
/// client also its own, like `task` or `login`) gets a trailing `_`.
fn accessor(name: &str, parent: &Handle) -> String {
    const HANDLE: &[&str] = &["clone", "fmt"];
    const CLIENT: &[&str] = &[
        "builder",
        "base_url",
        "login",
        "start_login",
        "finish_tfa",
        "set_api_token",
        "session",
        "set_session",
        "forget_password",
        "logout",
        "raw",
        "task",
        "upload",
        "node",
    ];
    let taken = HANDLE.contains(&name) || (parent.expr == "c" && CLIENT.contains(&name));
    if taken {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// The handle of the `{param}` node `item`, reached by `accessor(value)` on `parent`.
fn param_handle(item: &Node, parent: &Handle, accessor: &str) -> Handle {
    let Segment::Param(name) = &item.segment else {
        unreachable!("{} is not a parameter", item.path)
    };
    // Integers `1`, strings `"x"`.
    let (arg, value) = if integer_path_param(item, name) {
        ("1", "1")
    } else {
        ("\"x\"", "x")
    };
    parent.join(format!("{}.{accessor}({arg})", parent.expr), value)
}

/// A node with its own handle: its methods are `get()`, `post()`, ...; then its children.
fn own(node: &Node, handle: &Handle, out: &mut Vec<Generated>) {
    for m in &node.methods {
        let expr = format!("{}.{}", handle.expr, m.verb.to_lowercase());
        out.push(method(node, m, handle, &expr, ""));
    }
    for c in &node.children {
        child(c, handle, out);
    }
}

/// One method called as `callee(args)`; `at` is the path the request goes to.
fn method(node: &Node, m: &Method, at: &Handle, callee: &str, suffix: &str) -> Generated {
    let in_path: Vec<&str> = node
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let args: Vec<&str> = m
        .params
        .iter()
        .filter(|(wire, schema)| {
            !in_path.contains(&wire.as_str()) && !wire.ends_with("[n]") && !is_optional(schema)
        })
        .map(|(_, schema)| probe_arg(schema))
        .collect();
    let module: String = node
        .path
        .split('/')
        .skip(1)
        .map(|s| snake_ident(s.trim_start_matches('{').trim_end_matches('}')))
        .chain([m.verb.to_lowercase()])
        .fold("api".to_owned(), |acc, s| format!("{acc}::{s}"));
    Generated {
        verb: m.verb,
        path: node.path.clone(),
        module,
        call: format!("{callee}({})", args.join(", ")),
        concrete: at.concrete.clone(),
        suffix: suffix.to_owned(),
        callable: !args.contains(&"any()"),
    }
}

const HEADER: &str = "// @generated by tests/tests/coverage.rs from apidoc/pve-9.2.json: do not edit.\n\
// Regenerate: UPDATE_COVERAGE_PROBE=1 cargo test -p proxmoxia-tests --test coverage\n";

/// The text of `coverage/probe.rs`.
fn probe_text(methods: &[Generated]) -> String {
    let mut text = format!(
        "{HEADER}\n\
         use proxmoxia::api;\n\
         \n\
         use super::{{any, check}};\n\
         \n\
         /// Every method of the schema ({}), called through the typed tree.\n\
         #[rustfmt::skip]\n\
         pub(crate) fn probe() {{\n",
        methods.len()
    );
    for g in methods {
        text.push_str(&format!(
            "    check::<{}::Endpoint>({:?}, {:?}, |c| {});\n",
            g.module, g.verb, g.path, g.call
        ));
    }
    text.push_str("}\n");
    text
}

/// The text of `coverage/sweep.rs`.
fn sweep_text(methods: &[Generated]) -> String {
    let gets: Vec<&Generated> = methods.iter().filter(|g| g.verb == "GET").collect();
    let mut text = format!(
        "{HEADER}\n\
         use proxmoxia::api;\n\
         \n\
         use super::sweep;\n\
         \n\
         /// Every GET endpoint of the schema ({}).\n\
         #[rustfmt::skip]\n\
         pub(crate) fn all() {{\n",
        gets.len()
    );
    for g in gets {
        text.push_str(&format!(
            "    sweep::<{}::Endpoint>({:?});\n",
            g.module, g.path
        ));
    }
    text.push_str("}\n");
    text
}

fn generated() -> Vec<Generated> {
    generate(&parse_tree(&load_schema()))
}

// ------------------------------------------------------------------------------------------
// The tests.

/// The checked-in files are what the generator makes of the schema today.
#[test]
fn probe_is_in_sync_with_the_schema() {
    let methods = generated();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/coverage");
    let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    let mut stale = Vec::new();
    for (file, text) in [
        ("probe.rs", probe_text(&methods)),
        ("sweep.rs", sweep_text(&methods)),
    ] {
        let path = dir.join(file);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            continue;
        }
        if update {
            std::fs::write(&path, &text)
                .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
            eprintln!("rewrote {}", path.display());
            continue;
        }
        let first = current
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| current.lines().count().min(text.lines().count()));
        stale.push(format!(
            "{} differs from the generator's output from line {}:\n  file:      {}\n  generated: {}",
            path.display(),
            first + 1,
            current.lines().nth(first).unwrap_or("<end of file>"),
            text.lines().nth(first).unwrap_or("<end of file>"),
        ));
    }
    assert!(
        stale.is_empty(),
        "{}\n\nThe generated coverage files are out of date: rerun with {UPDATE_ENV}=1 \
         (`{UPDATE_ENV}=1 cargo test -p proxmoxia-tests --test coverage`) and commit the result.",
        stale.join("\n\n")
    );
}

/// Each (method, path) of the schema has exactly one line in the probe, and its endpoint's
/// constants say what the schema says.
#[test]
fn every_schema_method_is_reachable_through_the_typed_tree() {
    let schema = load_schema();
    let expected = schema_methods(&schema);
    let checked = run_probe();
    let names: BTreeMap<(&str, &str), &str> = expected
        .iter()
        .map(|(m, p, n)| ((m.as_str(), p.as_str()), n.as_str()))
        .collect();
    assert_eq!(
        names.len(),
        expected.len(),
        "the schema lists a (method, path) twice"
    );

    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &checked {
        let key = (c.method, c.path);
        if !seen.insert(key) {
            problems.push(format!("{} {}: probed twice", c.method, c.path));
        }
        if c.endpoint_path != c.path {
            problems.push(format!(
                "{} {}: Endpoint::PATH is {:?}",
                c.method, c.path, c.endpoint_path
            ));
        }
        if c.endpoint_method != c.method {
            problems.push(format!(
                "{} {}: Endpoint::METHOD is {}",
                c.method, c.path, c.endpoint_method
            ));
        }
        match names.get(&key) {
            None => problems.push(format!("{} {}: not in the schema", c.method, c.path)),
            Some(name) if *name != c.endpoint_name => problems.push(format!(
                "{} {}: Endpoint::NAME is {:?}, the schema's name is {name:?}",
                c.method, c.path, c.endpoint_name
            )),
            Some(_) => {}
        }
    }
    for (method, path, _) in &expected {
        if !seen.contains(&(method.as_str(), path.as_str())) {
            problems.push(format!("{method} {path}: not reachable (no probe line)"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(checked.len(), expected.len());
    eprintln!(
        "{} schema methods, all reachable through the typed tree",
        checked.len()
    );
}

/// The handle each endpoint hangs on adds the segment the rule says (`qemu` for
/// `post_qemu`, nothing for `get()`), and every call whose arguments are all strings builds
/// the path its template gives.
#[test]
fn calls_build_their_paths() {
    let generated = generated();
    let checked = run_probe();
    assert_eq!(checked.len(), generated.len(), "run the sync test first");
    let client = Client::builder("https://127.0.0.1:8006")
        .build()
        .expect("a client (no connection is made)");
    let mut problems = Vec::new();
    let mut called = 0;
    for (c, g) in checked.iter().zip(&generated) {
        assert_eq!(
            (c.method, c.path),
            (g.verb, g.path.as_str()),
            "the probe is out of date: run the sync test"
        );
        if c.endpoint_suffix != g.suffix {
            problems.push(format!(
                "{} {}: Endpoint::SUFFIX is {:?}, expected {:?}",
                c.method, c.path, c.endpoint_suffix, g.suffix
            ));
        }
        if g.callable {
            called += 1;
            let built = (c.call)(&client);
            if built != g.concrete {
                problems.push(format!(
                    "{} {}: `{}` goes to {built:?}, expected {:?}",
                    c.method, c.path, g.call, g.concrete
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "{called} of {} calls built and their paths checked",
        generated.len()
    );
}

/// The naming rule's corner cases, as this file implements them.
#[test]
fn naming_rule() {
    assert_eq!(snake("forceStop"), "force_stop");
    assert_eq!(snake("CSRFPreventionToken"), "csrf_prevention_token");
    assert_eq!(snake("get-fsinfo"), "get_fsinfo");
    assert_eq!(snake("pci-id-or-mapping"), "pci_id_or_mapping");
    assert_eq!(snake("move_disk"), "move_disk");
    assert_eq!(snake("ip6"), "ip6");
    assert_eq!(snake_ident("in"), "r#in");
    assert_eq!(snake_ident("type"), "r#type");
    assert_eq!(snake_ident("self"), "self_");
    assert_eq!(snake_ident("Self"), "self_");
    let string = |v: Value| takes_into_string(&v);
    assert!(string(serde_json::json!({"type": "string"})));
    assert!(string(
        serde_json::json!({"type": "string", "format": "pve-node"})
    ));
    assert!(!string(
        serde_json::json!({"type": "string", "enum": ["a", "b"]})
    ));
    assert!(!string(
        serde_json::json!({"type": "string", "format": {"a": {"type": "string"}}})
    ));
    assert!(!string(serde_json::json!({"type": "integer"})));
    assert!(!string(serde_json::json!({"type": "boolean"})));
    assert_eq!(
        string(serde_json::json!({"type": "string", "format": "pve-configid-list"})),
        !LIST_FORMATS_ARE_TYPED
    );
    assert!(is_optional(&serde_json::json!({"optional": 1})));
    assert!(is_optional(&serde_json::json!({"optional": "1"})));
    assert!(is_optional(&serde_json::json!({"optional": true})));
    assert!(!is_optional(&serde_json::json!({"optional": 0})));
    assert!(!is_optional(&serde_json::json!({})));
}
