//! Schema -> intermediate representation: every name decided, every type resolved, every
//! collision reported. Emitting tokens from this is mechanical (see `emit`).
//!
//! The naming rule (documented in the README):
//! * a path is a module, `/nodes/{node}/qemu` -> `api::nodes::node::qemu`; each method has its
//!   own module inside (`get`, `post`, `put`, `delete`) with `Params`, `Response` and the
//!   `Endpoint` marker;
//! * a literal segment `l` with a `{p}` child: `l(p)` returns the item's handle and `l`'s own
//!   methods are `{verb}_{l}` on the parent (`client.get_nodes()`, `node.post_qemu(..)`);
//! * another literal segment `l`: `l()` returns its handle, whose methods are `get/post/put/delete`;
//! * `{q}` under `{p}`: `.q(id)` on `p`'s handle.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::docs;
use crate::fixups;
use crate::names::{self, Scope};
use crate::schema::{Method, Node, Schema, Segment, Verb};

/// Request methods a parameter setter must not shadow.
const REQUEST_METHODS: &[&str] = &[
    "new",
    "from_params",
    "params",
    "params_mut",
    "with_params",
    "extra_param",
    "api_path",
    "validate",
    "to_form",
    "send",
    "send_json",
    "task",
    "maybe_task",
    "into_future",
];

/// Methods `Client` has by hand; a top-level path must not take their names.
const CLIENT_METHODS: &[&str] = &[
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
    "clone",
    "fmt",
];

/// One module: a path of the API (or the root, `crate::api`).
pub struct ModIr {
    /// The module name (unused for the root).
    pub ident: Ident,
    /// The path template (`""` for the root).
    pub path: String,
    /// `crate::api::a::b` for this module.
    pub mod_path: TokenStream,
    /// The handle type of this path, if it has one (the root's is `Client`).
    pub handle: Option<HandleIr>,
    pub methods: Vec<MethodIr>,
    pub children: Vec<ModIr>,
}

/// A handle type and its methods.
pub struct HandleIr {
    pub doc: String,
    pub fns: Vec<HandleFn>,
}

/// A method of a handle.
pub enum HandleFn {
    /// `status()` -> the child's handle.
    Child {
        name: Ident,
        doc: String,
        segment: String,
        target: TokenStream,
    },
    /// `qemu(vmid)` -> the item's handle (`literal` is `None` for `{q}` under `{p}`).
    Item {
        name: Ident,
        doc: String,
        literal: Option<String>,
        param: PathParam,
        target: TokenStream,
    },
    /// `get()`, `post_qemu(..)`: builds a request.
    Verb {
        name: Ident,
        doc: String,
        alias: String,
        /// `crate::api::...::get` (the method module).
        method_mod: TokenStream,
        /// Segment appended to the handle's path (`qemu` for `post_qemu`), or empty.
        suffix: String,
        required: Vec<FieldIr>,
    },
}

/// The argument of an item accessor.
pub struct PathParam {
    pub ident: Ident,
    pub integer: bool,
}

/// One method of one path.
pub struct MethodIr {
    pub verb: Verb,
    pub ident: Ident,
    pub path: String,
    pub name: String,
    pub doc: String,
    pub handle_ty: TokenStream,
    pub suffix: String,
    pub params: StructIr,
    /// Where an identical params struct lives (`NoParams` when there are none), if not here.
    pub params_shared: Option<TokenStream>,
    /// The parameters' rules, as JSON for `crate::typed::rules::params`.
    pub rules: String,
    /// Every parameter's rule (types, enums, path parameters), for the embedded fake.
    pub all_rules: String,
    /// The path parameters' rules (types included): the handles take any value.
    pub path_rules: String,
    pub response: TokenStream,
    pub types: Vec<TypeIr>,
}

/// A struct to generate.
pub struct StructIr {
    pub ident: Ident,
    pub doc: String,
    pub fields: Vec<FieldIr>,
}

/// How a field travels.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// One key.
    Field,
    /// A family `name0`, `name1`, ... (`BTreeMap<u32, T>`).
    Indexed,
}

/// A field of a struct.
#[derive(Clone)]
pub struct FieldIr {
    pub wire: String,
    pub ident: Ident,
    pub how: How,
    pub doc: String,
    pub optional: bool,
    /// The value type (without `Option`/`BTreeMap`).
    pub value_ty: TokenStream,
    /// How a setter takes the value.
    pub arg: ArgKind,
}

/// How a setter or positional argument takes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// `impl Into<String>`
    Text,
    /// `impl Into<String>`, stored as `Secret`
    Secret,
    /// the value type itself
    Plain,
    /// `impl IntoIterator<Item = impl Into<T>>` for a `List<T>`
    List,
}

impl FieldIr {
    /// The field's full type.
    pub fn ty(&self) -> TokenStream {
        let v = &self.value_ty;
        match (self.how, self.optional) {
            (How::Indexed, _) => quote!(::std::collections::BTreeMap<u32, #v>),
            (How::Field, true) => quote!(::std::option::Option<#v>),
            (How::Field, false) => v.clone(),
        }
    }

    /// The argument type of a setter or positional parameter.
    pub fn arg_ty(&self) -> TokenStream {
        match self.arg {
            ArgKind::Text | ArgKind::Secret => {
                quote!(impl ::std::convert::Into<::std::string::String>)
            }
            ArgKind::Plain => self.value_ty.clone(),
            ArgKind::List => {
                let item = list_item(&self.value_ty);
                quote!(impl ::std::iter::IntoIterator<Item = impl ::std::convert::Into<#item>>)
            }
        }
    }

    /// Converts argument `v` into the value type.
    pub fn arg_into(&self, v: &Ident) -> TokenStream {
        match self.arg {
            ArgKind::Text => quote!(#v.into()),
            ArgKind::Secret => quote!(crate::Secret::new(#v.into())),
            ArgKind::Plain => quote!(#v),
            ArgKind::List => quote!(#v.into_iter().map(::std::convert::Into::into).collect()),
        }
    }
}

/// `T` of `crate::typed::List<T>`.
fn list_item(list: &TokenStream) -> TokenStream {
    if list.to_string().contains("i64") {
        quote!(i64)
    } else {
        quote!(::std::string::String)
    }
}

/// The Rust type of a `-list` format's items: integers for VM ids, text otherwise.
fn list_type(format: &str) -> TokenStream {
    if format == "pve-vmid-list" {
        quote!(crate::typed::List<i64>)
    } else {
        quote!(crate::typed::List<::std::string::String>)
    }
}

/// A type in a method module.
pub enum TypeIr {
    Response(StructIr),
    Enum {
        ident: Ident,
        doc: String,
        values: Vec<(Ident, String)>,
        open: bool,
    },
    Alias {
        ident: Ident,
        doc: String,
        ty: TokenStream,
    },
    /// An identical type defined elsewhere, re-exported under the local name.
    Reexport {
        path: TokenStream,
        local: Ident,
    },
}

/// The module path of an API path template, from `crate::api`.
pub fn module_segments(path: &str) -> Vec<Ident> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| names::snake_ident(s.trim_start_matches('{').trim_end_matches('}')))
        .collect()
}

pub fn module_path(path: &str) -> TokenStream {
    let segs = module_segments(path);
    quote!(crate::api #(:: #segs)*)
}

/// Builds the module of `node` (and its subtree).
/// Identical types share one definition: the first site defines it, the others re-export
/// it under their own name. Filled by a first pass over the whole tree, then read; both
/// passes walk in the same order, so they make the same decisions.
#[derive(Default)]
pub struct Registry {
    pub(crate) recording: bool,
    types: std::collections::HashMap<String, (String, String)>,
    /// Property-string formats, in order of first use (emitted as `crate::api::formats`).
    pub(crate) formats: Vec<crate::props::FormatIr>,
    pub(crate) format_index: std::collections::HashMap<String, usize>,
    pub(crate) format_scope: Scope,
    /// The typetext of each named format, from the parameters that give one: answers name
    /// formats (`backup-fleecing`) without it.
    pub(crate) typetexts: std::collections::HashMap<String, String>,
    /// The format objects of named formats that [`fixups::NAMED_FORMAT_SOURCES`] defines
    /// by a parameter's spelled-out format (`pve-qm-ide` is `ide[n]`'s).
    pub(crate) sourced_formats: std::collections::HashMap<String, crate::json::Map>,
}

/// The format objects of [`fixups::NAMED_FORMAT_SOURCES`], from the first parameter of that
/// name with an object format.
fn sourced_formats(
    tree: &crate::schema::Tree,
) -> std::collections::HashMap<String, crate::json::Map> {
    fn walk(nodes: &[Node], out: &mut std::collections::HashMap<String, crate::json::Map>) {
        for node in nodes {
            for m in &node.methods {
                for (param, schema) in &m.params {
                    let Some(crate::schema::Format::Object(object)) = schema.format() else {
                        continue;
                    };
                    for (format, source) in fixups::NAMED_FORMAT_SOURCES {
                        if source == param {
                            out.entry((*format).to_owned())
                                .or_insert_with(|| object.clone());
                        }
                    }
                }
            }
            walk(&node.children, out);
        }
    }
    let mut out = std::collections::HashMap::new();
    walk(&tree.roots, &mut out);
    out
}

/// Named format -> typetext, from every parameter of the schema that has both.
fn named_typetexts(tree: &crate::schema::Tree) -> std::collections::HashMap<String, String> {
    fn walk(nodes: &[Node], out: &mut std::collections::HashMap<String, String>) {
        for node in nodes {
            for m in &node.methods {
                for (_, schema) in &m.params {
                    if let (Some(crate::schema::Format::Named(f)), Some(t)) =
                        (schema.format(), schema.str("typetext"))
                    {
                        out.entry(f.to_owned()).or_insert_with(|| t.to_owned());
                    }
                }
            }
            walk(&node.children, out);
        }
    }
    let mut out = std::collections::HashMap::new();
    walk(&tree.roots, &mut out);
    out
}

impl Registry {
    /// A registry of every type of the schema, and the root module built while filling it
    /// (the same as a build from the finished registry, as both see the same first sites).
    pub fn of(tree: &crate::schema::Tree) -> Result<(Registry, ModIr), String> {
        let mut reg = Registry {
            recording: true,
            format_scope: Scope::new("the module api::formats"),
            ..Registry::default()
        };
        reg.typetexts = named_typetexts(tree);
        reg.sourced_formats = sourced_formats(tree);
        let root = build_root(tree, &mut reg)?;
        reg.recording = false;
        Ok((reg, root))
    }

    /// The format object (apidoc's shape) of the named format `name` as `schema` uses it:
    /// a parameter's spelled-out format where the fix-ups name one, else read from the
    /// typetext (the parameter's, or another parameter's of the same format).
    pub(crate) fn named_format(&self, name: &str, schema: &Schema) -> Option<crate::json::Map> {
        if let Some(object) = self.sourced_formats.get(name) {
            return Some(object.clone());
        }
        let typetext = schema
            .str("typetext")
            .or_else(|| self.typetexts.get(name).map(String::as_str))?;
        fixups::typetext_format(name, typetext)
    }

    /// Where the type with this shape is defined, if not at (`module`, `name`).
    fn canonical(&mut self, shape: String, module: &str, name: &str) -> Option<(String, String)> {
        let here = (module.to_owned(), name.to_owned());
        let canon = if self.recording {
            self.types
                .entry(shape)
                .or_insert_with(|| here.clone())
                .clone()
        } else {
            self.types.get(&shape)?.clone()
        };
        (canon != here).then_some(canon)
    }
}

/// `module::Name` as tokens.
fn type_path(module: &str, name: &str) -> Result<TokenStream, String> {
    let module: TokenStream = module
        .parse()
        .map_err(|_| format!("internal: bad module path {module}"))?;
    let name = names::ident(name);
    Ok(quote!(#module::#name))
}

pub fn build_module(node: &Node, reg: &mut Registry) -> Result<ModIr, String> {
    let is_collection = node.param_child().is_some();
    let literal = matches!(node.segment, Segment::Literal(_));
    // A literal collection (`/nodes`) has no handle: its methods hang on the parent.
    let own_handle = !(literal && is_collection);
    // Own methods first: a type shared with a sub-path is named after the first, shorter
    // path (`POST /nodes/{node}/qemu` names `QemuNet` before `/qemu/{vmid}/config` uses it).
    let mut methods = Vec::new();
    let mut types_scope = Scope::new(format!("module of {}", node.path));
    for method in &node.methods {
        let handle_ty = if own_handle {
            let p = module_path(&node.path);
            quote!(#p::Handle)
        } else {
            parent_handle_ty(&node.path)
        };
        let m = build_method(node, method, handle_ty, !own_handle, reg)?;
        types_scope.claim(
            &m.ident.to_string(),
            &format!("{} {}", method.verb.upper(), node.path),
        )?;
        methods.push(m);
    }
    let mut children = Vec::new();
    for child in &node.children {
        let module = build_module(child, reg)?;
        types_scope.claim(&module.ident.to_string(), &format!("path {}", module.path))?;
        children.push(module);
    }
    let handle = if own_handle {
        Some(build_handle(node, &methods, &children)?)
    } else {
        None
    };
    Ok(ModIr {
        ident: names::snake_ident(node.segment.name()),
        path: node.path.clone(),
        mod_path: module_path(&node.path),
        handle,
        methods,
        children,
    })
}

/// The root module, `crate::api`: the top-level paths, with `Client` as their handle.
pub fn build_root(tree: &crate::schema::Tree, reg: &mut Registry) -> Result<ModIr, String> {
    let children = tree
        .roots
        .iter()
        .map(|n| build_module(n, reg))
        .collect::<Result<Vec<_>, _>>()?;
    let fns = handle_fns(
        &children,
        &tree.roots,
        &[],
        "the API root (Client)",
        CLIENT_METHODS,
    )?;
    Ok(ModIr {
        ident: format_ident!("api"),
        path: String::new(),
        mod_path: quote!(crate::api),
        handle: Some(HandleIr {
            doc: String::new(),
            fns,
        }),
        methods: Vec::new(),
        children,
    })
}

/// The handle type of a path's parent (`Client` at the top).
fn parent_handle_ty(path: &str) -> TokenStream {
    match path.rsplit_once('/') {
        Some(("", _)) | None => quote!(crate::Client),
        Some((parent, _)) => {
            let p = module_path(parent);
            quote!(#p::Handle)
        }
    }
}

/// The handle functions of `node`'s handle (or the root's, for `Client`).
pub fn handle_fns(
    children: &[ModIr],
    child_nodes: &[Node],
    own_methods: &[MethodIr],
    what: &str,
    reserved: &[&str],
) -> Result<Vec<HandleFn>, String> {
    let mut scope = Scope::new(format!("handle of {what}"));
    // A segment named like a method the handle already has gets a trailing `_`, as keywords
    // do: `/qemu/{vmid}/clone` is `.clone_()`, leaving `.clone()` to `Clone`.
    let fn_name = |name: String| {
        if reserved.contains(&name.as_str()) {
            format!("{name}_")
        } else {
            name
        }
    };
    let mut fns = Vec::new();
    for m in own_methods {
        let name = m.verb.lower().to_owned();
        scope.claim(&name, &format!("{} {}", m.verb.upper(), m.path))?;
        fns.push(verb_fn(m, names::ident(&name), String::new()));
    }
    for (child, node) in children.iter().zip(child_nodes) {
        match &node.segment {
            Segment::Literal(lit) => {
                let fn_name = fn_name(names::snake(lit));
                if let Some(item) = node.param_child() {
                    // Collection: `l(id)` and `{verb}_{l}`.
                    let item_mod = child
                        .children
                        .iter()
                        .find(|c| c.path == item.path)
                        .ok_or("internal: item module missing")?;
                    scope.claim(&fn_name, &format!("path {}", item.path))?;
                    fns.push(HandleFn::Item {
                        name: names::ident(&fn_name),
                        doc: format!("The item `{}`.", item.path),
                        literal: Some(lit.clone()),
                        param: path_param(item)?,
                        target: {
                            let p = &item_mod.mod_path;
                            quote!(#p::Handle)
                        },
                    });
                    for m in &child.methods {
                        let name = format!("{}_{}", m.verb.lower(), fn_name);
                        scope.claim(&name, &format!("{} {}", m.verb.upper(), m.path))?;
                        fns.push(verb_fn(m, names::ident(&name), lit.clone()));
                    }
                } else {
                    scope.claim(&fn_name, &format!("path {}", node.path))?;
                    fns.push(HandleFn::Child {
                        name: names::ident(&fn_name),
                        doc: format!("The path `{}`.", node.path),
                        segment: lit.clone(),
                        target: {
                            let p = &child.mod_path;
                            quote!(#p::Handle)
                        },
                    });
                }
            }
            Segment::Param(name) => {
                // `{q}` under `{p}`: `.q(id)`.
                let fn_name = fn_name(names::snake(name));
                scope.claim(&fn_name, &format!("path {}", node.path))?;
                fns.push(HandleFn::Item {
                    name: names::ident(&fn_name),
                    doc: format!("The item `{}`.", node.path),
                    literal: None,
                    param: path_param(node)?,
                    target: {
                        let p = &child.mod_path;
                        quote!(#p::Handle)
                    },
                });
            }
        }
    }
    Ok(fns)
}

fn build_handle(node: &Node, methods: &[MethodIr], children: &[ModIr]) -> Result<HandleIr, String> {
    let fns = handle_fns(
        children,
        &node.children,
        methods,
        &node.path,
        &["clone", "fmt"],
    )?;
    let mut doc = format!("Handle of `{}`.", node.path);
    if let Some(get) = node.methods.iter().find(|m| m.verb == Verb::Get) {
        let d = get.description.trim();
        if !d.is_empty() {
            doc.push_str(&format!("\n\nIts `GET`: {}", docs::escape(d)));
        }
    }
    Ok(HandleIr { doc, fns })
}

fn verb_fn(m: &MethodIr, name: Ident, suffix: String) -> HandleFn {
    let required = m
        .params
        .fields
        .iter()
        .filter(|f| !f.optional)
        .cloned()
        .collect();
    let method_mod = {
        let p = module_path(&m.path);
        let v = &m.ident;
        quote!(#p::#v)
    };
    HandleFn::Verb {
        name,
        doc: m.doc.clone(),
        alias: m.name.clone(),
        method_mod,
        suffix,
        required,
    }
}

/// The type of a `{param}` segment, from the first method that declares it.
fn path_param(node: &Node) -> Result<PathParam, String> {
    let Segment::Param(name) = &node.segment else {
        return Err(format!("internal: {} is not a parameter", node.path));
    };
    let declared = find_param_schema(node, name);
    let integer = declared.is_some_and(|s| fixups::infer_type(s) == "integer");
    Ok(PathParam {
        ident: names::snake_ident(name),
        integer,
    })
}

fn find_param_schema<'a>(node: &'a Node, name: &str) -> Option<&'a Schema> {
    for m in &node.methods {
        if let Some((_, s)) = m.params.iter().find(|(n, _)| n == name) {
            return Some(s);
        }
    }
    node.children
        .iter()
        .find_map(|c| find_param_schema(c, name))
}

/// Names of the `{params}` of a path.
fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect()
}

fn build_method(
    node: &Node,
    method: &Method,
    handle_ty: TokenStream,
    on_parent: bool,
    reg: &mut Registry,
) -> Result<MethodIr, String> {
    let where_ = format!("{} {}", method.verb.upper(), node.path);
    let module = {
        let p = module_path(&node.path);
        let v = names::ident(method.verb.lower());
        quote!(#p::#v)
    };
    let mut ctx = TypeCtx {
        path: node.path.clone(),
        verb: method.verb.lower(),
        module,
        reg,
        scope: Scope::new(format!("types of {where_}")),
        types: Vec::new(),
    };
    // `Response` is claimed by the answer's struct or alias.
    for reserved in ["Params", "Endpoint"] {
        ctx.scope.claim(reserved, "a generated item")?;
    }
    let in_path = path_params(&node.path);
    let mut fields = Vec::new();
    let mut field_scope = Scope::new(format!("parameters of {where_}"));
    let mut setter_scope = Scope::new(format!("setters of {where_}"));
    for reserved in REQUEST_METHODS {
        setter_scope.claim(reserved, "a method of Request")?;
    }
    for (wire, schema) in &method.params {
        if in_path.contains(&wire.as_str()) {
            continue;
        }
        let field = param_field(&mut ctx, wire, schema)?;
        field_scope.claim(&field.ident.to_string(), &format!("parameter `{wire}`"))?;
        if field.optional {
            setter_scope.claim(&field.ident.to_string(), &format!("parameter `{wire}`"))?;
        }
        fields.push(field);
    }
    // The client's rules: what its types do not already enforce. The embedded fake's: every
    // parameter (path ones too), types and enums included, as PVE checks them.
    let mut rules = Vec::new();
    let mut all_rules = Vec::new();
    let mut path_rules = Vec::new();
    for (wire, schema) in &method.params {
        let (name, indexed) = match wire.strip_suffix("[n]") {
            Some(prefix) => (prefix, true),
            None => (wire.as_str(), false),
        };
        let in_path = in_path.contains(&wire.as_str());
        // Path parameters are always given, whatever the schema says.
        let optional = !in_path && (indexed || schema.optional());
        let site = crate::props::Site {
            path: &node.path,
            verb: method.verb.lower(),
            answer: false,
        };
        let (rule, _) = crate::rules::rule(ctx.reg, &site, wire, schema, optional, true)?;
        let entry = crate::rules::param_entry(name, indexed, rule);
        if in_path {
            path_rules.push(entry.clone());
        }
        all_rules.push(entry);
        if in_path {
            continue;
        }
        let (rule, nontrivial) = crate::rules::rule(ctx.reg, &site, wire, schema, optional, false)?;
        if nontrivial {
            rules.push(crate::rules::param_entry(name, indexed, rule));
        }
    }
    let rules = crate::json::Value::Array(rules).to_string();
    let all_rules = crate::json::Value::Array(all_rules).to_string();
    let path_rules = crate::json::Value::Array(path_rules).to_string();
    let params_shared = if fields.is_empty() {
        Some(quote!(crate::typed::NoParams))
    } else {
        let shape = format!("params {} rules {rules}", shape_of(&fields));
        let module = ctx.module.to_string();
        match ctx.reg.canonical(shape, &module, "Params") {
            Some((m, n)) => Some(type_path(&m, &n)?),
            None => None,
        }
    };
    let params = StructIr {
        ident: format_ident!("Params"),
        doc: format!("Parameters of `{where_}`."),
        fields,
    };
    let response = response_root(&mut ctx, method.returns.as_ref())?;
    let types = ctx.types;
    let suffix = if on_parent {
        node.segment.name().to_owned()
    } else {
        String::new()
    };
    Ok(MethodIr {
        verb: method.verb,
        ident: names::ident(method.verb.lower()),
        path: node.path.clone(),
        name: method.name.clone(),
        doc: docs::method_doc(method, &node.path),
        handle_ty,
        suffix,
        params,
        params_shared,
        rules,
        all_rules,
        path_rules,
        response,
        types,
    })
}

/// The shape of a struct: what makes two structs interchangeable (docs aside).
fn shape_of(fields: &[FieldIr]) -> String {
    fields
        .iter()
        .map(|f| {
            let how = match f.how {
                How::Field => "field",
                How::Indexed => "indexed",
            };
            format!(
                "{} {how} {} {}: {};",
                f.wire, f.optional, f.ident, f.value_ty
            )
        })
        .collect()
}

/// Collects the types one method needs.
struct TypeCtx<'r> {
    path: String,
    verb: &'static str,
    reg: &'r mut Registry,
    /// `crate::api::...::get`: types are referred to by full path, so that identical
    /// structs have identical shapes wherever they are.
    module: TokenStream,
    scope: Scope,
    types: Vec<TypeIr>,
}

impl TypeCtx<'_> {
    fn claim(&mut self, name: &str, origin: &str) -> Result<Ident, String> {
        self.scope.claim(name, origin)?;
        Ok(names::ident(name))
    }
}

fn field_doc(wire: &str, schema: &Schema) -> String {
    let mut doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("`{wire}` (the schema gives no description)."));
    let mut facts = Vec::new();
    if let Some(t) = schema.str("typetext") {
        facts.push(format!("Type: {}", docs::code(t)));
    }
    if let Some(d) = schema.get("default") {
        let d = match d {
            crate::json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        facts.push(format!("Default: {}", docs::code(&d)));
    }
    if let Some(crate::schema::Format::Named(f)) = schema.format() {
        facts.push(format!("Format: {}", docs::code(f)));
    }
    if !facts.is_empty() {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&facts.join(". "));
        doc.push('.');
    }
    doc
}

fn field_ident(name: &str, how: How) -> Ident {
    match how {
        How::Field => names::snake_ident(name),
        How::Indexed => names::ident(&names::family(name)),
    }
}

/// A parameter of a request.
fn param_field(ctx: &mut TypeCtx, wire: &str, schema: &Schema) -> Result<FieldIr, String> {
    let (name, how) = match wire.strip_suffix("[n]") {
        Some(prefix) => (prefix, How::Indexed),
        None => (wire, How::Field),
    };
    let secret = fixups::is_secret(name, &ctx.path);
    let (value_ty, arg) = param_type(ctx, name, schema, secret)?;
    Ok(FieldIr {
        wire: name.to_owned(),
        ident: field_ident(name, how),
        how,
        doc: field_doc(wire, schema),
        optional: how == How::Indexed || schema.optional(),
        value_ty,
        arg,
    })
}

fn param_type(
    ctx: &mut TypeCtx,
    name: &str,
    schema: &Schema,
    secret: bool,
) -> Result<(TokenStream, ArgKind), String> {
    if let Some(ty) = formatted_type(ctx, name, schema, false)? {
        let arg = if ty.to_string().contains("List") {
            ArgKind::List
        } else {
            ArgKind::Plain
        };
        return Ok((ty, arg));
    }
    Ok(match fixups::infer_type(schema) {
        "string" => {
            if let Some(values) = schema.enum_values() {
                let ty = enum_type(ctx, &names::pascal(name), name, &values, false, schema)?;
                (ty, ArgKind::Plain)
            } else if secret {
                (quote!(crate::Secret), ArgKind::Secret)
            } else {
                (quote!(::std::string::String), ArgKind::Text)
            }
        }
        "integer" => {
            if let Some(values) = schema.enum_values() {
                let ty = enum_type(ctx, &names::pascal(name), name, &values, false, schema)?;
                (ty, ArgKind::Plain)
            } else {
                (quote!(i64), ArgKind::Plain)
            }
        }
        "number" => (quote!(f64), ArgKind::Plain),
        "boolean" => (quote!(bool), ArgKind::Plain),
        "array" => {
            let item = schema.items().unwrap_or_else(Schema::empty);
            let (item_ty, _) = param_type(ctx, &format!("{name}-item"), &item, false)?;
            (quote!(::std::vec::Vec<#item_ty>), ArgKind::Plain)
        }
        _ => (quote!(::serde_json::Value), ArgKind::Plain),
    })
}

/// The type of a string with a structured format: a property string's struct, or a `List`
/// for `-list` formats. `None` for other values.
fn formatted_type(
    ctx: &mut TypeCtx,
    name: &str,
    schema: &Schema,
    answer: bool,
) -> Result<Option<TokenStream>, String> {
    if fixups::infer_type(schema) != "string" {
        return Ok(None);
    }
    let path = ctx.path.clone();
    let verb = ctx.verb;
    let site = crate::props::Site {
        path: &path,
        verb,
        answer,
    };
    Ok(match schema.format() {
        Some(crate::schema::Format::Object(format)) => {
            Some(crate::props::prop_type(ctx.reg, &site, name, format, schema)?.0)
        }
        Some(crate::schema::Format::Named(format)) => match ctx.reg.named_format(format, schema) {
            Some(object) => Some(crate::props::prop_type(ctx.reg, &site, name, &object, schema)?.0),
            None if format.ends_with("-list") => Some(list_type(format)),
            None => None,
        },
        None => None,
    })
}

/// An enum of `values`; the path to write where it is used (canonical, when shared).
fn enum_type(
    ctx: &mut TypeCtx,
    type_name: &str,
    field: &str,
    values: &[String],
    open: bool,
    schema: &Schema,
) -> Result<TokenStream, String> {
    let ident = ctx.claim(type_name, &format!("the enum of `{field}`"))?;
    let mut variants = Scope::new(format!("variants of {type_name} in {}", ctx.path));
    if open {
        variants.claim("Unrecognized", "the catch-all variant")?;
    }
    let mut out = Vec::new();
    for v in values {
        if out.iter().any(|(_, w): &(Ident, String)| w == v) {
            continue; // PVE lists a few values twice
        }
        let variant = names::pascal(v);
        variants.claim(&variant, &format!("value {v:?}"))?;
        out.push((names::ident(&variant), v.clone()));
    }
    let module = ctx.module.to_string();
    let shape = format!("enum {open} {values:?}");
    if let Some((canon_module, canon_name)) = ctx.reg.canonical(shape, &module, type_name) {
        let path = type_path(&canon_module, &canon_name)?;
        ctx.types.push(TypeIr::Reexport {
            path: path.clone(),
            local: ident,
        });
        return Ok(path);
    }
    let mut doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("Values of `{field}`."));
    if open {
        doc.push_str("\n\nOpen: a value a newer PVE adds arrives as `Unrecognized`.");
    }
    ctx.types.push(TypeIr::Enum {
        ident,
        doc,
        values: out,
        open,
    });
    type_path(&module, type_name)
}

/// The type of a method's answer.
fn response_root(ctx: &mut TypeCtx, returns: Option<&Schema>) -> Result<TokenStream, String> {
    // No `returns`, or `null`: nothing. (`{}` says nothing about the answer: any JSON.)
    let Some(returns) = returns.filter(|r| r.ty() != Some("null")) else {
        return alias(ctx, quote!(()), "The method answers nothing (`null`).");
    };
    // An optional answer is `Option<ResponseData>`; the alias takes the name `Response`.
    let name = if returns.optional() {
        "ResponseData"
    } else {
        "Response"
    };
    let first_new = ctx.types.len();
    let ty = response_type(ctx, name, returns, "the answer")?;
    let ty = if returns.optional() {
        quote!(::std::option::Option<#ty>)
    } else {
        ty
    };
    let own = type_path(&ctx.module.to_string(), "Response")?;
    // Only a type made for this answer counts (a parameter enum may be called `Response`).
    let named_response = ctx.types[first_new..].iter().any(|t| match t {
        TypeIr::Response(st) => st.ident == "Response",
        TypeIr::Enum { ident, .. } => ident == "Response",
        TypeIr::Reexport { local, .. } => local == "Response",
        TypeIr::Alias { .. } => false,
    });
    if named_response {
        Ok(own)
    } else {
        let doc = returns
            .description()
            .map(docs::escape)
            .unwrap_or_else(|| "The answer.".into());
        alias(ctx, ty, &doc)
    }
}

fn alias(ctx: &mut TypeCtx, ty: TokenStream, doc: &str) -> Result<TokenStream, String> {
    let ident = ctx.claim("Response", "the answer")?;
    ctx.types.push(TypeIr::Alias {
        ident,
        doc: doc.to_owned(),
        ty,
    });
    Ok(quote!(Response))
}

/// The Rust type of an answer value; structs and enums are named `name` (and its
/// extensions for nested values).
fn response_type(
    ctx: &mut TypeCtx,
    name: &str,
    schema: &Schema,
    origin: &str,
) -> Result<TokenStream, String> {
    Ok(match fixups::infer_type(schema) {
        "object" => match schema.properties() {
            Some(props) if !props.is_empty() => response_struct(ctx, name, schema, &props, origin)?,
            _ => match schema.additional_schema() {
                Some(values) => {
                    let v = response_type(ctx, &format!("{name}Value"), &values, origin)?;
                    quote!(::std::collections::BTreeMap<::std::string::String, #v>)
                }
                None => quote!(::serde_json::Value),
            },
        },
        "array" => match schema.items() {
            Some(items) => {
                let item = response_type(ctx, &format!("{name}Item"), &items, origin)?;
                quote!(::std::vec::Vec<#item>)
            }
            None => quote!(::std::vec::Vec<::serde_json::Value>),
        },
        "string" => match formatted_type(ctx, origin_param(origin), schema, true)? {
            Some(ty) => ty,
            None => match schema.enum_values() {
                Some(values) => enum_type(ctx, name, origin, &values, true, schema)?,
                None => quote!(::std::string::String),
            },
        },
        "integer" => quote!(i64),
        "number" => quote!(f64),
        "boolean" => quote!(bool),
        "null" => quote!(()),
        _ => quote!(::serde_json::Value),
    })
}

fn response_struct(
    ctx: &mut TypeCtx,
    name: &str,
    schema: &Schema,
    props: &[(String, Schema)],
    origin: &str,
) -> Result<TokenStream, String> {
    let ident = ctx.claim(name, origin)?;
    let mut field_scope = Scope::new(format!("fields of {name} in {}", ctx.path));
    field_scope.claim("extra", "the map of unknown fields")?;
    let mut fields = Vec::new();
    for (wire, field_schema) in props {
        let (base, how) = match wire.strip_suffix("[n]") {
            Some(prefix) => (prefix, How::Indexed),
            None => (wire.as_str(), How::Field),
        };
        let field_ident = field_ident(base, how);
        field_scope.claim(&field_ident.to_string(), &format!("field `{wire}`"))?;
        let secret = fixups::is_secret(base, &ctx.path);
        let value_ty = if secret && fixups::infer_type(field_schema) == "string" {
            quote!(crate::Secret)
        } else {
            response_type(
                ctx,
                &format!("{name}{}", names::pascal(base)),
                field_schema,
                &format!("field `{wire}` of {name}"),
            )?
        };
        fields.push(FieldIr {
            wire: base.to_owned(),
            ident: field_ident,
            how,
            doc: field_doc(wire, field_schema),
            optional: how == How::Indexed
                || field_schema.optional()
                || fixups::left_out_by_pve(&ctx.path, base),
            value_ty,
            arg: ArgKind::Plain,
        });
    }
    let module = ctx.module.to_string();
    let shape = format!("response {}", shape_of(&fields));
    if let Some((canon_module, canon_name)) = ctx.reg.canonical(shape, &module, name) {
        let path = type_path(&canon_module, &canon_name)?;
        ctx.types.push(TypeIr::Reexport {
            path: path.clone(),
            local: ident,
        });
        return Ok(path);
    }
    let doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("{} of `{}`.", origin_sentence(origin), ctx.path));
    ctx.types
        .push(TypeIr::Response(StructIr { ident, doc, fields }));
    type_path(&module, name)
}

/// The field name in an origin text (`field \`net[n]\` of Response` -> `net[n]`).
fn origin_param(origin: &str) -> &str {
    origin.split('`').nth(1).unwrap_or(origin)
}

fn origin_sentence(origin: &str) -> String {
    let mut chars = origin.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}
