//! Coverage of the typed API: every (method, path) of the vendored PVE schemas is reachable
//! through the typed tree, under the names the naming rules give it, and takes its
//! parameters with the types their parameter table gives them (the rules, once README.md's,
//! are the guide's chapters `proxmoxia/src/guide/naming.md` and, for merging the versions,
//! `versions.md`: "the README" below means them).
//!
//! The API is the union of `apidoc/pve-8.4.17.json`, `pve-9.1.11.json` and `pve-9.2.json`:
//! paths and methods by (method, path); a method's parameters are the union of its versions'
//! parameters, required only where every version that has the method requires it; where
//! versions type a parameter differently, the README's merge rule decides (a version that
//! says nothing gives way, scalars widen boolean < integer < number < string, an enum with
//! no enum in some version is a plain string).
//!
//! `surface/coverage/probe.rs` is generated from the schemas by the generator in this file and
//! checked in. Each of its lines calls one method through the typed tree, with a value of
//! the exact predicted type for every required parameter and every optional parameter's
//! setter:
//!
//! ```text
//! check::<api::nodes::node::rrd::get::Endpoint, _>("GET", "/nodes/{node}/rrd", |c| set(
//!     c.nodes("x").rrd().get(api::nodes::node::rrd::get::Required {
//!         ds: any::<proxmoxia::typed::List<String>>(),
//!         timeframe: any::<api::nodes::node::rrd::get::Timeframe>() }),
//!     |r| r.cf(any::<api::nodes::node::rrd::get::Cf>())));
//! ```
//!
//! so the compiler checks the accessor chain, the verb function, the name and type of every
//! required parameter (positional, or the fields of the method module's `Required`: a
//! missing, extra or differently typed field does not compile), the name and argument type
//! of every setter, the enums (named after the parameter, in the method module) and the
//! property-string types (named after path and parameter, in `api::formats`). The tests
//! check the endpoint's constants (`METHOD`, `PATH`, `NAME`, `SUFFIX`) against the schemas,
//! that each method appears exactly once, and the path each call builds (for the calls whose
//! required arguments are plain values, see [`plain_types!`]). The same generator writes
//! `surface/typed_sweep/endpoints.rs`, the GET endpoints `typed_sweep.rs` calls.
//!
//! Not checked by the compiler: which generic bound takes a `String` or a `Vec<String>`
//! (`impl Into<String>` and `String` accept the same value, as do `Vec<String>` and
//! `impl IntoIterator<Item = impl Into<String>>`), the field types of optional parameters
//! in `Params` (setters only), enum variants and property-string keys, and whether a path
//! parameter's accessor takes `i64` or `impl Display` (an integer literal fits both).
//!
//! The generator re-implements the README's rules on its own (it shares no code with
//! `proxmoxia-macros`): that is the point, the generated API is checked against the schemas
//! by a second reading of the rules. Where the generated API knowingly differs from the
//! README, [`DEVIATIONS`] says so item by item, and the probe expects the generated type
//! there. After a schema or rule change, regenerate with
//!
//! ```text
//! UPDATE_COVERAGE_PROBE=1 cargo test -p proxmoxia-tests --test surface coverage
//! ```
//!
//! (when the checked-in probe no longer compiles against the changed API, make
//! `surface/coverage/probe.rs` just `pub(crate) fn probe() {}` first).

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proxmoxia::Client;
use proxmoxia::typed::{Endpoint, Request};
use serde_json::{Map, Value};

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
    /// whose required arguments are plain (see [`Generated::callable`]).
    call: Box<dyn Fn(&Client) -> String>,
}

thread_local! {
    static CHECKED: RefCell<Vec<Checked>> = const { RefCell::new(Vec::new()) };
}

/// Records one method: the schema's `method` and `path`, and the endpoint `f` builds. `f`
/// is not called here. `R` is whatever the verb function returns: the probe does not name
/// it, only that it is the endpoint's request (`Request<E>`; `'static`: a `fn(&Client) -> R`
/// cannot borrow the client anyway).
fn check<E: Endpoint, R: std::borrow::Borrow<Request<E>> + 'static>(
    method: &'static str,
    path: &'static str,
    f: fn(&Client) -> R,
) {
    CHECKED.with(|c| {
        c.borrow_mut().push(Checked {
            method,
            path,
            endpoint_method: E::METHOD.as_str(),
            endpoint_path: E::PATH,
            endpoint_name: E::NAME,
            endpoint_suffix: E::SUFFIX,
            call: Box::new(move |client| f(client).borrow().api_path().to_owned()),
        })
    });
}

/// Gives `request` back unchanged. `setters` (every optional parameter's setter, chained)
/// is only type-checked, never called: so a call with setters of every type stays runnable.
fn set<R>(request: R, _setters: fn(R) -> R) -> R {
    request
}

/// A value of type `T`: for the plain types a sample (so calls taking only plain
/// arguments can run); for the others it is only type-checked, never produced.
fn any<T: 'static>() -> T {
    sample::<T>().unwrap_or_else(|| {
        unreachable!("the probe never runs a call with an argument of a type that is not plain")
    })
}

/// Puts `value()` into `slot` if `slot` holds a `U`; tells whether it did.
fn fill<T: 'static, U: 'static>(slot: &mut Option<T>, value: impl FnOnce() -> U) -> bool {
    let slot: &mut dyn Any = slot;
    match slot.downcast_mut::<Option<U>>() {
        Some(slot) => {
            *slot = Some(value());
            true
        }
        None => false,
    }
}

/// The plain types: [`any`] gives a sample of them. Each is listed once with its spelling in
/// the probe ([`PLAIN_TYPES`], what the generator decides callability by) and its sample
/// value ([`sample`]), so the two cannot disagree.
macro_rules! plain_types {
    ($($text:literal => $value:expr,)*) => {
        /// The probe's spelling of the types [`sample`] makes.
        const PLAIN_TYPES: &[&str] = &[$($text),*];

        /// A sample value of `T` when `T` is plain.
        fn sample<T: 'static>() -> Option<T> {
            let mut slot = None;
            $(if fill(&mut slot, || $value) { return slot; })*
            None
        }
    };
}

plain_types! {
    "String" => String::new(),
    "proxmoxia::Secret" => proxmoxia::Secret::new(""),
    "i64" => 0_i64,
    "f64" => 0.0_f64,
    "bool" => false,
    "serde_json::Value" => Value::Null,
    "Vec<String>" => Vec::<String>::new(),
    "Vec<i64>" => Vec::<i64>::new(),
    "proxmoxia::typed::List<String>" => proxmoxia::typed::List::<String>::default(),
    "proxmoxia::typed::List<i64>" => proxmoxia::typed::List::<i64>::default(),
}

/// Runs the probe and returns what it recorded.
fn run_probe() -> Vec<Checked> {
    CHECKED.with(|c| c.borrow_mut().clear());
    probe::probe();
    CHECKED.with(|c| std::mem::take(&mut *c.borrow_mut()))
}

// ------------------------------------------------------------------------------------------
// The schemas, read with serde_json.

/// The vendored PVE versions, oldest first: `apidoc/pve-{version}.json`.
const VERSIONS: [&str; 3] = ["8.4.17", "9.1.11", "9.2"];

/// The HTTP methods, in the order each path's methods are visited.
const VERBS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

fn schema_file(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../apidoc/pve-{version}.json"))
}

/// Every vendored schema, in [`VERSIONS`] order.
fn load_schemas() -> Vec<Value> {
    VERSIONS
        .iter()
        .map(|version| {
            let file = schema_file(version);
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not JSON: {e}", file.display()))
        })
        .collect()
}

/// Every (method, path) of the schemas with its `name`: a flat walk, independent of the
/// union tree. The versions must agree on a method's name.
fn schema_methods(schemas: &[Value]) -> BTreeMap<(String, String), String> {
    fn walk(node: &Value, out: &mut BTreeMap<(String, String), String>) {
        let path = node["path"].as_str().unwrap_or_default();
        for (method, m) in node
            .get("info")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let name = m["name"].as_str().unwrap_or_default().to_owned();
            let key = (method.clone(), path.to_owned());
            if let Some(other) = out.insert(key, name.clone()) {
                assert_eq!(
                    other, name,
                    "{method} {path}: the versions name it differently"
                );
            }
        }
        for child in node["children"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = BTreeMap::new();
    for root in schemas.iter().filter_map(Value::as_array).flatten() {
        walk(root, &mut out);
    }
    out
}

// ------------------------------------------------------------------------------------------
// The union of the schemas: one tree, each method with its merged, typed parameters.

/// One path of the union.
struct Node {
    /// `/nodes/{node}/qemu`
    path: String,
    segment: Segment,
    /// In [`VERBS`] order.
    methods: Vec<Method>,
    /// Sorted by path, as in the vendored files.
    children: Vec<Node>,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// One method of one path, over the versions that have it.
struct Method {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    verb: &'static str,
    /// The union of the versions' `parameters.properties`, sorted by wire name.
    params: Vec<Param>,
}

/// One parameter of a method.
struct Param {
    /// `net[n]`, `target-endpoint`
    wire: String,
    /// Every version that has the method has the parameter and requires it.
    required: bool,
    ty: Ty,
}

/// The union of `nodes`, siblings from the versions' trees (their top levels, or the children
/// of one path's copies): one [`Node`] per path, sorted by path.
fn union_level<'a>(nodes: impl IntoIterator<Item = &'a Value>) -> Vec<Node> {
    let mut by_path: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for node in nodes {
        let path = node["path"].as_str().expect("a node has a path");
        by_path.entry(path).or_default().push(node);
    }
    by_path
        .into_iter()
        .map(|(path, copies)| union_node(path, &copies))
        .collect()
}

/// One path from its copies in the versions that have it.
fn union_node(path: &str, copies: &[&Value]) -> Node {
    let last = path.rsplit('/').next().unwrap_or_default();
    let segment = match last.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(name) => Segment::Param(name.to_owned()),
        None => Segment::Literal(last.to_owned()),
    };
    let methods = VERBS
        .iter()
        .filter_map(|verb| {
            let decls: Vec<&Value> = copies
                .iter()
                .filter_map(|node| node.get("info")?.get(*verb))
                .collect();
            (!decls.is_empty()).then(|| union_method(verb, path, &decls))
        })
        .collect();
    let children = union_level(
        copies
            .iter()
            .flat_map(|node| node.get("children").and_then(Value::as_array))
            .flatten(),
    );
    Node {
        path: path.to_owned(),
        segment,
        methods,
        children,
    }
}

/// One method from its declarations in the versions that have it.
fn union_method(verb: &'static str, path: &str, decls: &[&Value]) -> Method {
    let empty = Map::new();
    let props: Vec<&Map<String, Value>> = decls
        .iter()
        .map(|m| {
            m.pointer("/parameters/properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty)
        })
        .collect();
    let names: BTreeSet<&String> = props.iter().flat_map(|p| p.keys()).collect();
    let params = names
        .into_iter()
        .map(|wire| union_param(path, wire, &props))
        .collect();
    Method { verb, params }
}

/// Parameter `wire` of a method at `path`, from `props`, the parameters of the method in
/// each version that has it.
fn union_param(path: &str, wire: &str, props: &[&Map<String, Value>]) -> Param {
    let declared: Vec<(&Map<String, Value>, &Value)> = props
        .iter()
        .filter_map(|p| Some((*p, p.get(wire)?)))
        .collect();
    // A version without the parameter makes it optional, as one that says `optional`.
    let required =
        declared.len() == props.len() && declared.iter().all(|(_, schema)| !is_optional(schema));
    let ty = declared
        .iter()
        .map(|(params, schema)| predict(&Site { path, wire, params }, schema))
        .reduce(|a, b| merge(a, b, path, wire))
        .unwrap_or(Ty::Unknown);
    Param {
        wire: wire.to_owned(),
        required,
        ty: ty.settled(),
    }
}

/// True when a parameter may be left out: `optional` is 1, "1" or true.
fn is_optional(schema: &Value) -> bool {
    matches!(schema.get("optional"), Some(v) if *v == 1 || *v == "1" || *v == true)
}

// ------------------------------------------------------------------------------------------
// The parameter types (README, "Parameters"), re-implemented.

/// A parameter's type as the README's table gives it.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    /// The version says nothing (no `type`): gives way to any other version's type.
    Unknown,
    Bool,
    Int,
    Num,
    Str,
    /// A secret string: `Secret`, set from `impl Into<String>`.
    Secret,
    /// A closed enum in the method module, named after the parameter (`Cf`).
    Enum(String),
    /// A `-list` string: `List<String>`, or `List<i64>` for `pve-vmid-list`.
    List(ListItem),
    /// A property string, `api::formats::{name}`.
    Format(String),
    /// An array, its items typed as the parameter itself would be.
    Vec(Box<Ty>),
    /// No type, `any`, `object`: `serde_json::Value`.
    Value,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum ListItem {
    String,
    Integer,
}

impl Ty {
    /// The type once all versions are merged: what no version typed is a `Value`.
    fn settled(self) -> Ty {
        match self {
            Ty::Unknown => Ty::Value,
            Ty::Vec(item) => Ty::Vec(Box::new(item.settled())),
            other => other,
        }
    }

    /// The field type (of `Required` and `Params`); `module` is the method module, home of
    /// its enums.
    fn field(&self, module: &str) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Int => "i64".into(),
            Ty::Num => "f64".into(),
            Ty::Str => "String".into(),
            Ty::Secret => "proxmoxia::Secret".into(),
            Ty::Enum(name) => format!("{module}::{name}"),
            Ty::List(ListItem::String) => "proxmoxia::typed::List<String>".into(),
            Ty::List(ListItem::Integer) => "proxmoxia::typed::List<i64>".into(),
            Ty::Format(name) => format!("api::formats::{name}"),
            Ty::Vec(item) => format!("Vec<{}>", item.field(module)),
            Ty::Unknown | Ty::Value => "serde_json::Value".into(),
        }
    }

    /// The type of the value the probe passes where the README's argument type is generic
    /// (`impl Into<String>`: a `String`; `impl IntoIterator<Item = impl Into<String>>`: a
    /// `Vec<String>`), else the field type: positional arguments and setters.
    fn argument(&self, module: &str) -> String {
        match self {
            Ty::Str | Ty::Secret => "String".into(),
            Ty::List(ListItem::String) => "Vec<String>".into(),
            Ty::List(ListItem::Integer) => "Vec<i64>".into(),
            other => other.field(module),
        }
    }

    /// The rank of a scalar in the widening order boolean < integer < number < string.
    fn scalar_rank(&self) -> Option<u8> {
        match self {
            Ty::Bool => Some(0),
            Ty::Int => Some(1),
            Ty::Num => Some(2),
            Ty::Str => Some(3),
            _ => None,
        }
    }
}

/// Where a parameter is declared: what its types are named after.
struct Site<'a> {
    path: &'a str,
    wire: &'a str,
    /// All parameters of the method in the declaring version.
    params: &'a Map<String, Value>,
}

/// The type one version gives the parameter at `site`; `schema` is the parameter's (or, for
/// an array, its items').
fn predict(site: &Site, schema: &Value) -> Ty {
    match schema.get("type").and_then(Value::as_str) {
        None => Ty::Unknown,
        Some("boolean") => Ty::Bool,
        // An `enum` of integers is an enum, as one of strings.
        Some("integer") if schema.get("enum").is_some_and(|e| !e.is_null()) => {
            Ty::Enum(pascal(family_name(site.wire)))
        }
        Some("integer") => Ty::Int,
        Some("number") => Ty::Num,
        Some("string") => predict_string(site, schema),
        Some("array") => Ty::Vec(Box::new(
            schema
                .get("items")
                .filter(|items| !items.is_null())
                .map_or(Ty::Unknown, |items| predict(site, items)),
        )),
        Some(_) => Ty::Value,
    }
}

/// A `string`: a property string (a `format` object, or a named format PVE describes as
/// one), an enum, a list, a secret or plain, in that order.
fn predict_string(site: &Site, schema: &Value) -> Ty {
    let format = schema.get("format");
    if format.is_some_and(Value::is_object) {
        return Ty::Format(format_type_name(site.path, site.wire));
    }
    if schema.get("enum").is_some_and(|e| !e.is_null()) {
        return Ty::Enum(pascal(family_name(site.wire)));
    }
    match format.and_then(Value::as_str) {
        Some("pve-vmid-list") => return Ty::List(ListItem::Integer),
        Some(name) if name.ends_with("-list") => return Ty::List(ListItem::String),
        Some(name) if is_property_string(site, name, schema) => {
            return Ty::Format(format_type_name(site.path, site.wire));
        }
        _ => {}
    }
    if is_secret(site) { Ty::Secret } else { Ty::Str }
}

/// Named formats the schema spells out only as the `format` object of another parameter of
/// the same method: `cdrom` is an `ide[n]` drive.
const SPELLED_OUT: &[(&str, &str)] = &[("pve-qm-ide", "ide[n]")];

/// Whether the named format `format` is a property string: the parameter's `typetext`
/// lists `key=value` pairs, or the method spells the format out as another parameter.
fn is_property_string(site: &Site, format: &str, schema: &Value) -> bool {
    if schema
        .get("typetext")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains('='))
    {
        return true;
    }
    let Some((_, by)) = SPELLED_OUT.iter().find(|(name, _)| *name == format) else {
        return false;
    };
    // SPELLED_OUT is this file's reading of the schema: the schema must still bear it out.
    let spelled = site.params.get(*by).and_then(|p| p.get("format"));
    assert!(
        spelled.is_some_and(Value::is_object),
        "{} {}: `{by}` no longer spells out {format}",
        site.path,
        site.wire
    );
    true
}

/// The parameters the README calls secret: by name, and `value` of the token paths.
fn is_secret(site: &Site) -> bool {
    // The reviewed list of proxmoxia-macros/src/secrets.rs, written out again on purpose.
    const NAMES: &[&str] = &[
        "password",
        "new-password",
        "confirmation-password",
        "cipassword",
        "ticket",
        "vncticket",
        "tfa-challenge",
        "CSRFPreventionToken",
        "otp",
        "secret",
        "client-key",
        "eab-hmac-key",
        "encryption-key",
        "keyring",
        "corosync_authkey",
    ];
    const ON_PATH: &[(&str, &str)] = &[
        ("value", "/access/users/{userid}/token/{tokenid}"),
        ("totp", "/access/tfa/{userid}"),
        ("value", "/access/tfa/{userid}"),
        ("recovery", "/access/tfa/{userid}"),
        ("key", "/nodes/{node}/certificates/custom"),
        ("key", "/cluster/sdn/dns"),
        ("key", "/cluster/sdn/dns/{dns}"),
        ("token", "/cluster/sdn/ipams"),
        ("token", "/cluster/sdn/ipams/{ipam}"),
        ("token", "/cluster/metrics/server/{id}"),
        ("token", "/cluster/notifications/endpoints/gotify"),
        ("token", "/cluster/notifications/endpoints/gotify/{name}"),
        ("master-pubkey", "/storage"),
        ("master-pubkey", "/storage/{storage}"),
    ];
    NAMES.contains(&site.wire)
        || site.wire.ends_with("-password")
        || ON_PATH
            .iter()
            .any(|(w, p)| *w == site.wire && *p == site.path)
}

/// The type of the versions' types `a` and `b` of parameter `wire` of `path`: a version
/// that says nothing gives way; scalars widen; an enum is a plain string where a version has
/// none, else its values are the union (one enum); arrays merge their items. Any other
/// difference has no rule in the README: the test stops and names it.
fn merge(a: Ty, b: Ty, path: &str, wire: &str) -> Ty {
    match (a, b) {
        (Ty::Unknown, other) | (other, Ty::Unknown) => other,
        (a, b) if a == b => a,
        (Ty::Vec(a), Ty::Vec(b)) => Ty::Vec(Box::new(merge(*a, *b, path, wire))),
        // (No integer enum of the schemas is plain in another version: the string rule is
        // the only one needed.)
        (Ty::Enum(_), other) | (other, Ty::Enum(_)) if other.scalar_rank().is_some() => Ty::Str,
        (a, b) => match (a.scalar_rank(), b.scalar_rank()) {
            (Some(ra), Some(rb)) => {
                if ra >= rb {
                    a
                } else {
                    b
                }
            }
            _ => panic!("{path} {wire}: the versions type it as {a:?} and {b:?}: no README rule"),
        },
    }
}

// ------------------------------------------------------------------------------------------
// The names (README, "Words"), re-implemented.

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

/// The lowercase words of a PVE name: non-alphanumerics separate words, and a word starts
/// at an uppercase letter that follows a lowercase letter or digit (`forceStop`) or that
/// starts a word after an acronym (`CSRFPrevention`).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            out.extend((!current.is_empty()).then(|| std::mem::take(&mut current)));
            continue;
        }
        let camel_break = c.is_ascii_uppercase()
            && i > 0
            && chars[i - 1].is_ascii_alphanumeric()
            && (chars[i - 1].is_ascii_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(char::is_ascii_lowercase));
        if camel_break && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    out.extend((!current.is_empty()).then_some(current));
    out
}

/// snake_case of a PVE name: its words joined by `_`, `_` first when it starts with a digit.
fn snake(name: &str) -> String {
    let out = words(name).join("_");
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{out}")
    } else {
        out
    }
}

/// PascalCase of a PVE name: its words capitalized, `_` between two digit groups (`4.2` →
/// `V4_2`), `V` first when it starts with a digit (`486` → `V486`).
fn pascal(name: &str) -> String {
    let mut out = String::new();
    for word in words(name) {
        if out.ends_with(|c: char| c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_digit())
        {
            out.push('_');
        }
        let mut chars = word.chars();
        out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        out.extend(chars);
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
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

/// A parameter's name without an indexed family's `[n]`.
fn family_name(wire: &str) -> &str {
    wire.strip_suffix("[n]").unwrap_or(wire)
}

/// The setter of an indexed family `x[n]`: `xs`, `xes` after `s` or `x`.
fn family_setter(wire: &str) -> String {
    let base = snake(family_name(wire));
    let plural = if base.ends_with('s') || base.ends_with('x') {
        format!("{base}es")
    } else {
        format!("{base}s")
    };
    ident(&plural)
}

/// The property-string type of parameter `wire` of `path`: the PascalCase of the path's
/// literal segments up to its first `{param}` (a leading `nodes/{node}` left out), then of
/// the parameter without `[n]` or a trailing number.
fn format_type_name(path: &str, wire: &str) -> String {
    let rest = match path.strip_prefix("/nodes/{node}") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    };
    let literals: String = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .take_while(|s| !s.starts_with('{'))
        .map(pascal)
        .collect();
    let param = family_name(wire).trim_end_matches(|c: char| c.is_ascii_digit());
    format!("{literals}{}", pascal(param))
}

// ------------------------------------------------------------------------------------------
// Known deviations of the generated API from the README.

/// Where the generated API types a parameter otherwise than the README predicts, known and
/// reported: the probe expects the generated type there (so it compiles), the README's
/// type stays what [`predict`] gives, and `deviations_are_real` lists each. Remove an entry
/// when the generator follows the README (or the README the generator).
struct Deviation {
    method: &'static str,
    path: &'static str,
    param: &'static str,
    /// What the generated API has, instead of the README's type.
    generated: Ty,
    why: &'static str,
}

/// The deviations, see [`Deviation`].
static DEVIATIONS: LazyLock<Vec<Deviation>> = LazyLock::new(Vec::new);

/// The type the probe expects for `param` of `method` at `path`: the README's, or the
/// generated one of a known deviation.
fn expected_ty<'a>(method: &str, path: &str, param: &'a Param) -> &'a Ty {
    DEVIATIONS
        .iter()
        .find(|d| d.method == method && d.path == path && d.param == param.wire)
        .map_or(&param.ty, |d| &d.generated)
}

// ------------------------------------------------------------------------------------------
// The generator: the call of each method through the typed tree.

/// One method as the generator sees it.
struct Generated {
    verb: &'static str,
    path: String,
    /// `api::nodes::node::qemu::post`
    module: String,
    /// `c.nodes("x").post_qemu(any::<i64>())`, then `set(.., |r| r.setter(..)...)`.
    call: String,
    /// The path the call builds, relative to the API root (`nodes/x/qemu`).
    concrete: String,
    /// The segment the endpoint adds to its handle's path (`qemu` for `post_qemu`).
    suffix: String,
    /// Every required argument is of a plain type, so the closure can run.
    callable: bool,
    /// How many required parameters the call passes (positional or `Required` fields).
    arguments: usize,
    /// How many setters it chains.
    setters: usize,
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

/// Every method of the union, in tree order, with its call through the typed tree.
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
                Some(item) => collection(node, lit, item, parent, out),
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

/// A collection `lit` (a literal with the `{param}` child `item`): `l(p)` for the item,
/// `{verb}_{l}` on the parent for its own methods.
fn collection(node: &Node, lit: &str, item: &Node, parent: &Handle, out: &mut Vec<Generated>) {
    let name = snake(lit);
    for m in &node.methods {
        let expr = format!("{}.{}_{name}", parent.expr, m.verb.to_lowercase());
        let at = parent.join(String::new(), lit);
        out.push(method(node, m, &at, &expr, lit));
    }
    // The item accessor is called on the parent; the path has the literal.
    let collection = parent.join(parent.expr.clone(), lit);
    let item_handle = param_handle(item, &collection, &accessor(&ident(&name), parent));
    own(item, &item_handle, out);
    for other in &node.children {
        assert!(
            matches!(other.segment, Segment::Param(_)),
            "{} is unreachable: the rule gives no handle to its parent collection {}",
            other.path,
            node.path
        );
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
        "pve_version",
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

/// Whether a path parameter's accessor takes `i64` (else `impl Display`): the type of the
/// first declaration of `name` in `node`'s subtree (its own methods in GET, POST, PUT,
/// DELETE order, then its children depth-first).
fn integer_path_param(node: &Node, name: &str) -> bool {
    fn declared<'a>(node: &'a Node, name: &str) -> Option<&'a Ty> {
        node.methods
            .iter()
            .find_map(|m| m.params.iter().find(|p| p.wire == name).map(|p| &p.ty))
            .or_else(|| node.children.iter().find_map(|c| declared(c, name)))
    }
    declared(node, name) == Some(&Ty::Int)
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

/// One method called as `callee(args)`, its setters chained; `at` is the path the request
/// goes to.
fn method(node: &Node, m: &Method, at: &Handle, callee: &str, suffix: &str) -> Generated {
    let module = method_module(&node.path, m.verb);
    let in_path: Vec<&str> = node
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    let (required, optional): (Vec<&Param>, Vec<&Param>) = m
        .params
        .iter()
        .filter(|p| !in_path.contains(&p.wire.as_str()))
        .partition(|p| p.required && !p.wire.ends_with("[n]"));
    let typed = |p: &Param| expected_ty(m.verb, &node.path, p).clone();
    let required: Vec<(&Param, Ty)> = required.into_iter().map(|p| (p, typed(p))).collect();
    let (args, arg_types) = arguments(&module, &required);
    let setters: Vec<String> = optional
        .iter()
        .map(|p| setter(&module, p, &typed(p)))
        .collect();
    let call = format!("{callee}({args})");
    let call = if setters.is_empty() {
        call
    } else {
        format!("set({call}, |r| r{})", setters.concat())
    };
    Generated {
        verb: m.verb,
        path: node.path.clone(),
        module,
        call,
        concrete: at.concrete.clone(),
        suffix: suffix.to_owned(),
        callable: arg_types.iter().all(|t| PLAIN_TYPES.contains(&t.as_str())),
        arguments: required.len(),
        setters: setters.len(),
    }
}

/// The module of `verb` at `path`: `api::nodes::node::qemu::post`.
fn method_module(path: &str, verb: &str) -> String {
    path.split('/')
        .skip(1)
        .map(|s| snake_ident(s.trim_start_matches('{').trim_end_matches('}')))
        .chain([verb.to_lowercase()])
        .fold("api".to_owned(), |acc, s| format!("{acc}::{s}"))
}

/// The verb function's argument for the `required` parameters (with their types): none;
/// one positional, of its argument type; or the method module's `Required` with every one
/// as a field of its field type. Also the types passed.
fn arguments(module: &str, required: &[(&Param, Ty)]) -> (String, Vec<String>) {
    match required {
        [] => (String::new(), Vec::new()),
        [(_, ty)] => {
            let ty = ty.argument(module);
            (format!("any::<{ty}>()"), vec![ty])
        }
        _ => {
            let fields: Vec<(String, String)> = required
                .iter()
                .map(|(p, ty)| (snake_ident(&p.wire), ty.field(module)))
                .collect();
            let text = fields
                .iter()
                .map(|(name, ty)| format!("{name}: any::<{ty}>()"))
                .collect::<Vec<_>>()
                .join(", ");
            let types = fields.into_iter().map(|(_, ty)| ty).collect();
            (format!("{module}::Required {{ {text} }}"), types)
        }
    }
}

/// The setter call of optional parameter `p` (typed `ty`): `.name(value)`, or
/// `.xs(0, value)` for an indexed family `x[n]`.
fn setter(module: &str, p: &Param, ty: &Ty) -> String {
    let value = format!("any::<{}>()", ty.argument(module));
    if p.wire.ends_with("[n]") {
        format!(".{}(0, {value})", family_setter(&p.wire))
    } else {
        format!(".{}({value})", snake_ident(&p.wire))
    }
}

const HEADER: &str = "// @generated by tests/tests/surface/coverage.rs from apidoc/pve-8.4.17.json,\n\
// pve-9.1.11.json and pve-9.2.json: do not edit.\n\
// Regenerate: UPDATE_COVERAGE_PROBE=1 cargo test -p proxmoxia-tests --test surface coverage\n";

/// The text of `surface/coverage/probe.rs`.
fn probe_text(methods: &[Generated]) -> String {
    let mut text = format!(
        "{HEADER}\n\
         use proxmoxia::api;\n\
         \n\
         use super::{{any, check, set}};\n\
         \n\
         /// Every method of the schemas' union ({}), called through the typed tree with every\n\
         /// parameter.\n\
         #[rustfmt::skip]\n\
         pub(crate) fn probe() {{\n",
        methods.len()
    );
    for g in methods {
        text.push_str(&format!(
            "    check::<{}::Endpoint, _>({:?}, {:?}, |c| {});\n",
            g.module, g.verb, g.path, g.call
        ));
    }
    text.push_str("}\n");
    text
}

/// The text of `surface/typed_sweep/endpoints.rs`.
fn sweep_text(methods: &[Generated]) -> String {
    let gets: Vec<&Generated> = methods.iter().filter(|g| g.verb == "GET").collect();
    let mut text = format!(
        "{HEADER}\n\
         use proxmoxia::api;\n\
         \n\
         use super::sweep;\n\
         \n\
         /// Every GET endpoint of the schemas' union ({}).\n\
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

/// The union of the vendored schemas.
fn union() -> Vec<Node> {
    union_level(load_schemas().iter().filter_map(Value::as_array).flatten())
}

fn generated() -> Vec<Generated> {
    generate(&union())
}

/// Every parameter of the union, by (method, path, wire name).
fn all_params(tree: &[Node]) -> BTreeMap<(&'static str, &str, &str), &Ty> {
    fn walk<'a>(node: &'a Node, out: &mut BTreeMap<(&'static str, &'a str, &'a str), &'a Ty>) {
        for m in &node.methods {
            for p in &m.params {
                out.insert((m.verb, node.path.as_str(), p.wire.as_str()), &p.ty);
            }
        }
        for c in &node.children {
            walk(c, out);
        }
    }
    let mut out = BTreeMap::new();
    for node in tree {
        walk(node, &mut out);
    }
    out
}

// ------------------------------------------------------------------------------------------
// The tests.

/// The checked-in files are what the generator makes of the schemas today.
#[test]
fn probe_is_in_sync_with_the_schema() {
    let methods = generated();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/surface");
    let update = std::env::var_os(UPDATE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
    let mut stale = Vec::new();
    for (file, text) in [
        ("coverage/probe.rs", probe_text(&methods)),
        ("typed_sweep/endpoints.rs", sweep_text(&methods)),
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
         (`{UPDATE_ENV}=1 cargo test -p proxmoxia-tests --test surface coverage`) and commit the result.",
        stale.join("\n\n")
    );
    let arguments: usize = methods.iter().map(|g| g.arguments).sum();
    let setters: usize = methods.iter().map(|g| g.setters).sum();
    eprintln!(
        "{} methods: {arguments} required arguments and {setters} setters type-checked",
        methods.len()
    );
}

/// Each known deviation names a parameter the union has, and differs from the README.
#[test]
fn deviations_are_real() {
    let tree = union();
    let params = all_params(&tree);
    for d in DEVIATIONS.iter() {
        let readme = params
            .get(&(d.method, d.path, d.param))
            .unwrap_or_else(|| panic!("{} {} has no parameter {}", d.method, d.path, d.param));
        assert_ne!(
            **readme, d.generated,
            "{} {} {}: no deviation",
            d.method, d.path, d.param
        );
        eprintln!(
            "deviation: {} {} {}: README {readme:?}, generated {:?}: {}",
            d.method, d.path, d.param, d.generated, d.why
        );
    }
}

/// Each (method, path) of the schemas has exactly one line in the probe, and its endpoint's
/// constants say what the schemas say.
#[test]
fn every_schema_method_is_reachable_through_the_typed_tree() {
    let names = schema_methods(&load_schemas());
    let checked = run_probe();

    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &checked {
        let key = (c.method.to_owned(), c.path.to_owned());
        if !seen.insert(key.clone()) {
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
            None => problems.push(format!("{} {}: not in the schemas", c.method, c.path)),
            Some(name) if *name != c.endpoint_name => problems.push(format!(
                "{} {}: Endpoint::NAME is {:?}, the schemas' name is {name:?}",
                c.method, c.path, c.endpoint_name
            )),
            Some(_) => {}
        }
    }
    for (method, path) in names.keys() {
        if !seen.contains(&(method.clone(), path.clone())) {
            problems.push(format!("{method} {path}: not reachable (no probe line)"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert_eq!(checked.len(), names.len());
    eprintln!(
        "{} methods of the schemas' union, all reachable through the typed tree",
        checked.len()
    );
}

/// The handle each endpoint hangs on adds the segment the rule says (`qemu` for
/// `post_qemu`, nothing for `get()`), and every call whose required arguments are plain
/// builds the path its template gives.
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

/// The naming rules' corner cases, as this file implements them.
#[test]
fn naming_rules() {
    assert_eq!(snake("forceStop"), "force_stop");
    assert_eq!(snake("CSRFPreventionToken"), "csrf_prevention_token");
    assert_eq!(snake("get-fsinfo"), "get_fsinfo");
    assert_eq!(snake("pci-id-or-mapping"), "pci_id_or_mapping");
    assert_eq!(snake("move_disk"), "move_disk");
    assert_eq!(snake("ip6"), "ip6");
    assert_eq!(snake("1"), "_1");
    assert_eq!(snake_ident("in"), "r#in");
    assert_eq!(snake_ident("type"), "r#type");
    assert_eq!(snake_ident("self"), "self_");
    assert_eq!(snake_ident("Self"), "self_");
    assert_eq!(pascal("virtio-scsi-pci"), "VirtioScsiPci");
    assert_eq!(pascal("AVERAGE"), "Average");
    assert_eq!(pascal("486"), "V486");
    assert_eq!(pascal("4.2"), "V4_2");
    assert_eq!(pascal("reported-model"), "ReportedModel");
    assert_eq!(family_setter("net[n]"), "nets");
    assert_eq!(family_setter("virtiofs[n]"), "virtiofses");
    assert_eq!(family_setter("unused[n]"), "unuseds");
    assert_eq!(format_type_name("/nodes/{node}/qemu", "net[n]"), "QemuNet");
    assert_eq!(
        format_type_name("/nodes/{node}/qemu/{vmid}/config", "net[n]"),
        "QemuNet"
    );
    assert_eq!(format_type_name("/nodes/{node}/lxc", "rootfs"), "LxcRootfs");
    assert_eq!(
        format_type_name(
            "/nodes/{node}/qemu/{vmid}/remote_migrate",
            "target-endpoint"
        ),
        "QemuTargetEndpoint"
    );
    assert_eq!(
        format_type_name("/cluster/mapping/dir", "map"),
        "ClusterMappingDirMap"
    );
    assert_eq!(
        format_type_name("/nodes/{node}/qemu", "efidisk0"),
        "QemuEfidisk"
    );
    assert!(is_optional(&serde_json::json!({"optional": 1})));
    assert!(is_optional(&serde_json::json!({"optional": "1"})));
    assert!(is_optional(&serde_json::json!({"optional": true})));
    assert!(!is_optional(&serde_json::json!({"optional": 0})));
    assert!(!is_optional(&serde_json::json!({})));
}

/// The parameter table's rows and the merge rule, as this file implements them.
#[test]
fn parameter_types() {
    use serde_json::json;
    let none = Map::new();
    let at = |path, wire| Site {
        path,
        wire,
        params: &none,
    };
    let ty = |wire, schema: Value| predict(&at("/nodes/{node}/qemu", wire), &schema);
    assert_eq!(ty("name", json!({"type": "string"})), Ty::Str);
    assert_eq!(
        ty("node", json!({"type": "string", "format": "pve-node"})),
        Ty::Str
    );
    assert_eq!(ty("password", json!({"type": "string"})), Ty::Secret);
    assert_eq!(
        ty("cf", json!({"type": "string", "enum": ["AVERAGE"]})),
        Ty::Enum("Cf".into())
    );
    assert_eq!(
        ty(
            "ds",
            json!({"type": "string", "format": "pve-configid-list"})
        ),
        Ty::List(ListItem::String)
    );
    assert_eq!(
        ty("vms", json!({"type": "string", "format": "pve-vmid-list"})),
        Ty::List(ListItem::Integer)
    );
    assert_eq!(
        ty(
            "net[n]",
            json!({"type": "string", "format": {"bridge": {"type": "string"}}})
        ),
        Ty::Format("QemuNet".into())
    );
    assert_eq!(
        ty(
            "ipconfig[n]",
            json!({"type": "string", "format": "pve-qm-ipconfig", "typetext": "[gw=<GatewayIPv4>]"})
        ),
        Ty::Format("QemuIpconfig".into())
    );
    assert_eq!(
        ty("cores", json!({"type": "integer", "enum": [1, 2]})),
        Ty::Enum("Cores".into())
    );
    assert_eq!(ty("cpulimit", json!({"type": "number"})), Ty::Num);
    assert_eq!(ty("acpi", json!({"type": "boolean"})), Ty::Bool);
    assert_eq!(ty("x", json!({"type": "object"})), Ty::Value);
    assert_eq!(
        ty(
            "delete",
            json!({"type": "array", "items": {"type": "string", "enum": ["a"]}})
        ),
        Ty::Vec(Box::new(Ty::Enum("Delete".into())))
    );
    assert_eq!(
        ty("x", json!({"type": "array"})).settled(),
        Ty::Vec(Box::new(Ty::Value))
    );

    let merge = |a, b| merge(a, b, "/p", "x");
    assert_eq!(merge(Ty::Bool, Ty::Int), Ty::Int);
    assert_eq!(merge(Ty::Str, Ty::Int), Ty::Str);
    assert_eq!(merge(Ty::Num, Ty::Int), Ty::Num);
    assert_eq!(merge(Ty::Enum("X".into()), Ty::Str), Ty::Str);
    assert_eq!(
        merge(Ty::Enum("X".into()), Ty::Enum("X".into())),
        Ty::Enum("X".into())
    );
    assert_eq!(
        merge(
            Ty::Vec(Box::new(Ty::Unknown)),
            Ty::Vec(Box::new(Ty::Enum("X".into())))
        ),
        Ty::Vec(Box::new(Ty::Enum("X".into())))
    );
    let mut qemu = Map::new();
    qemu.insert(
        "ide[n]".into(),
        json!({"type": "string", "format": {"file": {}}}),
    );
    let cdrom = Site {
        path: "/nodes/{node}/qemu",
        wire: "cdrom",
        params: &qemu,
    };
    assert_eq!(
        predict(
            &cdrom,
            &json!({"type": "string", "format": "pve-qm-ide", "typetext": "<volume>"})
        ),
        Ty::Format("QemuCdrom".into())
    );
}
