//! Generator unit tests: small apidoc fragments through schema -> IR -> tokens, and snapshots
//! of the expansion of a few real paths of the vendored schema.
//!
//! Emitted code is compared with whitespace removed (`squash`), so the assertions read like
//! the code they look for and do not depend on how `proc_macro2` spaces its tokens.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use crate::apidoc::{self, Tree};
use crate::emit::{Emitter, count_tokens};
use crate::ir::{self, Api, HandleFn, HandleIr, How, ModIr};
use crate::resolve;
use crate::versions::{Label, Versions};

// ---------------------------------------------------------------------------------------------
// Building apidoc fragments
// ---------------------------------------------------------------------------------------------

/// A path node of apidoc's tree.
fn node(path: &str, methods: &[(&str, String)], children: &[String]) -> String {
    let info: Vec<String> = methods
        .iter()
        .map(|(verb, m)| format!("{verb:?}: {m}"))
        .collect();
    format!(
        r#"{{"path": {path:?}, "text": "t", "leaf": {}, "info": {{{}}}, "children": [{}]}}"#,
        u8::from(children.is_empty()),
        info.join(", "),
        children.join(", ")
    )
}

/// A method's info: `params` is the text of `parameters.properties`, `returns` the schema.
fn method(name: &str, params: &str, returns: &str) -> String {
    format!(
        r#"{{"method": "X", "name": {name:?}, "description": "Does {name}.", "allowtoken": 1,
            "parameters": {{"additionalProperties": 0, "properties": {params}}},
            "returns": {returns}}}"#
    )
}

fn get(params: &str, returns: &str) -> (&'static str, String) {
    ("GET", method("read", params, returns))
}

fn post(params: &str, returns: &str) -> (&'static str, String) {
    ("POST", method("create", params, returns))
}

fn put(params: &str, returns: &str) -> (&'static str, String) {
    ("PUT", method("update", params, returns))
}

fn leaf(path: &str, methods: &[(&str, String)]) -> String {
    node(path, methods, &[])
}

const NULL: &str = r#"{"type": "null"}"#;
const STRING: &str = r#"{"type": "string"}"#;

fn tree(roots: &[String]) -> Tree {
    let text = format!("[{}]", roots.join(",\n"));
    let json = crate::json::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    apidoc::parse(&json).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The API of one schema (as a build with `PROXMOXIA_APIDOC` makes it).
fn build_api(roots: &[String]) -> Result<Api, String> {
    let tree = tree(roots);
    let merged = crate::merge::merge(&[&tree]);
    resolve::build(&merged, Versions::new(vec![Label::custom("test")])?)
}

fn build(roots: &[String]) -> Result<ModIr, String> {
    build_api(roots).map(|api| api.root)
}

fn build_ok(roots: &[String]) -> ModIr {
    build(roots).unwrap_or_else(|e| panic!("generation failed: {e}"))
}

fn api_ok(roots: &[String]) -> Api {
    build_api(roots).unwrap_or_else(|e| panic!("generation failed: {e}"))
}

fn build_err(roots: &[String]) -> String {
    match build(roots) {
        Ok(_) => panic!("expected a generator error"),
        Err(e) => e,
    }
}

fn emitter(api: &Api, budget: usize) -> Emitter<'_> {
    Emitter {
        api,
        // Leaked: a test's emitter lives as long as the test.
        catalog: Box::leak(Box::new(crate::catalog::Catalog::of(api))),
        schema_args: vec!["schema.json".into()],
        budget,
        split: Default::default(),
    }
}

/// The whole output for `roots` (the root module, `formats` and the catalogue), whitespace
/// removed.
fn expand(roots: &[String]) -> String {
    let api = api_ok(roots);
    let e = emitter(&api, usize::MAX);
    let mut out = e.module_contents(&api.root);
    out.extend(e.formats_module());
    out.extend(e.catalog.tokens());
    squash(&out.to_string())
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[track_caller]
fn assert_has(out: &str, needle: &str) {
    let needle = squash(needle);
    assert!(out.contains(&needle), "`{needle}` not in:\n{out}");
}

#[track_caller]
fn assert_lacks(out: &str, needle: &str) {
    let needle = squash(needle);
    assert!(!out.contains(&needle), "`{needle}` unexpectedly in:\n{out}");
}

#[track_caller]
fn assert_mentions_all(err: &str, parts: &[&str]) {
    for part in parts {
        assert!(err.contains(part), "{part:?} not in error: {err}");
    }
}

/// The module of `path` under `m`.
fn module<'a>(m: &'a ModIr, path: &str) -> &'a ModIr {
    if m.path == path {
        return m;
    }
    m.children
        .iter()
        .find(|c| path == c.path || path.starts_with(&format!("{}/", c.path)))
        .map(|c| module(c, path))
        .unwrap_or_else(|| panic!("no module {path}"))
}

fn handle(m: &ModIr) -> &HandleIr {
    m.handle
        .as_ref()
        .unwrap_or_else(|| panic!("{} has no handle", m.path))
}

fn fn_name(f: &HandleFn) -> String {
    f.name().to_string()
}

fn fn_names(m: &ModIr) -> Vec<String> {
    handle(m).fns.iter().map(fn_name).collect()
}

fn handle_fn<'a>(m: &'a ModIr, name: &str) -> &'a HandleFn {
    handle(m)
        .fns
        .iter()
        .find(|f| fn_name(f) == name)
        .unwrap_or_else(|| panic!("{} has no fn {name}", m.path))
}

fn method_ir(m: &ModIr, verb: apidoc::Verb) -> &ir::MethodIr {
    m.methods
        .iter()
        .find(|me| me.verb == verb)
        .unwrap_or_else(|| panic!("{} has no {verb:?}", m.path))
}

/// `(name, optional, how, value type)` of the params fields.
fn param_fields(m: &ir::MethodIr) -> Vec<(String, bool, &'static str, String)> {
    m.fields
        .iter()
        .map(|f| {
            (
                f.name.to_string(),
                f.optional,
                match f.how {
                    How::Field => "field",
                    How::Indexed => "indexed",
                },
                squash(&crate::emit::ty_tokens(&f.ty, crate::emit::Refs::Local).to_string()),
            )
        })
        .collect()
}

/// The contents of `pub mod name { .. }` inside `tokens`, searched depth-first.
fn find_mod(tokens: &TokenStream, name: &str) -> Option<TokenStream> {
    let tts: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, tt) in tts.iter().enumerate() {
        match (tt, tts.get(i + 1), tts.get(i + 2)) {
            (TokenTree::Ident(kw), Some(TokenTree::Ident(id)), Some(TokenTree::Group(g)))
                if kw == "mod" && id == name =>
            {
                return Some(g.stream());
            }
            (TokenTree::Group(g), _, _) => {
                if let Some(found) = find_mod(&g.stream(), name) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Naming
// ---------------------------------------------------------------------------------------------

#[test]
fn segments_become_snake_case_modules_and_accessors() {
    let roots = [node(
        "/cluster",
        &[],
        &[
            leaf("/cluster/get-fsinfo", &[get("{}", NULL)]),
            leaf("/cluster/forceStop", &[get("{}", NULL)]),
            leaf("/cluster/CSRFCheck", &[get("{}", NULL)]),
        ],
    )];
    let root = build_ok(&roots);
    let cluster = module(&root, "/cluster");
    // Children in path order (byte-wise: upper case first), whatever order the schema has.
    assert_eq!(
        fn_names(cluster),
        ["csrf_check", "force_stop", "get_fsinfo"]
    );
    let idents: Vec<String> = cluster
        .children
        .iter()
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(idents, ["csrf_check", "force_stop", "get_fsinfo"]);
    let out = expand(&roots);
    // The accessor keeps the wire segment.
    assert_has(
        &out,
        r#"pub fn get_fsinfo(&self) -> crate::api::cluster::get_fsinfo::Handle {
               crate::api::cluster::get_fsinfo::Handle(self.0.child("get-fsinfo")) }"#,
    );
    assert_has(&out, r#"self.0.child("forceStop")"#);
    assert_has(&out, "pub mod get_fsinfo {");
    assert_has(&out, r#"M::new(H::Get, "/cluster/get-fsinfo", "read", 1"#);
}

#[test]
fn keywords_become_raw_identifiers() {
    let roots = [
        leaf(
            "/in",
            &[get(
                r#"{"type": {"type": "string", "optional": 1},
                    "in": {"type": "integer", "optional": 1},
                    "self": {"type": "boolean", "optional": 1},
                    "kind": {"type": "string", "enum": ["type", "self"], "optional": 1}}"#,
                NULL,
            )],
        ),
        leaf("/self", &[get("{}", NULL)]),
    ];
    let root = build_ok(&roots);
    assert_eq!(fn_names(&root), ["r#in", "self_"]);
    let m = method_ir(module(&root, "/in"), apidoc::Verb::Get);
    let idents: Vec<String> = param_fields(m).into_iter().map(|f| f.0).collect();
    assert_eq!(idents, ["r#in", "kind", "self_", "r#type"]);
    let out = expand(&roots);
    assert_has(&out, "pub mod r#in {");
    assert_has(&out, "pub mod self_ {");
    assert_has(&out, "pub fn r#in(&self) -> crate::api::r#in::Handle");
    assert_has(
        &out,
        r#""type" r#type: ::std::option::Option<::std::string::String>"#,
    );
    assert_has(&out, "pub fn r#type(mut self, value:");
    assert_has(
        &out,
        "self.params_mut().r#type = ::std::option::Option::Some(value.into());",
    );
    // Variants are PascalCase, `Self` is suffixed.
    assert_has(
        &out,
        r#"Kind { Type = "type" doc "`type`", Self_ = "self" doc "`self`" }"#,
    );
}

#[test]
fn parameter_names_are_snake_case() {
    let roots = [leaf(
        "/a",
        &[get(
            r#"{"force-stop": {"type": "boolean", "optional": 1},
                "keepActive": {"type": "boolean", "optional": 1},
                "ip6": {"type": "string", "optional": 1}}"#,
            NULL,
        )],
    )];
    let root = build_ok(&roots);
    let idents: Vec<String> = param_fields(method_ir(module(&root, "/a"), apidoc::Verb::Get))
        .into_iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(idents, ["force_stop", "ip6", "keep_active"]);
    let out = expand(&roots);
    // The wire name stays as PVE spells it.
    assert_has(&out, r#""force-stop" force_stop"#);
    assert_has(&out, r#""keepActive" keep_active"#);
}

// ---------------------------------------------------------------------------------------------
// Path shapes
// ---------------------------------------------------------------------------------------------

fn collection() -> Vec<String> {
    vec![node(
        "/items",
        &[
            get("{}", r#"{"type": "array", "items": {"type": "object"}}"#),
            post(r#"{"id": {"type": "integer"}}"#, NULL),
        ],
        &[leaf(
            "/items/{id}",
            &[get(r#"{"id": {"type": "integer"}}"#, NULL)],
        )],
    )]
}

#[test]
fn a_collection_hangs_its_methods_on_the_parent() {
    let root = build_ok(&collection());
    assert_eq!(fn_names(&root), ["items", "get_items", "post_items"]);
    let items = module(&root, "/items");
    assert!(items.handle.is_none(), "a literal collection has no handle");
    match handle_fn(&root, "items") {
        HandleFn::Item { literal, param, .. } => {
            assert_eq!(literal.as_deref(), Some("items"));
            assert_eq!(param.name.to_string(), "id");
            assert!(param.integer, "`id` is declared an integer");
        }
        _ => panic!("items() is not an item accessor"),
    }
    match handle_fn(&root, "post_items") {
        HandleFn::Verb {
            suffix, required, ..
        } => {
            assert_eq!(suffix, "items");
            // `id` is the item's path parameter, not the collection's: it is a parameter here.
            assert!(matches!(required, ir::RequiredArgs::One(f) if f.wire == "id"));
        }
        _ => panic!("post_items() is not a verb"),
    }
    // The item has its own handle with `get`.
    assert_eq!(fn_names(module(&root, "/items/{id}")), ["get"]);

    let out = expand(&collection());
    assert_has(
        &out,
        r#"impl crate::Client {
            #[doc = "The item `/items/{id}`."]
            #[inline] pub fn items(&self, id: i64) -> crate::api::items::id::Handle {
                crate::api::items::id::Handle(crate::typed::PathHandle::root(self).child_param("items", &id))
            }"#,
    );
    assert_has(
        &out,
        r#"pub fn get_items(&self,) -> crate::api::items::get::Request {
            crate::typed::Request::new(
                crate::typed::PathHandle::root(self).child("items"),
                crate::api::items::get::Params::new())
        }"#,
    );
    // The endpoint knows it is called on the parent (Client) with a suffix, and its entry
    // in the catalogue (methods in the order of the walk), whose rules say `id` is a
    // required integer: a parameter of the collection's POST, the item's path parameter.
    assert_has(
        &out,
        r#"catalog 1 suffix "items" handle crate::Client, params Params"#,
    );
    assert_has(
        &out,
        r#"catalog 2 suffix "" handle crate::api::items::id::Handle, params Params"#,
    );
    assert_has(
        &out,
        "pub static R: [Rule; 1usize] = [Rule::new(Ty::Int, false)];",
    );
    assert_has(
        &out,
        r#"M::new(H::Post, "/items", "create", 1, &[p("id", 0, "", "<integer>", None)])
            .with_doc("Does create.", "<null>", None).allowing_tokens(),
        M::new(H::Get, "/items/{id}", "read", 1, &[p("id", 0, "", "<integer>", None).in_path()])"#,
    );
}

#[test]
fn a_param_under_a_param_is_an_accessor_on_the_parent_item() {
    let roots = [node(
        "/groups",
        &[get("{}", NULL)],
        &[node(
            "/groups/{group}",
            &[get(r#"{"group": {"type": "string"}}"#, NULL)],
            &[leaf(
                "/groups/{group}/{pos}",
                &[get(
                    r#"{"group": {"type": "string"}, "pos": {"type": "integer"}}"#,
                    NULL,
                )],
            )],
        )],
    )];
    let root = build_ok(&roots);
    let group = module(&root, "/groups/{group}");
    assert_eq!(fn_names(group), ["get", "pos"]);
    match handle_fn(group, "pos") {
        HandleFn::Item { literal, param, .. } => {
            assert_eq!(*literal, None);
            assert!(param.integer);
        }
        _ => panic!("pos() is not an item accessor"),
    }
    // `group` is a string: the accessor takes anything displayable.
    match handle_fn(&root, "groups") {
        HandleFn::Item { param, .. } => assert!(!param.integer),
        _ => panic!("groups() is not an item accessor"),
    }
    let out = expand(&roots);
    assert_has(
        &out,
        r#"pub fn pos(&self, pos: i64) -> crate::api::groups::group::pos::Handle {
            crate::api::groups::group::pos::Handle(self.0.param(&pos)) }"#,
    );
    assert_has(
        &out,
        "pub fn groups(&self, group: impl ::std::fmt::Display) -> crate::api::groups::group::Handle",
    );
    // Both path parameters are left out of the parameters; the catalogue has their rules.
    assert_has(
        &out,
        r#"catalog 2 suffix "" handle crate::api::groups::group::pos::Handle,
           params Params, response Response }
           #[doc = "This method takes no parameters."] pub type Params = crate::typed::NoParams;"#,
    );
    assert_has(
        &out,
        r#"M::new(H::Get, "/groups/{group}/{pos}", "read", 1, &[
            p("group", 0, "", "<string>", None).in_path(),
            p("pos", 1, "", "<integer>", None).in_path()])"#,
    );
    assert_has(
        &out,
        "[Rule::new(Ty::Str, false), Rule::new(Ty::Int, false)]",
    );
}

#[test]
fn a_path_param_type_comes_from_the_first_method_declaring_it() {
    // The item itself declares nothing; a grandchild declares `vmid` as an integer.
    let roots = [node(
        "/vms",
        &[],
        &[node(
            "/vms/{vmid}",
            &[],
            &[leaf(
                "/vms/{vmid}/status",
                &[get(r#"{"vmid": {"type": "integer"}}"#, NULL)],
            )],
        )],
    )];
    let root = build_ok(&roots);
    match handle_fn(&root, "vms") {
        HandleFn::Item { param, .. } => assert!(param.integer),
        _ => panic!("vms() is not an item accessor"),
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

const OPTIONALITY: &str = r#"{
    "req": {"type": "string"},
    "zero": {"type": "integer", "optional": 0},
    "one": {"type": "integer", "optional": 1},
    "text-one": {"type": "integer", "optional": "1"},
    "yes": {"type": "boolean", "optional": true},
    "net[n]": {"type": "string"},
    "node": {"type": "string"}
}"#;

#[test]
fn required_and_optional_parameters() {
    let roots = [node(
        "/nodes",
        &[],
        &[leaf("/nodes/{node}", &[post(OPTIONALITY, NULL)])],
    )];
    let root = build_ok(&roots);
    let m = method_ir(module(&root, "/nodes/{node}"), apidoc::Verb::Post);
    let fields: Vec<(String, bool, &str)> = param_fields(m)
        .into_iter()
        .map(|(i, o, h, _)| (i, o, h))
        .collect();
    assert_eq!(
        fields,
        [
            // `net[n]` is an indexed family, always optional
            ("nets".into(), true, "indexed"),
            ("one".into(), true, "field"),
            ("req".into(), false, "field"),
            ("text_one".into(), true, "field"),
            ("yes".into(), true, "field"),
            ("zero".into(), false, "field"),
        ]
    );
    let out = expand(&roots);
    // Two required parameters: named, as the fields of the method's `Required` struct.
    assert_has(
        &out,
        r#"pub fn post(&self, required: crate::api::nodes::node::post::Required)
            -> crate::api::nodes::node::post::Request {
            crate::typed::Request::new(self.0.child(""),
                crate::api::nodes::node::post::Params::new(required))"#,
    );
    assert_has(
        &out,
        r#"crate::typed::pve_required_struct! {
            #[doc = "The required parameters of `POST /nodes/{node}`: `req`, `zero`. Give them by name; the optional ones are setters of the request."]
            Required {
                #[doc = "`req` (the schema gives no description)."] "req" req: ::std::string::String,
                #[doc = "`zero` (the schema gives no description)."] "zero" zero: i64 } }"#,
    );
    // The parameters check with the rules of their method in the catalogue, where the
    // family is optional and `req` and `zero` are required.
    assert_has(
        &out,
        r#"Params rules 0 by Required {
            required { #[doc = "`req` (the schema gives no description)."] "req" req: ::std::string::String,
                       #[doc = "`zero` (the schema gives no description)."] "zero" zero: i64 }"#,
    );
    assert_has(&out, r#"p("net", 0, "", "<string>", None).indexed()"#);
    assert_has(&out, r#"p("req", 1, "", "<string>", None)"#);
    assert_has(&out, "Rule::new(Ty::Str, false)");
    assert_has(
        &out,
        r#""net" nets: ::std::collections::BTreeMap<u32, ::std::string::String>"#,
    );
    assert_has(&out, r#""text-one" text_one: ::std::option::Option<i64>"#);
    // Setters only for the optional ones; the family's takes an index.
    assert_has(
        &out,
        r#"pub fn nets(mut self, index: u32, value: impl ::std::convert::Into<::std::string::String>) -> Self {
               self.params_mut().nets.insert(index, value.into()); self }"#,
    );
    assert_has(
        &out,
        "pub fn yes(mut self, value: bool) -> Self { self.params_mut().yes = ::std::option::Option::Some(value); self }",
    );
    assert_lacks(&out, "pub fn req(mut self");
    assert_lacks(&out, "pub fn zero(mut self");
    // The path parameter `node` is not a parameter.
    assert_lacks(&out, r#""node" field"#);
}

#[test]
fn parameter_types() {
    let roots = [leaf(
        "/a",
        &[put(
            r#"{"s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"},
                "b": {"type": "boolean"}, "list": {"type": "array", "items": {"type": "integer"}},
                "bare-list": {"type": "array"}, "any": {}, "obj": {"type": "object"}}"#,
            NULL,
        )],
    )];
    let root = build_ok(&roots);
    let types: Vec<(String, String)> =
        param_fields(method_ir(module(&root, "/a"), apidoc::Verb::Put))
            .into_iter()
            .map(|(i, _, _, t)| (i, t))
            .collect();
    let t = |s: &str| squash(s);
    assert_eq!(
        types,
        [
            ("any".into(), t("::serde_json::Value")),
            ("b".into(), t("bool")),
            (
                "bare_list".into(),
                t("::std::vec::Vec<::serde_json::Value>")
            ),
            ("i".into(), t("i64")),
            ("list".into(), t("::std::vec::Vec<i64>")),
            ("n".into(), t("f64")),
            ("obj".into(), t("::serde_json::Value")),
            ("s".into(), t("::std::string::String")),
        ]
    );
}

#[test]
fn a_method_without_parameters_takes_no_params() {
    let roots = [leaf("/version", &[get("{}", STRING)])];
    let root = build_ok(&roots);
    let m = method_ir(module(&root, "/version"), apidoc::Verb::Get);
    assert!(m.fields.is_empty() && m.params.is_none());
    let out = expand(&roots);
    assert_has(
        &out,
        r#"#[doc = "This method takes no parameters."] pub type Params = crate::typed::NoParams;"#,
    );
    assert_lacks(&out, "pve_params_struct");
    // `parameters` missing altogether is the same.
    let bare = format!(
        r#"{{"path": "/version", "info": {{"GET": {{"name": "version", "returns": {STRING}}}}}}}"#
    );
    assert_has(
        &expand(&[bare]),
        "pub type Params = crate::typed::NoParams;",
    );
}

#[test]
fn secrets_are_secret() {
    let roots = [
        leaf(
            "/access/ticket",
            &[post(
                r#"{"username": {"type": "string"}, "password": {"type": "string"},
                    "otp": {"type": "string", "optional": 1}}"#,
                r#"{"type": "object", "properties": {"ticket": {"type": "string"},
                    "CSRFPreventionToken": {"type": "string"}, "username": {"type": "string"}}}"#,
            )],
        ),
        leaf(
            "/pending",
            &[get(
                r#"{"value": {"type": "string"}}"#,
                r#"{"type": "object", "properties": {"value": {"type": "string"}}}"#,
            )],
        ),
    ];
    let out = expand(&roots);
    assert_has(
        &out,
        r#"pub fn post(&self, required: crate::api::access::ticket::post::Required)"#,
    );
    assert_has(&out, r#""password" password: crate::Secret"#);
    // One required secret is positional, taken as text and kept as a secret.
    assert_has(
        &out,
        "pub fn get(&self, value: impl ::std::convert::Into<::std::string::String>)",
    );
    assert_has(&out, "Params::new(value.into())");
    assert_has(&out, r#""otp" otp: ::std::option::Option<crate::Secret>"#);
    assert_has(
        &out,
        "self.params_mut().otp = ::std::option::Option::Some(crate::Secret::new(value.into()));",
    );
    assert_has(&out, r#""ticket" ticket: crate::Secret"#);
    assert_has(
        &out,
        r#""CSRFPreventionToken" csrf_prevention_token: crate::Secret"#,
    );
    assert_has(&out, r#""username" username: ::std::string::String"#);
    // `value` is a secret only on the token path.
    assert_has(&out, r#""value" value: ::std::string::String"#);
    assert_lacks(&out, r#""value" value: crate::Secret"#);
}

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

#[test]
fn parameter_enums_are_closed_and_answer_enums_open() {
    let roots = [leaf(
        "/a",
        &[get(
            r#"{"mode": {"type": "string", "enum": ["fast", "slow", "fast"], "description": "How."},
                "level": {"type": "integer", "enum": [1, 2], "optional": 1}}"#,
            r#"{"type": "object", "properties": {"state": {"type": "string", "enum": ["up", "down"]}}}"#,
        )],
    )];
    let root = build_ok(&roots);
    let m = method_ir(module(&root, "/a"), apidoc::Verb::Get);
    let api = api_ok(&roots);
    let enums: Vec<(String, Vec<String>, bool)> = m
        .types
        .iter()
        .filter_map(|t| match api.types[t.key].canonical()?.1 {
            ir::TypeDef::Enum(e) => Some((
                t.name.clone(),
                e.values.iter().map(|v| v.wire.clone()).collect(),
                e.open,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        enums,
        [
            ("Level".into(), vec!["1".into(), "2".into()], false),
            // the duplicate value is listed once
            ("Mode".into(), vec!["fast".into(), "slow".into()], false),
            (
                "ResponseState".into(),
                vec!["up".into(), "down".into()],
                true
            ),
        ]
    );
    let out = expand(&roots);
    assert_has(
        &out,
        r#"crate::typed::pve_closed_enum! { #[doc = "How."] Mode { Fast = "fast" doc "`fast`", Slow = "slow" doc "`slow`" } }"#,
    );
    assert_has(
        &out,
        r#"pve_closed_enum! { #[doc = "Values of `level`."] Level { V1 = "1" doc "`1`", V2 = "2" doc "`2`" } }"#,
    );
    assert_has(
        &out,
        r#"crate::typed::pve_open_enum! {
            #[doc = "Values of `field `state` of Response`.\n\nOpen: a value a newer PVE adds arrives as `Unrecognized`."]
            ResponseState { Up = "up" doc "`up`", Down = "down" doc "`down`" } }"#,
    );
    // Inside the method module a type goes by its local name; the handle (elsewhere) names
    // its module.
    assert_has(&out, r#""mode" mode: Mode"#);
    assert_has(&out, "pub fn get(&self, mode: crate::api::a::get::Mode)");
    assert_has(&out, r#""state" state: ResponseState"#);
}

#[test]
fn an_answer_enum_value_named_like_the_catch_all_is_a_collision() {
    let roots = [leaf(
        "/a",
        &[get(
            "{}",
            r#"{"type": "string", "enum": ["ok", "unrecognized"]}"#,
        )],
    )];
    let err = build_err(&roots);
    assert_mentions_all(
        &err,
        &[
            "`Unrecognized`",
            "the catch-all variant",
            "value \"unrecognized\"",
        ],
    );
    // A closed (parameter) enum has no catch-all: the same value is fine there.
    build_ok(&[leaf(
        "/a",
        &[get(
            r#"{"state": {"type": "string", "enum": ["ok", "unrecognized"]}}"#,
            NULL,
        )],
    )]);
}

// ---------------------------------------------------------------------------------------------
// Collisions: hard errors naming both origins
// ---------------------------------------------------------------------------------------------

#[test]
fn colliding_segments_are_an_error() {
    // Under a path: two modules.
    let err = build_err(&[node(
        "/x",
        &[],
        &[
            leaf("/x/a-b", &[get("{}", NULL)]),
            leaf("/x/a_b", &[get("{}", NULL)]),
        ],
    )]);
    assert_mentions_all(&err, &["`a_b`", "path /x/a-b", "path /x/a_b"]);
    // At the top: two `Client` accessors.
    let err = build_err(&[
        leaf("/a-b", &[get("{}", NULL)]),
        leaf("/a_b", &[get("{}", NULL)]),
    ]);
    assert_mentions_all(&err, &["`a_b`", "/a-b", "/a_b", "Client"]);
}

#[test]
fn colliding_parameters_are_an_error() {
    let err = build_err(&[leaf(
        "/p",
        &[get(
            r#"{"x-y": {"type": "string"}, "x_y": {"type": "string"}}"#,
            NULL,
        )],
    )]);
    assert_mentions_all(
        &err,
        &[
            "parameters of GET /p",
            "`x_y`",
            "parameter `x-y`",
            "parameter `x_y`",
        ],
    );
}

#[test]
fn colliding_enum_values_are_an_error() {
    let err = build_err(&[leaf(
        "/p",
        &[get(
            r#"{"e": {"type": "string", "enum": ["a", "A"]}}"#,
            NULL,
        )],
    )]);
    assert_mentions_all(
        &err,
        &["variants of E in /p", "`A`", "value \"a\"", "value \"A\""],
    );
}

#[test]
fn an_answer_field_named_extra_is_an_error() {
    let err = build_err(&[leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "object", "properties": {"extra": {"type": "string"}}}"#,
        )],
    )]);
    assert_mentions_all(
        &err,
        &[
            "fields of Response in /p",
            "`extra`",
            "the map of unknown fields",
            "field `extra`",
        ],
    );
}

#[test]
fn colliding_answer_fields_are_an_error() {
    let err = build_err(&[leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "object", "properties": {"a-b": {"type": "string"}, "aB": {"type": "string"}}}"#,
        )],
    )]);
    assert_mentions_all(&err, &["`a_b`", "field `a-b`", "field `aB`"]);
}

#[test]
fn an_optional_parameter_shadowing_a_request_method_is_an_error() {
    for name in [
        "send",
        "params",
        "validate",
        "task",
        "into_future",
        "extra-param",
    ] {
        let err = build_err(&[leaf(
            "/p",
            &[get(
                &format!(r#"{{"{name}": {{"type": "string", "optional": 1}}}}"#),
                NULL,
            )],
        )]);
        assert_mentions_all(
            &err,
            &[
                "setters of GET /p",
                "a method of Request",
                &format!("parameter `{name}`"),
            ],
        );
    }
    // A required parameter gets no setter: no clash.
    build_ok(&[leaf("/p", &[get(r#"{"send": {"type": "string"}}"#, NULL)])]);
}

#[test]
fn an_optional_parameter_named_path_gets_a_setter() {
    // `Request` has `api_path`, not `path` (PVE has optional `path` parameters, e.g.
    // GET /access/permissions): a `path` setter shadows nothing.
    let out = expand(&[leaf(
        "/access/permissions",
        &[get(r#"{"path": {"type": "string", "optional": 1}}"#, NULL)],
    )]);
    assert_has(&out, "pub fn path(mut self, value:");
}

#[test]
fn a_child_named_like_a_verb_is_an_error() {
    // Module `get` (the child) and module `get` (the method).
    let err = build_err(&[node(
        "/a",
        &[get("{}", NULL)],
        &[leaf("/a/get", &[get("{}", NULL)])],
    )]);
    assert_mentions_all(&err, &["module of /a", "`get`", "path /a/get", "GET /a"]);
}

#[test]
fn a_child_named_like_a_collection_verb_is_an_error() {
    // `get_items` (GET /x/items, on the parent) and `get_items()` (the path /x/get_items).
    let err = build_err(&[node(
        "/x",
        &[],
        &[
            node(
                "/x/items",
                &[get("{}", NULL)],
                &[leaf("/x/items/{id}", &[get("{}", NULL)])],
            ),
            leaf("/x/get_items", &[get("{}", NULL)]),
        ],
    )]);
    assert_mentions_all(
        &err,
        &[
            "handle of /x",
            "`get_items`",
            "GET /x/items",
            "path /x/get_items",
        ],
    );
}

#[test]
fn a_parameter_enum_named_like_a_generated_type_is_an_error() {
    for (param, ty) in [("params", "Params"), ("endpoint", "Endpoint")] {
        let err = build_err(&[leaf(
            "/p",
            &[get(
                &format!(r#"{{"{param}": {{"type": "string", "enum": ["a"]}}}}"#),
                STRING,
            )],
        )]);
        assert_mentions_all(
            &err,
            &[
                "types of GET /p",
                &format!("`{ty}`"),
                &format!("the enum of `{param}`"),
            ],
        );
    }
}

#[test]
fn a_parameter_enum_named_response_is_an_error() {
    let result = build(&[leaf(
        "/p",
        &[get(
            r#"{"response": {"type": "string", "enum": ["a"]}}"#,
            STRING,
        )],
    )]);
    let err = result.expect_err("expected a generator error");
    assert_mentions_all(
        &err,
        &["types of GET /p", "`Response`", "the enum of `response`"],
    );
}

#[test]
fn nested_answer_type_names_that_collide_are_an_error() {
    // `foo-bar` and `foo`.`bar` would both be `ResponseFooBar`.
    let err = build_err(&[leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "object", "properties": {
                "foo-bar": {"type": "object", "properties": {"x": {"type": "string"}}},
                "foo": {"type": "object", "properties": {
                    "bar": {"type": "object", "properties": {"y": {"type": "string"}}}}}}}"#,
        )],
    )]);
    assert_mentions_all(
        &err,
        &[
            "`ResponseFooBar`",
            "field `foo-bar` of Response",
            "field `bar` of ResponseFoo",
        ],
    );
}

#[test]
fn a_top_level_path_named_like_a_client_method_gets_a_trailing_underscore() {
    let root = build_ok(&[leaf("/task", &[get("{}", NULL)])]);
    let names: Vec<String> = root
        .handle
        .as_ref()
        .expect("the root has Client's functions")
        .fns
        .iter()
        .map(|f| match f {
            HandleFn::Child { name, .. }
            | HandleFn::Item { name, .. }
            | HandleFn::Verb { name, .. } => name.to_string(),
        })
        .collect();
    assert_eq!(names, ["task_"]);
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

fn response_types(roots: &[String], path: &str) -> (String, Vec<String>) {
    let api = api_ok(roots);
    let m = method_ir(module(&api.root, path), apidoc::Verb::Get);
    let mut names: Vec<String> = m
        .types
        .iter()
        .filter(|t| t.name != "Params" && t.name != "Required")
        .map(|t| {
            let (local, group) = (&t.name, &api.types[t.key]);
            let (_, def) = group.canonical().expect("a site");
            let at = group.defined_at().expect("a site");
            if at.module != m.module || at.name != *local {
                return format!("use {}::{} as {local}", at.module, at.name);
            }
            match def {
                ir::TypeDef::Struct(_) => format!("struct {local}"),
                ir::TypeDef::Enum(e) => format!("enum {local} open={}", e.open),
                other => format!("{local}: {other:?}"),
            }
        })
        .collect();
    let response =
        squash(&crate::emit::ty_tokens(&m.response.ty, crate::emit::Refs::Local).to_string());
    if m.response.alias {
        names.push(format!("type Response = {response}"));
    }
    (
        if m.response.alias {
            "Response".into()
        } else {
            response
        },
        names,
    )
}

#[test]
fn nested_answer_objects_are_named_after_their_field() {
    let roots = [leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "array", "items": {"type": "object", "properties": {
                "cpu-info": {"type": "object", "properties": {"cores": {"type": "integer"}}},
                "disks": {"type": "array", "items": {"type": "object", "properties": {"size": {"type": "integer"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "object", "properties": {"v": {"type": "string"}}}},
                "state": {"type": "string", "enum": ["a", "b"], "optional": 1}}}}"#,
        )],
    )];
    let (response, types) = response_types(&roots, "/p");
    assert_eq!(response, "Response");
    assert_eq!(
        types,
        [
            "struct ResponseItemCpuInfo",
            "struct ResponseItemDisksItem",
            "struct ResponseItemLabelsValue",
            "enum ResponseItemState open=true",
            "struct ResponseItem",
            "type Response = ::std::vec::Vec<ResponseItem>",
        ]
    );
    let out = expand(&roots);
    assert_has(&out, r#""cpu-info" cpu_info: ResponseItemCpuInfo"#);
    assert_has(
        &out,
        r#""disks" disks: ::std::vec::Vec<ResponseItemDisksItem>"#,
    );
    assert_has(
        &out,
        r#""labels" labels: ::std::collections::BTreeMap<::std::string::String, ResponseItemLabelsValue>"#,
    );
    assert_has(
        &out,
        r#""state" state: ::std::option::Option<ResponseItemState>"#,
    );
    assert_has(&out, "crate::typed::pve_response_struct! {");
}

#[test]
fn an_object_answer_is_the_response_struct() {
    let roots = [leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "object", "description": "The thing.", "properties": {"n": {"type": "integer"}}}"#,
        )],
    )];
    let (response, types) = response_types(&roots, "/p");
    assert_eq!(response, "Response");
    assert_eq!(types, ["struct Response"]);
    let out = expand(&roots);
    assert_has(
        &out,
        r#"crate::typed::pve_response_struct! { #[doc = "The thing."] Response { fields {
               #[doc = "`n` (the schema gives no description)."] "n" n: i64 } families {} } }"#,
    );
    assert_has(&out, "response Response }");
}

#[test]
fn indexed_answer_fields_are_maps() {
    let roots = [leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "object", "properties": {"net[n]": {"type": "string"}, "net": {"type": "string", "optional": 1},
                "virtiofs[n]": {"type": "integer", "optional": 1}}}"#,
        )],
    )];
    let out = expand(&roots);
    assert_has(
        &out,
        r#""net" nets: ::std::collections::BTreeMap<u32, ::std::string::String>"#,
    );
    assert_has(
        &out,
        r#""net" net: ::std::option::Option<::std::string::String>"#,
    );
    assert_has(
        &out,
        r#""virtiofs" virtiofses: ::std::collections::BTreeMap<u32, i64>"#,
    );
}

#[test]
fn simple_answers_are_aliases() {
    for (returns, alias) in [
        (NULL, "()"),
        (STRING, "::std::string::String"),
        (
            r#"{"type": "string", "optional": 1}"#,
            "::std::option::Option<::std::string::String>",
        ),
        (r#"{"type": "integer"}"#, "i64"),
        (r#"{"type": "number"}"#, "f64"),
        (r#"{"type": "boolean"}"#, "bool"),
        (r#"{"type": "any"}"#, "::serde_json::Value"),
        (r#"{"type": "object"}"#, "::serde_json::Value"),
        (
            r#"{"type": "object", "properties": {}}"#,
            "::serde_json::Value",
        ),
        (
            r#"{"type": "object", "additionalProperties": {"type": "integer"}}"#,
            "::std::collections::BTreeMap<::std::string::String, i64>",
        ),
        (
            r#"{"type": "array", "items": {"type": "string"}}"#,
            "::std::vec::Vec<::std::string::String>",
        ),
    ] {
        let (response, types) = response_types(&[leaf("/p", &[get("{}", returns)])], "/p");
        assert_eq!(response, "Response", "{returns}");
        assert_eq!(
            types,
            [format!("type Response = {}", squash(alias))],
            "{returns}"
        );
    }
}

// Schema defects (see fixups.rs).

#[test]
fn an_answer_with_properties_but_no_type_is_a_struct() {
    let (response, types) = response_types(
        &[leaf(
            "/p",
            &[get(
                "{}",
                r#"{"properties": {"port": {"type": "integer"}}}"#,
            )],
        )],
        "/p",
    );
    assert_eq!(response, "Response");
    assert_eq!(types, ["struct Response"]);
}

#[test]
fn an_array_without_items_is_a_list_of_values() {
    let (_, types) = response_types(&[leaf("/p", &[get("{}", r#"{"type": "array"}"#)])], "/p");
    assert_eq!(
        types,
        ["type Response = ::std::vec::Vec<::serde_json::Value>"]
    );
    // Without `type` but with `items`: an array.
    let (_, types) = response_types(
        &[leaf(
            "/p",
            &[get("{}", r#"{"items": {"type": "integer"}}"#)],
        )],
        "/p",
    );
    assert_eq!(types, ["type Response = ::std::vec::Vec<i64>"]);
}

#[test]
fn an_enum_without_type_is_an_open_enum() {
    let roots = [leaf("/p", &[get("{}", r#"{"enum": ["a", "b"]}"#)])];
    let (response, types) = response_types(&roots, "/p");
    assert_eq!(response, "Response");
    assert_eq!(types, ["enum Response open=true"]);
    assert_has(&expand(&roots), r#"crate::typed::pve_open_enum! {"#);
    // Also as a field.
    let (_, types) = response_types(
        &[leaf(
            "/p",
            &[get(
                "{}",
                r#"{"type": "object", "properties": {"type": {"enum": ["x"]}}}"#,
            )],
        )],
        "/p",
    );
    assert_eq!(types, ["enum ResponseType open=true", "struct Response"]);
}

#[test]
fn untyped_fields_are_json_values() {
    let out = expand(&[leaf(
        "/p",
        &[get(
            "{}",
            r#"{"type": "object", "properties": {"any": {}, "cfg": {"type": "any"}}}"#,
        )],
    )]);
    assert_has(&out, r#""any" any: ::serde_json::Value"#);
    assert_has(&out, r#""cfg" cfg: ::serde_json::Value"#);
}

#[test]
fn an_empty_answer_schema_is_any_json_value() {
    let (_, types) = response_types(&[leaf("/p", &[get("{}", "{}")])], "/p");
    assert_eq!(types, ["type Response = ::serde_json::Value"]);
}

#[test]
fn an_optional_object_answer_is_an_optional_struct() {
    let (response, _) = response_types(
        &[leaf(
            "/p",
            &[get(
                "{}",
                r#"{"type": "object", "optional": 1, "properties": {"n": {"type": "integer"}}}"#,
            )],
        )],
        "/p",
    );
    assert_eq!(response, "Response");
}

// ---------------------------------------------------------------------------------------------
// Shared types
// ---------------------------------------------------------------------------------------------

fn sharing() -> Vec<String> {
    let params = r#"{"mode": {"type": "string", "enum": ["x", "y"]}, "q": {"type": "string", "optional": 1}}"#;
    let returns =
        r#"{"type": "object", "properties": {"state": {"type": "string", "enum": ["on", "off"]}}}"#;
    vec![
        leaf("/a", &[get(params, returns)]),
        leaf(
            "/b",
            &[get(
                r#"{"kind": {"type": "string", "enum": ["x", "y"]}}"#,
                returns,
            )],
        ),
        leaf("/c", &[get(params, returns)]),
    ]
}

#[test]
fn shared_types_are_defined_at_a_neutral_home_and_reexported() {
    let out = expand(&sharing());
    let api = api_ok(&sharing());
    let whole = emitter(&api, usize::MAX).module_contents(&api.root);
    // The sites /a, /b, /c are under no common path: the home is `api::shared`. Each name is
    // the module segments every site ends with (`get`) and the shortest local name.
    let shared = squash(
        &find_mod(&whole, "shared")
            .expect("module shared")
            .to_string(),
    );
    assert_has(&shared, "pve_closed_enum!");
    assert_has(&shared, "GetKind {");
    assert_has(&shared, "pve_params_struct!");
    assert_has(&shared, "GetParams rules");
    // A shared type names the types it uses by their homes.
    assert_has(
        &shared,
        r#""state" state: crate::api::shared::GetResponseState"#,
    );
    // Every site re-exports the home under its own name, the first site included.
    let a = squash(&find_mod(&whole, "a").expect("module a").to_string());
    assert_has(&a, "pub use crate::api::shared::GetKind as Mode;");
    assert_has(&a, "pub use crate::api::shared::GetParams as Params;");
    assert_has(
        &a,
        "pub use crate::api::shared::GetResponseState as ResponseState;",
    );
    assert_has(&a, "pub use crate::api::shared::GetResponse as Response;");
    assert_lacks(&a, "pve_closed_enum!");
    assert_has(&out, "pub use crate::api::shared::GetKind as Kind;");
    assert_has(&out, r#""kind" kind: Kind"#);
    assert_eq!(out.matches("pve_closed_enum!").count(), 1, "{out}");
    assert_eq!(out.matches("pve_open_enum!").count(), 1, "{out}");
    assert_eq!(out.matches("pve_response_struct!").count(), 1, "{out}");
    // The home's `GetParams` and `/b`'s own `Params` (one site: defined where it is).
    assert_eq!(out.matches("pve_params_struct!").count(), 2, "{out}");
    let b = squash(&find_mod(&whole, "b").expect("module b").to_string());
    assert_has(&b, "pve_params_struct!");
    // Setters still exist at the re-exporting site.
    let c = squash(&find_mod(&whole, "c").expect("module c").to_string());
    assert_has(&c, "pub fn q(mut self");
}

#[test]
fn a_home_says_it_is_shared_and_lists_its_sites() {
    let api = api_ok(&sharing());
    let key = method_ir(module(&api.root, "/b"), apidoc::Verb::Get)
        .types
        .iter()
        .find(|t| t.name == "Kind")
        .expect("Kind")
        .key;
    let home = api.types[key].home.as_ref().expect("a home");
    assert_eq!(home.site.module.to_string(), "api::shared");
    assert_eq!(home.site.name, "GetKind");
    let ir::TypeDef::Enum(e) = &home.def else {
        panic!("an enum: {:?}", home.def);
    };
    // The sites describe the values differently (`mode`, `kind`): the home says what it is.
    assert_eq!(
        e.doc,
        "Values of parameters of the endpoints below.\n\n\
         Shared: defined here once; each endpoint that uses it re-exports it under its own \
         name:\n\n\
         * [`GET /a`](crate::api::a::get): `Mode`\n\
         * [`GET /b`](crate::api::b::get): `Kind`\n\
         * [`GET /c`](crate::api::c::get): `Mode`"
    );
    // Docs all sites agree on are kept.
    let state = api
        .types
        .iter()
        .filter_map(|g| g.home.as_ref())
        .find(|h| h.site.name == "GetResponseState")
        .expect("GetResponseState");
    let ir::TypeDef::Enum(e) = &state.def else {
        panic!("an enum");
    };
    assert_eq!(
        e.doc,
        "Values of `field `state` of Response`.\n\n\
         Open: a value a newer PVE adds arrives as `Unrecognized`.\n\n\
         Shared: defined here once; each endpoint that uses it re-exports it under its own \
         name:\n\n\
         * [`GET /a`](crate::api::a::get): `ResponseState`\n\
         * [`GET /b`](crate::api::b::get): `ResponseState`\n\
         * [`GET /c`](crate::api::c::get): `ResponseState`"
    );
}

/// `GET` on `/p/a/cfg`, `/p/b/{id}/cfg` and `/p/c` with the same parameters, and `PUT` on
/// `/p/a/cfg` with the same enum parameter.
fn nested_sharing() -> Vec<String> {
    let params = r#"{"mode": {"type": "string", "enum": ["x", "y"]}, "q": {"type": "string", "optional": 1}}"#;
    let cfg = |path: &str, methods: &[(&str, String)]| leaf(path, methods);
    vec![node(
        "/p",
        &[],
        &[
            node(
                "/p/a",
                &[],
                &[cfg(
                    "/p/a/cfg",
                    &[
                        get(params, NULL),
                        put(r#"{"mode": {"type": "string", "enum": ["x", "y"]}}"#, NULL),
                    ],
                )],
            ),
            node(
                "/p/b",
                &[],
                &[node(
                    "/p/b/{id}",
                    &[get(r#"{"id": {"type": "integer"}}"#, NULL)],
                    &[cfg("/p/b/{id}/cfg", &[get(params, NULL)])],
                )],
            ),
            leaf("/p/c", &[get(r#"{"other": {"type": "string"}}"#, NULL)]),
        ],
    )]
}

#[test]
fn a_home_is_under_the_path_all_its_sites_share_and_named_by_their_common_end() {
    let api = api_ok(&nested_sharing());
    let homes: Vec<(String, String)> = api
        .types
        .iter()
        .filter_map(|g| g.home.as_ref())
        .map(|h| (h.site.module.to_string(), h.site.name.clone()))
        .collect();
    assert_eq!(
        homes,
        [
            // `Mode` of GET /p/a/cfg, PUT /p/a/cfg and GET /p/b/{id}/cfg: the verbs differ.
            ("api::p::shared".into(), "Mode".into()),
            // Both end with `cfg::get`.
            ("api::p::shared".into(), "CfgGetParams".into()),
        ]
    );
    let whole = squash(
        &emitter(&api, usize::MAX)
            .module_contents(&api.root)
            .to_string(),
    );
    assert_has(
        &whole,
        "pub use crate::api::p::shared::CfgGetParams as Params;",
    );
    assert_has(&whole, "pub use crate::api::p::shared::Mode as Mode;");
    assert_has(
        &whole,
        "#[doc = \"Types that endpoints under `/p` share: each is defined here once and \
         re-exported by every endpoint that uses it, under that endpoint's name for it.\"] \
         pub mod shared {",
    );
    // A module without homes has no `shared`.
    assert_eq!(whole.matches("pubmodshared").count(), 1, "{whole}");
}

/// Answers `[{x}]` at `/a` and `/b`, `[{y}]` at `/c` and `/d/e`: two shapes that would both
/// be `api::shared::GetResponseItem`.
fn tying() -> Vec<String> {
    let list = |field: &str| {
        format!(
            r#"{{"type": "array", "items": {{"type": "object", "properties": {{"{field}": {{"type": "string"}}}}}}}}"#
        )
    };
    vec![
        leaf("/a", &[get("{}", &list("x"))]),
        leaf("/b", &[get("{}", &list("x"))]),
        leaf("/c", &[get("{}", &list("y"))]),
        node("/d", &[], &[leaf("/d/e", &[get("{}", &list("y"))])]),
    ]
}

#[test]
fn types_that_would_share_a_home_path_are_named_after_their_shortest_site() {
    let api = api_ok(&tying());
    let mut homes: Vec<String> = api
        .types
        .iter()
        .filter_map(|g| g.home.as_ref())
        .map(|h| format!("{}::{}", h.site.module, h.site.name))
        .collect();
    homes.sort();
    // `/a` before `/b` (as short); `/c` before `/d/e` (shorter).
    assert_eq!(
        homes,
        [
            "api::shared::AGetResponseItem",
            "api::shared::CGetResponseItem"
        ]
    );
    // The order of the schema does not matter.
    let mut reversed = tying();
    reversed.reverse();
    let api_reversed = api_ok(&reversed);
    let mut homes_reversed: Vec<String> = api_reversed
        .types
        .iter()
        .filter_map(|g| g.home.as_ref())
        .map(|h| format!("{}::{}", h.site.module, h.site.name))
        .collect();
    homes_reversed.sort();
    assert_eq!(homes_reversed, homes);
    let out = expand(&tying());
    let whole = emitter(&api, usize::MAX).module_contents(&api.root);
    for (site, home) in [
        ("a", "AGetResponseItem"),
        ("b", "AGetResponseItem"),
        ("c", "CGetResponseItem"),
        ("e", "CGetResponseItem"),
    ] {
        let m = squash(&find_mod(&whole, site).expect("the site").to_string());
        assert_has(
            &m,
            &format!("pub use crate::api::shared::{home} as ResponseItem;"),
        );
    }
    assert_eq!(out.matches("pve_response_struct!").count(), 2, "{out}");
}

#[test]
fn a_home_path_taken_twice_even_after_the_tie_break_is_an_error() {
    // `AGetResponseItem` is the tie-broken name of `[{x}]` and the first choice of `[{z}]`,
    // shared by `/x/a` and `/y/a`.
    let z = r#"{"type": "array", "items": {"type": "object", "properties": {"z": {"type": "string"}}}}"#;
    let mut roots = tying();
    roots.push(node("/x", &[], &[leaf("/x/a", &[get("{}", z)])]));
    roots.push(node("/y", &[], &[leaf("/y/a", &[get("{}", z)])]));
    let err = build_err(&roots);
    assert_eq!(
        err,
        "name collision in types shared below api: `AGetResponseItem` would stand for both \
         the type of api::x::a::get::ResponseItem (2 sites) and the type of \
         api::a::get::ResponseItem (2 sites)"
    );
}

#[test]
fn a_path_named_shared_where_a_home_is_is_an_error() {
    let mut roots = sharing();
    roots.push(leaf("/shared", &[get("{}", NULL)]));
    let err = build_err(&roots);
    assert_eq!(
        err,
        "name collision in api: `shared` would stand for both the path /shared and the module \
         of the types shared below it"
    );
    // Without a home there, the path is an ordinary module.
    let out = expand(&[leaf("/shared", &[get("{}", NULL)])]);
    assert_has(&out, "pub mod shared {");
}

#[test]
fn a_shared_params_names_its_required_struct_at_its_home() {
    // `Params` of POST /x/a and /x/b (home `api::x::shared`); their `Required` also serves
    // POST /y (home `api::shared`), so the params' home imports it.
    let both = r#"{"p": {"type": "string"}, "q": {"type": "string"}}"#;
    let more = r#"{"p": {"type": "string"}, "q": {"type": "string"}, "o": {"type": "string", "optional": 1}}"#;
    let roots = vec![
        node(
            "/x",
            &[],
            &[
                leaf("/x/a", &[post(more, NULL)]),
                leaf("/x/b", &[post(more, NULL)]),
            ],
        ),
        leaf("/y", &[post(both, NULL)]),
    ];
    let api = api_ok(&roots);
    let whole = emitter(&api, usize::MAX).module_contents(&api.root);
    let x = find_mod(&whole, "x").expect("module x");
    let x_shared = squash(&find_mod(&x, "shared").expect("x's shared").to_string());
    assert_has(&x_shared, "use crate::api::shared::PostRequired;");
    assert_has(&x_shared, "PostParams rules");
    assert_has(&x_shared, "by PostRequired {");
    let out = expand(&roots);
    assert_has(
        &out,
        "pub use crate::api::shared::PostRequired as Required;",
    );
    assert_has(&out, "pub use crate::api::x::shared::PostParams as Params;");
    // Homes in one module need no import.
    let same = vec![
        leaf("/a", &[post(more, NULL)]),
        leaf("/b", &[post(more, NULL)]),
    ];
    let out = expand(&same);
    assert_has(&out, "by PostRequired {");
    assert_lacks(&out, "use crate::api::shared::PostRequired;");
}

#[test]
fn open_and_closed_enums_with_the_same_values_are_not_shared() {
    let out = expand(&[leaf(
        "/a",
        &[get(
            r#"{"state": {"type": "string", "enum": ["on", "off"]}}"#,
            r#"{"type": "string", "enum": ["on", "off"]}"#,
        )],
    )]);
    assert_has(
        &out,
        "pve_closed_enum! { #[doc = \"Values of `state`.\"] State {",
    );
    assert_has(&out, "pve_open_enum!");
    assert_lacks(&out, "pub use");
}

/// `roots` as the one schema file of an invocation.
fn files(roots: &[String]) -> Vec<crate::generate::SchemaFile> {
    vec![crate::generate::SchemaFile {
        path: PathBuf::from("/nowhere/schema.json"),
        label: Label::custom("schema"),
        tree: std::sync::Arc::new(tree(roots)),
        json: "[]".into(),
        supplement: None,
    }]
}

#[test]
fn a_sub_invocation_matches_the_inline_module() {
    // What `api!(schema, "/c")` expands to is what the whole API inlines for `/c`: both
    // come from one build of the whole API, with the same homes.
    let files = files(&sharing());
    let args = ["schema.json".to_owned()];
    let whole = crate::generate::invocation(&files, &args, None).expect("generates");
    for (path, name) in [("/a", "a"), ("/b", "b"), ("/c", "c")] {
        let inline = find_mod(&whole, name).expect("inline module").to_string();
        let alone = crate::generate::invocation(&files, &args, Some(path)).expect("generates");
        assert_eq!(inline, alone.to_string(), "{path}");
    }
}

#[test]
fn a_sub_invocation_through_generate() {
    let files = files(&sharing());
    let args = ["schema.json".to_owned()];
    let whole = crate::generate::invocation(&files, &args, None).expect("generates");
    let whole_text = squash(&whole.to_string());
    assert_has(
        &whole_text,
        r#"const _: &[u8] = include_bytes!("/nowhere/schema.json");"#,
    );
    assert_has(
        &whole_text,
        r#"pub const PVE_VERSIONS: &[&str] = &["schema"];"#,
    );
    let err =
        crate::generate::invocation(&files, &args, Some("/no/such/path")).expect_err("an error");
    assert_eq!(err, "the schema has no path /no/such/path");
}

// ---------------------------------------------------------------------------------------------
// Malformed schemas: errors, not panics
// ---------------------------------------------------------------------------------------------

fn parse_err(text: &str) -> String {
    let json = crate::json::parse(text).expect("valid JSON");
    match apidoc::parse(&json) {
        Ok(tree) => panic!("accepted: {tree:?}"),
        Err(e) => e,
    }
}

#[test]
fn malformed_schemas_are_errors() {
    assert!(parse_err(r#"{"path": "/a"}"#).contains("JSON array"));
    assert!(parse_err("[]").contains("no paths"));
    assert!(parse_err(r#"["/a"]"#).contains("not an object"));
    assert!(parse_err(r#"[{"text": "a", "info": {}}]"#).contains("no `path`"));
    assert!(parse_err(r#"[{"path": 7}]"#).contains("no `path`"));
    assert!(parse_err(r#"[{"path": "/a/"}]"#).contains("empty segment"));
    assert!(parse_err(r#"[{"path": ""}]"#).contains("empty segment"));
    assert_eq!(
        parse_err(r#"[{"path": "/a", "children": [{"path": "/b/c"}]}]"#),
        "/b/c is listed under /a"
    );
    // A grandchild listed one level too high.
    assert_eq!(
        parse_err(r#"[{"path": "/a", "children": [{"path": "/a/b/c"}]}]"#),
        "/a/b/c is listed under /a"
    );
    // A child without a path, deeper down.
    assert!(parse_err(r#"[{"path": "/a", "children": [{"text": "b"}]}]"#).contains("no `path`"));
    assert_eq!(
        parse_err(r#"[{"path": "/a", "info": {"GET": {"description": "x"}}}]"#),
        "GET /a: method has no `name`"
    );
    assert_eq!(
        parse_err(r#"[{"path": "/a", "info": {"POST": {"name": 1}}}]"#),
        "POST /a: method has no `name`"
    );
    assert_eq!(
        parse_err(r#"[{"path": "/a", "info": {"PUT": []}}]"#),
        "PUT /a: method info is not an object"
    );
}

#[test]
fn odd_but_valid_schema_shapes_are_tolerated() {
    // Non-object parameters/returns/properties, unknown verbs, non-array children.
    let t = tree(&[
        r#"{"path": "/a", "info": {"GET": {"name": "a", "parameters": 3, "returns": "x"},
            "PATCH": {"name": "p"}}, "children": {}}"#
            .to_owned(),
        r#"{"path": "/b", "info": {"GET": {"name": "b", "parameters": {"properties": []},
            "returns": {"type": "object", "properties": 1}}}}"#
            .to_owned(),
    ]);
    let merged = crate::merge::merge(&[&t]);
    let api = resolve::build(
        &merged,
        Versions::new(vec![Label::custom("t")]).expect("versions"),
    )
    .expect("generates");
    assert_eq!(api.root.children.len(), 2);
    assert_eq!(module(&api.root, "/a").methods.len(), 1);
}

#[test]
fn malformed_json_is_an_error() {
    for bad in ["", "[", r#"[{"path": "/a",}]"#, "[{\"path\": \"/a\"}] x"] {
        assert!(crate::json::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn load_reports_bad_files_with_their_path() {
    let dir = std::env::temp_dir().join(format!("proxmoxia-macros-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let check = |name: &str, text: &[u8], expected: &str| {
        let file = dir.join(name);
        std::fs::write(&file, text).expect("write");
        let err = crate::load::load(&file, &Label::custom("x"), None).expect_err("an error");
        assert!(err.starts_with(&file.display().to_string()), "{err}");
        assert!(err.contains(expected), "{err}");
    };
    check("broken.json", b"[{\"path\": ", "invalid JSON at line 1");
    check("object.json", b"{}", "JSON array");
    check("latin1.json", b"[\"\xe9\"]", "not UTF-8");
    check(
        "orphan.json",
        br#"[{"path": "/a", "children": [{"path": "/b"}]}]"#,
        "/b is listed under /a",
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        crate::load::load(
            Path::new("/nonexistent/proxmoxia/schema.json"),
            &Label::custom("x"),
            None
        )
        .expect_err("an error")
        .contains("/nonexistent/proxmoxia/schema.json")
    );
}

// ---------------------------------------------------------------------------------------------
// Token counting and splitting
// ---------------------------------------------------------------------------------------------

#[test]
fn count_tokens_counts_group_delimiters() {
    assert_eq!(count_tokens(&TokenStream::new()), 0);
    assert_eq!(count_tokens(&quote!(a)), 1);
    // a, ( b c ), [ d ], "s", ::
    assert_eq!(count_tokens(&quote!(a (b c) [d] "s" ::)), 1 + 4 + 3 + 1 + 2);
    assert_eq!(count_tokens(&quote!({ {} })), 4);
    // Raw identifiers and lifetimes: one ident; a lifetime is a punct and an ident.
    assert_eq!(count_tokens(&quote!(r#in 'a)), 3);
}

fn deep() -> Vec<String> {
    let big_params = r#"{"p1": {"type": "string", "optional": 1}, "p2": {"type": "string", "optional": 1},
        "p3": {"type": "string", "optional": 1}, "p4": {"type": "string", "optional": 1}}"#;
    vec![
        node(
            "/a",
            &[get("{}", NULL)],
            &[node(
                "/a/b",
                &[get("{}", NULL)],
                &[leaf("/a/b/c", &[get(big_params, NULL)])],
            )],
        ),
        leaf("/small", &[get("{}", NULL)]),
    ]
}

#[test]
fn a_large_budget_splits_nothing() {
    let api = api_ok(&deep());
    let e = emitter(&api, usize::MAX);
    let out = e.module_contents(&api.root);
    assert!(e.split.borrow().is_empty());
    assert_lacks(&squash(&out.to_string()), "proxmoxia_macros::api!");
}

/// `/a` (with a child) is larger than `/small`; neither has a child that is large alone.
fn two_children() -> Vec<String> {
    let optional = |names: &[&str]| {
        let fields: Vec<String> = names
            .iter()
            .map(|n| format!(r#""{n}": {{"type": "string", "optional": 1}}"#))
            .collect();
        format!("{{{}}}", fields.join(", "))
    };
    vec![
        node(
            "/a",
            &[get(&optional(&["p1", "p2", "p3", "p4", "p5"]), NULL)],
            &[leaf("/a/b", &[get("{}", NULL)])],
        ),
        leaf("/small", &[get(&optional(&["q1", "q2"]), NULL)]),
    ]
}

#[test]
fn over_budget_the_largest_child_becomes_a_nested_invocation() {
    let api = api_ok(&two_children());
    let (root, a) = (&api.root, module(&api.root, "/a"));
    let a_alone = count_tokens(&emitter(&api, usize::MAX).module_contents(a));
    let full = count_tokens(&emitter(&api, usize::MAX).module_contents(root));
    // Room for `/a` alone (its own invocation), not for everything.
    let budget = a_alone + 10;
    assert!(
        full > budget + 50,
        "the fixture is too small: {full} vs {budget}"
    );

    let e = emitter(&api, budget);
    let out = e.module_contents(root);
    let text = squash(&out.to_string());
    assert_has(
        &text,
        r#"#[doc = "`/a`"] pub mod a { ::proxmoxia_macros::api!(["schema.json"], "/a"); }"#,
    );
    assert_lacks(&text, r#"api!(["schema.json"], "/small")"#);
    assert_has(&text, "pub mod small { crate::typed::pve_handle!(");
    assert_eq!(*e.split.borrow(), ["/a"]);
    assert!(count_tokens(&out) <= budget);
    // The nested invocation, generated as `api!(schema, "/a")` would, fits: no further split.
    let nested = emitter(&api, budget);
    let nested_out = nested.module_contents(a);
    assert!(nested.split.borrow().is_empty());
    assert_eq!(count_tokens(&nested_out), a_alone);
}

#[test]
fn an_output_over_budget_is_split() {
    let api = api_ok(&deep());
    let full = count_tokens(&emitter(&api, usize::MAX).module_contents(&api.root));
    let budget = full - 1;
    let e = emitter(&api, budget);
    let n = count_tokens(&e.module_contents(&api.root));
    assert!(n <= budget, "{n} tokens for a budget of {budget}");
}

#[test]
fn a_tiny_budget_splits_every_child() {
    let api = api_ok(&deep());
    let e = emitter(&api, 1);
    let out = squash(&e.module_contents(&api.root).to_string());
    assert_has(
        &out,
        r#"pub mod a { ::proxmoxia_macros::api!(["schema.json"], "/a"); }"#,
    );
    assert_has(
        &out,
        r#"pub mod small { ::proxmoxia_macros::api!(["schema.json"], "/small"); }"#,
    );
    // The handle stays: it is the root's own.
    assert_has(&out, "impl crate::Client {");
    // Every path in the output is in `split`.
    let split = e.split.borrow();
    assert!(split.contains(&"/a".to_owned()) && split.contains(&"/small".to_owned()));
    // The nested invocation of `/a` splits `/a/b` in turn.
    let nested = emitter(&api, 1);
    let nested_out = squash(&nested.module_contents(module(&api.root, "/a")).to_string());
    assert_has(
        &nested_out,
        r#"pub mod b { ::proxmoxia_macros::api!(["schema.json"], "/a/b"); }"#,
    );
    assert_has(&nested_out, r#"pub mod get {"#);
}

#[test]
fn split_lists_exactly_the_invocations_in_the_output() {
    let api = api_ok(&deep());
    let e = emitter(&api, 1);
    let out = squash(&e.module_contents(&api.root).to_string());
    let in_output: Vec<&str> = ["/a", "/a/b", "/a/b/c", "/small"]
        .into_iter()
        .filter(|p| out.contains(&format!(r#"api!(["schema.json"],"{p}")"#)))
        .collect();
    assert_eq!(*e.split.borrow(), in_output);
}

// ---------------------------------------------------------------------------------------------
// Snapshots of real paths of the vendored schema
// ---------------------------------------------------------------------------------------------

/// The handle and method modules of `path` as the whole API over the vendored versions
/// generates them (shared types re-exported from their homes), without child
/// modules, pretty-printed.
fn real_path(path: &str) -> String {
    let built = crate::generate::vendored();
    let mut m = module(&built.api.root, path).clone();
    if !m.children.is_empty() {
        // Accessors of children would point at modules that are not printed.
        m.children.clear();
        m.handle = None;
    }
    pretty(emitter(&built.api, usize::MAX).module_contents(&m))
}

fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the output parses as Rust items");
    prettyplease::unparse(&file)
}

#[test]
fn snapshot_get_version() {
    insta::assert_snapshot!("get_version", real_path("/version"));
}

#[test]
fn snapshot_post_qemu_status_start() {
    insta::assert_snapshot!(
        "post_qemu_status_start",
        real_path("/nodes/{node}/qemu/{vmid}/status/start")
    );
}

#[test]
fn snapshot_firewall_group_rule() {
    insta::assert_snapshot!(
        "firewall_group_rule",
        real_path("/cluster/firewall/groups/{group}/{pos}")
    );
}

#[test]
fn snapshot_get_node_tasks() {
    insta::assert_snapshot!("get_node_tasks", real_path("/nodes/{node}/tasks"));
}

#[test]
fn snapshot_shared_qemu_vmid() {
    // The homes of types shared by endpoints under /nodes/{node}/qemu/{vmid} only.
    let built = crate::generate::vendored();
    let m = module(&built.api.root, "/nodes/{node}/qemu/{vmid}");
    insta::assert_snapshot!(
        "shared_qemu_vmid",
        pretty(emitter(&built.api, usize::MAX).shared_module(m))
    );
}

#[test]
fn the_real_schema_generates_parseable_rust() {
    // The whole API's top level (children split off) parses as items.
    let built = crate::generate::vendored();
    let e = emitter(&built.api, 1);
    let tokens = e.module_contents(&built.api.root);
    let file: syn::File = syn::parse2(tokens).expect("parses");
    assert!(file.items.len() >= 6);
    assert!(e.split.borrow().contains(&"/nodes".to_owned()));
}

/// A key added to a property-string format in the schema reaches every reader from there:
/// the typed struct gains its field and the catalogue's format (which validation, the
/// embedded fake and the command line read) its key and rule. Nothing else is written by
/// hand: the schema is the one place a rule changes.
#[test]
fn a_new_property_string_key_reaches_the_catalogue_from_the_schema_alone() {
    let with = |extra: &str| {
        let params = format!(
            r#"{{"net": {{"type": "string", "optional": 1, "format": {{
                "model": {{"type": "string", "default_key": 1}},
                "bridge": {{"type": "string", "optional": 1}}{extra}}}}}}}"#
        );
        expand(&[leaf("/items", &[post(&params, NULL)])])
    };
    let before = with("");
    let after =
        with(r#", "tag": {"type": "integer", "optional": 1, "minimum": 1, "maximum": 4094}"#);
    assert!(!before.contains(r#"k("tag""#), "{before}");
    // The catalogue: the format gains the key, sorted, with its own (interned) rule.
    assert_has(
        &after,
        r#"F::new("ItemsNet", Some("model"), &[k("bridge", 0), k("model", 1), k("tag", 2)])"#,
    );
    assert_has(
        &after,
        "Rule::new(Ty::Int, true).with_min(1.0).with_max(4094.0)",
    );
    // The typed struct: its field, with the same key.
    assert_has(&after, r#""tag" tag: i64"#);
}
