//! Merged schema -> intermediate representation (`ir`): every name decided, every type
//! resolved, every collision reported. Emitting tokens from it is mechanical (`emit`).
//!
//! The naming rule (documented in the README):
//! * a path is a module, `/nodes/{node}/qemu` -> `api::nodes::node::qemu`; each method has its
//!   own module inside (`get`, `post`, `put`, `delete`) with `Params`, `Response` and the
//!   `Endpoint` marker;
//! * a literal segment `l` with a `{p}` child: `l(p)` returns the item's handle and `l`'s own
//!   methods are `{verb}_{l}` on the parent (`client.get_nodes()`, `node.post_qemu(..)`);
//! * another literal segment `l`: `l()` returns its handle, whose methods are `get/post/put/delete`;
//! * `{q}` under `{p}`: `.q(id)` on `p`'s handle.
//!
//! Types are named by where they are (the method module and the field), so a name never
//! depends on the order of the walk or on which versions are vendored. Identical types share
//! one definition: a type with two or more sites is defined in a `shared` module that belongs
//! to no single endpoint (its home, decided after the whole tree is seen: `homes`) and every
//! site re-exports it under its own name.

use std::collections::{BTreeMap, HashMap};

use crate::apidoc::{Format, Method, Node, Schema, Segment, Tree, Verb};
use crate::docs;
use crate::fixups;
use crate::ir::Formats;
use crate::ir::{
    Api, CatalogParam, EnumIr, FieldIr, HandleFn, HandleIr, How, ListItem, LocalType, MethodIr,
    MethodTexts, ModIr, ModPath, ParamsIr, PathParam, RequiredArgs, RequiredIr, ResponseIr, Site,
    StructIr, Ty, TypeDef, TypeGroup, TypeKey, enum_ir,
};
use crate::names::{self, Name, Scope};
use crate::props;
use crate::rules::{self, ParamRuleIr};
use crate::secrets;
use crate::versions::{Mask, Versions};

/// Request methods a parameter setter must not shadow.
const REQUEST_METHODS: &[&str] = &[
    "new",
    "from_params",
    "params",
    "params_mut",
    "with_params",
    "push_extra",
    "extra_param",
    "api_path",
    "validate",
    "validate_for",
    "to_form",
    "send",
    "send_json",
    "task",
    "maybe_task",
    "into_future",
    "from",
    "into",
    "fmt",
];

/// Methods `Client` has by hand; a top-level path must not take their names.
pub const CLIENT_METHODS: &[&str] = &[
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
    "clone",
    "fmt",
];

/// Methods every handle has; a child segment with one of these names gets a trailing `_`.
const HANDLE_METHODS: &[&str] = &["clone", "fmt"];

/// Type names every method module has.
const METHOD_MODULE_TYPES: &[&str] = &["Endpoint", "Params", "Required", "Request"];

/// Builds the API from the merged schema.
pub fn build(tree: &Tree, versions: Versions) -> Result<Api, String> {
    let formats = Formats::of(&tree.roots)?;
    let mut reg = Registry {
        formats,
        all: versions.all(),
        groups: Vec::new(),
        by_shape: HashMap::new(),
    };
    let root = build_root(tree, &mut reg)?;
    let mut api = Api {
        versions,
        root,
        types: reg.groups,
        shared: BTreeMap::new(),
        formats: reg.formats,
    };
    crate::homes::assign(&mut api)?;
    Ok(api)
}

/// Types by shape, while building.
struct Registry {
    formats: Formats,
    /// Every version.
    all: Mask,
    groups: Vec<TypeGroup>,
    by_shape: HashMap<String, TypeKey>,
}

impl Registry {
    /// Names `def` at `site`; identical types share one group.
    fn register(&mut self, def: TypeDef, site: Site) -> TypeKey {
        let shape = format!("{:?}", shape_of(&def));
        if let Some(key) = self.by_shape.get(&shape) {
            self.groups[*key].sites.insert(site, def);
            return *key;
        }
        self.groups.push(TypeGroup {
            sites: BTreeMap::from([(site, def)]),
            home: None,
        });
        self.by_shape.insert(shape, self.groups.len() - 1);
        self.groups.len() - 1
    }
}

/// A type without its prose and its local names: what makes two types one.
fn shape_of(def: &TypeDef) -> TypeDef {
    let fields = |fields: &[FieldIr]| -> Vec<FieldIr> {
        fields
            .iter()
            .map(|f| FieldIr {
                doc: String::new(),
                ty: shape_ty(&f.ty),
                ..f.clone()
            })
            .collect()
    };
    match def {
        TypeDef::Struct(s) => TypeDef::Struct(StructIr {
            doc: String::new(),
            fields: fields(&s.fields),
        }),
        TypeDef::Params(p) => TypeDef::Params(ParamsIr {
            doc: String::new(),
            fields: fields(&p.fields),
            rules: p.rules.clone(),
            required: p.required,
        }),
        TypeDef::Required(r) => TypeDef::Required(RequiredIr {
            doc: String::new(),
            fields: fields(&r.fields),
        }),
        TypeDef::Enum(e) => TypeDef::Enum(EnumIr {
            doc: String::new(),
            ..e.clone()
        }),
    }
}

fn shape_ty(ty: &Ty) -> Ty {
    match ty {
        Ty::Named { key, .. } => Ty::Named {
            key: *key,
            local: String::new(),
        },
        Ty::Vec(t) => Ty::Vec(Box::new(shape_ty(t))),
        Ty::StringMap(t) => Ty::StringMap(Box::new(shape_ty(t))),
        Ty::Option(t) => Ty::Option(Box::new(shape_ty(t))),
        Ty::Indexed(t) => Ty::Indexed(Box::new(shape_ty(t))),
        other => other.clone(),
    }
}

/// The versions of an item of a parent that exists in `parent`: `None` when the same.
fn versions_within(item: Option<Mask>, parent: Mask) -> Option<Mask> {
    item.filter(|m| m & parent != parent)
}

fn build_module(node: &Node, reg: &mut Registry) -> Result<ModIr, String> {
    let is_collection = node.param_child().is_some();
    let literal = matches!(node.segment, Segment::Literal(_));
    // A literal collection (`/nodes`) has no handle: its methods hang on the parent.
    let own_handle = !(literal && is_collection);
    let module = ModPath::of(&node.path);
    let mut methods = Vec::new();
    let mut names = Scope::new(format!("module of {}", node.path));
    for method in &node.methods {
        let handle = if own_handle {
            Some(module.clone())
        } else {
            parent_module(&node.path)
        };
        let m = build_method(node, method, handle, !own_handle, reg)?;
        names.claim(
            m.name.as_str(),
            &format!("{} {}", method.verb.upper(), node.path),
        )?;
        methods.push(m);
    }
    let mut children = Vec::new();
    for child in &node.children {
        let m = build_module(child, reg)?;
        names.claim(m.name.as_str(), &format!("path {}", m.path))?;
        children.push(m);
    }
    let handle = if own_handle {
        Some(build_handle(node, &methods, &children)?)
    } else {
        None
    };
    Ok(ModIr {
        name: Name::snake(node.segment.name()),
        path: node.path.clone(),
        module,
        versions: node.versions,
        handle,
        methods,
        children,
    })
}

/// The root module, `crate::api`: the top-level paths, with `Client` as their handle.
fn build_root(tree: &Tree, reg: &mut Registry) -> Result<ModIr, String> {
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
        name: Name::new("api"),
        path: String::new(),
        module: ModPath(Vec::new()),
        versions: reg.all,
        handle: Some(HandleIr {
            doc: String::new(),
            fns,
        }),
        methods: Vec::new(),
        children,
    })
}

/// The module of a path's parent (`None` for `Client`, at the top).
fn parent_module(path: &str) -> Option<ModPath> {
    match path.rsplit_once('/') {
        Some(("", _)) | None => None,
        Some((parent, _)) => Some(ModPath::of(parent)),
    }
}

/// The handle functions of a node's handle (or the root's, for `Client`).
fn handle_fns(
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
        fns.push(verb_fn(m, Name::new(&name), String::new()));
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
                        name: Name::new(&fn_name),
                        doc: format!("The item `{}`.", item.path),
                        literal: Some(lit.clone()),
                        param: path_param(item)?,
                        target: item_mod.module.clone(),
                        versions: item.versions,
                    });
                    for m in &child.methods {
                        let name = format!("{}_{}", m.verb.lower(), fn_name);
                        scope.claim(&name, &format!("{} {}", m.verb.upper(), m.path))?;
                        fns.push(verb_fn(m, Name::new(&name), lit.clone()));
                    }
                } else {
                    scope.claim(&fn_name, &format!("path {}", node.path))?;
                    fns.push(HandleFn::Child {
                        name: Name::new(&fn_name),
                        doc: format!("The path `{}`.", node.path),
                        segment: lit.clone(),
                        target: child.module.clone(),
                        versions: node.versions,
                    });
                }
            }
            Segment::Param(name) => {
                // `{q}` under `{p}`: `.q(id)`.
                let fn_name = fn_name(names::snake(name));
                scope.claim(&fn_name, &format!("path {}", node.path))?;
                fns.push(HandleFn::Item {
                    name: Name::new(&fn_name),
                    doc: format!("The item `{}`.", node.path),
                    literal: None,
                    param: path_param(node)?,
                    target: child.module.clone(),
                    versions: node.versions,
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
        HANDLE_METHODS,
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

fn verb_fn(m: &MethodIr, name: Name, suffix: String) -> HandleFn {
    HandleFn::Verb {
        name,
        doc: m.doc.clone(),
        alias: m.pve_name.clone(),
        method: m.module.clone(),
        suffix,
        required: m.required.clone(),
        versions: m.versions,
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
        name: Name::snake(name),
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
    handle: Option<ModPath>,
    on_parent: bool,
    reg: &mut Registry,
) -> Result<MethodIr, String> {
    let where_ = format!("{} {}", method.verb.upper(), node.path);
    let verb_name = Name::new(method.verb.lower());
    let module = ModPath::of(&node.path).join(verb_name.clone());
    let mut ctx = TypeCtx {
        path: node.path.clone(),
        module: module.clone(),
        versions: method.versions,
        reg,
        scope: Scope::new(format!("types of {where_}")),
        types: Vec::new(),
        item_versions: method.versions,
    };
    // `Response` is claimed by the answer's struct or alias.
    for reserved in METHOD_MODULE_TYPES {
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
        field_scope.claim(field.name.as_str(), &format!("parameter `{wire}`"))?;
        if field.optional {
            setter_scope.claim(field.name.as_str(), &format!("parameter `{wire}`"))?;
        }
        fields.push(field);
    }
    // The client's rules: what its types do not already enforce. The embedded fake's: every
    // parameter (path ones too), types and enums included, as PVE checks them.
    let mut client_rules = Vec::new();
    let mut catalog_params = Vec::new();
    for (wire, schema) in &method.params {
        let (name, indexed) = match wire.strip_suffix("[n]") {
            Some(prefix) => (prefix, true),
            None => (wire.as_str(), false),
        };
        let is_path = in_path.contains(&wire.as_str());
        // Path parameters are always given, whatever the schema says.
        let optional = !is_path && (indexed || schema.optional());
        let prop_name = props::format_name(&node.path, wire);
        let formats = &ctx.reg.formats;
        let mut site_rule = |format: &crate::json::Map| formats.site_rule(&prop_name, format);
        // A rule the client cannot check as written is a build error, with where it is.
        let at = |e: String| format!("{} parameter `{wire}`: {e}", node.path);
        let rule = rules::rule(schema, optional, &mut site_rule).map_err(at)?;
        let by_version = schema
            .by_version()
            .into_iter()
            .map(|(mask, own)| {
                let own_optional = !is_path && (indexed || own.optional());
                Ok((
                    mask,
                    rules::rule(&own, own_optional, &mut site_rule).map_err(at)?,
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let versions = versions_within(schema.versions(), method.versions);
        let entry = ParamRuleIr {
            name: name.to_owned(),
            indexed,
            rule,
            versions,
            by_version,
        };
        catalog_params.push(CatalogParam {
            rule: entry.clone(),
            in_path: is_path,
            description: schema.str("description").unwrap_or_default().to_owned(),
            type_text: docs::type_text(schema),
            default: schema.get("default").map(|d| match d {
                crate::json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        });
        if is_path {
            continue;
        }
        let mut client = entry;
        // A closed enum's type admits only its values; an open one (none in parameters)
        // and the version of each value are still checked.
        let typed_enum = fields
            .iter()
            .find(|f| f.wire == name)
            .is_some_and(|f| is_closed_enum(&f.ty, ctx.reg));
        if typed_enum {
            client.rule.enum_values.clear();
        }
        if typed_enum {
            for (_, own) in &mut client.by_version {
                own.enum_values.clear();
            }
        }
        if client.rule.checks_more_than_type()
            || client.versions.is_some()
            || !client.by_version.is_empty()
        {
            client_rules.push(client);
        }
    }
    let required_fields: Vec<FieldIr> = fields.iter().filter(|f| !f.optional).cloned().collect();
    let mut required_key = None;
    let required = match required_fields.len() {
        0 => RequiredArgs::None,
        1 => RequiredArgs::One(required_fields[0].clone()),
        _ => {
            let names: Vec<String> = required_fields
                .iter()
                .map(|f| format!("`{}`", f.wire))
                .collect();
            let def = TypeDef::Required(RequiredIr {
                doc: format!(
                    "The required parameters of `{where_}`: {}. Give them by name; the \
                     optional ones are setters of the request.",
                    names.join(", ")
                ),
                fields: required_fields.clone(),
            });
            let key = ctx.reg.register(
                def,
                Site {
                    module: module.clone(),
                    name: "Required".into(),
                },
            );
            ctx.types.push(LocalType {
                name: "Required".into(),
                key,
                versions: method.versions,
            });
            required_key = Some(key);
            RequiredArgs::Struct(required_fields)
        }
    };
    let params = if fields.is_empty() {
        None
    } else {
        let def = TypeDef::Params(ParamsIr {
            doc: format!("Parameters of `{where_}`."),
            fields: fields.clone(),
            rules: client_rules,
            required: required_key,
        });
        let key = ctx.reg.register(
            def,
            Site {
                module: module.clone(),
                name: "Params".into(),
            },
        );
        ctx.types.push(LocalType {
            name: "Params".into(),
            key,
            versions: method.versions,
        });
        Some(key)
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
        name: verb_name,
        path: node.path.clone(),
        pve_name: method.name.clone(),
        doc: docs::method_doc(method, &node.path),
        module,
        handle,
        suffix,
        versions: method.versions,
        params,
        fields,
        required,
        catalog_params: sorted_by_name(catalog_params),
        texts: method_texts(method),
        response,
        types,
    })
}

/// The catalogue's parameters in name order (a family by its prefix: `net` for `net[n]`),
/// the order the runtime looks them up in. The schema lists them so already.
fn sorted_by_name(mut params: Vec<CatalogParam>) -> Vec<CatalogParam> {
    params.sort_by(|a, b| (&a.rule.name, a.rule.indexed).cmp(&(&b.rule.name, b.rule.indexed)));
    params
}

/// What PVE says of `method` beyond its rules.
fn method_texts(method: &Method) -> MethodTexts {
    let returns = method.returns.as_ref();
    let text = |v: Option<&crate::json::Value>| match v {
        Some(crate::json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let permissions = method.permissions.as_ref();
    MethodTexts {
        description: method.description.clone(),
        returns: returns.map_or_else(String::new, docs::type_text),
        child_link: returns
            .and_then(|r| r.get("links"))
            .and_then(|links| links.as_array()?.first()?.get("href"))
            .and_then(|href| match href {
                crate::json::Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .and_then(|href| href.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned),
        permissions: [
            text(permissions.and_then(|p| p.get("description"))),
            permissions
                .and_then(|p| p.get("check"))
                .map(ToString::to_string),
            text(permissions.and_then(|p| p.get("user"))),
        ],
        allowtoken: method.allowtoken,
    }
}

fn is_closed_enum(ty: &Ty, reg: &Registry) -> bool {
    match ty {
        Ty::Named { key, .. } => {
            matches!(reg.groups[*key].canonical(), Some((_, TypeDef::Enum(e))) if !e.open)
        }
        Ty::Vec(inner) => is_closed_enum(inner, reg),
        _ => false,
    }
}

/// Collects the types one method needs.
struct TypeCtx<'r> {
    path: String,
    module: ModPath,
    /// The method's versions.
    versions: Mask,
    reg: &'r mut Registry,
    scope: Scope,
    types: Vec<LocalType>,
    /// The versions of the parameter or field being typed.
    item_versions: Mask,
}

impl TypeCtx<'_> {
    /// Names `def` `name` in this method's module.
    fn define(&mut self, name: &str, origin: &str, def: TypeDef) -> Result<Ty, String> {
        self.scope.claim(name, origin)?;
        let key = self.reg.register(
            def,
            Site {
                module: self.module.clone(),
                name: name.to_owned(),
            },
        );
        self.types.push(LocalType {
            name: name.to_owned(),
            key,
            versions: self.item_versions,
        });
        Ok(Ty::Named {
            key,
            local: name.to_owned(),
        })
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
    let format = match schema.format() {
        Some(Format::Named(f)) => Some(f),
        _ => schema.str(crate::merge::FORMAT_NAME),
    };
    if let Some(f) = format {
        facts.push(format!("Format: {}", docs::code(f)));
    }
    if !facts.is_empty() {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&facts.join(". "));
        doc.push('.');
    }
    if let Some(note) = supplement_note(schema) {
        doc.push_str("\n\n");
        doc.push_str(&note);
    }
    doc
}

/// What the supplement (`apidoc/supplement.json`) says of an answer field, for its docs.
fn supplement_note(schema: &Schema) -> Option<String> {
    use crate::supplement::{ALWAYS, CHANGE, LEFT_OUT, SOURCE};
    let source = schema.str(SOURCE).map(docs::escape);
    Some(
        match (schema.str(CHANGE), schema.str(LEFT_OUT), schema.str(ALWAYS)) {
            (Some("add"), _, _) => format!(
                "*Not in PVE's schema*: PVE sends it (source: {}).",
                source.unwrap_or_default()
            ),
            (Some(_), _, _) => format!(
                "*Typed from PVE's behaviour, not its schema* (source: {}).",
                source.unwrap_or_default()
            ),
            (None, Some(""), _) => "*Optional here*: PVE's schema calls it required, but PVE's \
             code is not known to send it in every answer."
                .to_owned(),
            (None, Some(reason), _) => format!(
                "*Optional here*: PVE's schema calls it required, but {}.",
                docs::escape(reason)
            ),
            (None, None, Some(always)) => {
                format!("Always sent (source: {}).", docs::escape(always))
            }
            (None, None, None) => return None,
        },
    )
}

fn field_name(name: &str, how: How) -> Name {
    match how {
        How::Field => Name::snake(name),
        How::Indexed => Name::new(&names::family(name)),
    }
}

/// A parameter of a request.
fn param_field(ctx: &mut TypeCtx, wire: &str, schema: &Schema) -> Result<FieldIr, String> {
    let (name, how) = match wire.strip_suffix("[n]") {
        Some(prefix) => (prefix, How::Indexed),
        None => (wire, How::Field),
    };
    let secret = secrets::is_secret(name, &ctx.path);
    let method_versions = ctx.versions;
    ctx.item_versions = schema.versions().unwrap_or(method_versions);
    let ty = param_type(ctx, name, wire, schema, secret);
    ctx.item_versions = method_versions;
    let ty = ty?;
    Ok(FieldIr {
        wire: name.to_owned(),
        name: field_name(name, how),
        how,
        doc: field_doc(wire, schema),
        optional: how == How::Indexed || schema.optional(),
        ty,
        versions: versions_within(schema.versions(), ctx.versions),
        supplement: None,
        hidden: secrets::is_hidden(name, &ctx.path),
    })
}

/// The type of parameter `name` (`wire` as the schema writes it). An array's items are typed
/// as the parameter itself would be: `Vec<Mode>`, `Vec<ClusterMappingDirMap>`.
fn param_type(
    ctx: &mut TypeCtx,
    name: &str,
    wire: &str,
    schema: &Schema,
    secret: bool,
) -> Result<Ty, String> {
    if let Some(ty) = formatted_type(ctx, wire, schema)? {
        return Ok(ty);
    }
    Ok(match fixups::infer_type(schema) {
        "string" | "integer" if schema.enum_values().is_some() => {
            enum_type(ctx, &names::pascal(name), name, schema, false)?
        }
        "string" if secret => Ty::Secret,
        "string" => Ty::String,
        "integer" => Ty::I64,
        "number" => Ty::F64,
        "boolean" => Ty::Bool,
        "array" => {
            let item = schema.items().unwrap_or_else(Schema::empty);
            Ty::Vec(Box::new(param_type(ctx, name, wire, &item, secret)?))
        }
        _ => Ty::Json,
    })
}

/// The type of a string with a structured format: a property string's struct, or a `List`
/// for `-list` formats. `None` for other values. `field` names the site.
fn formatted_type(ctx: &mut TypeCtx, field: &str, schema: &Schema) -> Result<Option<Ty>, String> {
    if fixups::infer_type(schema) != "string" {
        return Ok(None);
    }
    Ok(match schema.format() {
        Some(Format::Object(_)) => {
            let name = props::format_name(&ctx.path, field);
            if !ctx.reg.formats.by_name.contains_key(&name) {
                return Err(format!(
                    "internal: the property string of `{field}` at {} was not collected",
                    ctx.path
                ));
            }
            Some(Ty::Format(name))
        }
        Some(Format::Named("pve-vmid-list")) => Some(Ty::List(ListItem::I64)),
        Some(Format::Named("pve-tag-list")) => Some(Ty::List(ListItem::Tag)),
        Some(Format::Named("pve-iface-list")) => Some(Ty::List(ListItem::Iface)),
        Some(Format::Named(f)) if f.ends_with("-list") => Some(Ty::List(ListItem::String)),
        _ => None,
    })
}

/// The enum of `schema`'s values, as a type of this method's module named `type_name`.
fn enum_type(
    ctx: &mut TypeCtx,
    type_name: &str,
    field: &str,
    schema: &Schema,
    open: bool,
) -> Result<Ty, String> {
    let values = rules::dedup(schema.enum_values().unwrap_or_default());
    let def = enum_ir(
        &format!("{type_name} in {}", ctx.path),
        field,
        &values,
        &schema.enum_versions(),
        open,
        schema,
    )?;
    ctx.define(
        type_name,
        &format!("the enum of `{field}`"),
        TypeDef::Enum(def),
    )
}

/// The type of a method's answer.
fn response_root(ctx: &mut TypeCtx, returns: Option<&Schema>) -> Result<ResponseIr, String> {
    // No `returns`, or `null`: nothing. (`{}` says nothing about the answer: any JSON.)
    let Some(returns) = returns.filter(|r| r.ty() != Some("null")) else {
        ctx.scope.claim("Response", "the answer")?;
        return Ok(ResponseIr {
            ty: Ty::Unit,
            alias: true,
            doc: "The method answers nothing (`null`).".into(),
        });
    };
    // An optional answer is `Option<ResponseData>`; the alias takes the name `Response`.
    let name = if returns.optional() {
        "ResponseData"
    } else {
        "Response"
    };
    let ty = response_type(ctx, name, "", returns, "the answer")?;
    let ty = if returns.optional() {
        Ty::Option(Box::new(ty))
    } else {
        ty
    };
    let named_response = matches!(&ty, Ty::Named { local, .. } if local == "Response");
    if !named_response {
        ctx.scope.claim("Response", "the answer")?;
    }
    Ok(ResponseIr {
        ty,
        alias: !named_response,
        doc: returns
            .description()
            .map(docs::escape)
            .unwrap_or_else(|| "The answer.".into()),
    })
}

/// The Rust type of an answer value; structs and enums are named `name` (and its
/// extensions for nested values). `field` is the PVE field that holds it (`""` at the top),
/// which names property strings.
fn response_type(
    ctx: &mut TypeCtx,
    name: &str,
    field: &str,
    schema: &Schema,
    origin: &str,
) -> Result<Ty, String> {
    Ok(match fixups::infer_type(schema) {
        "object" => match schema.properties() {
            Some(props) if !props.is_empty() => response_struct(ctx, name, schema, &props, origin)?,
            _ => match schema.additional_schema() {
                Some(values) => {
                    let v = response_type(ctx, &format!("{name}Value"), field, &values, origin)?;
                    Ty::StringMap(Box::new(v))
                }
                None => Ty::Json,
            },
        },
        "array" => match schema.items() {
            Some(items) => {
                let item = response_type(ctx, &format!("{name}Item"), field, &items, origin)?;
                Ty::Vec(Box::new(item))
            }
            None => Ty::Vec(Box::new(Ty::Json)),
        },
        "string" => match formatted_type(ctx, field, schema)? {
            Some(ty) => ty,
            None if schema.enum_values().is_some() => enum_type(ctx, name, origin, schema, true)?,
            None => Ty::String,
        },
        "integer" => Ty::I64,
        "number" => Ty::F64,
        "boolean" => Ty::Bool,
        "null" => Ty::Unit,
        _ => Ty::Json,
    })
}

fn response_struct(
    ctx: &mut TypeCtx,
    name: &str,
    schema: &Schema,
    props: &[(String, Schema)],
    origin: &str,
) -> Result<Ty, String> {
    let mut field_scope = Scope::new(format!("fields of {name} in {}", ctx.path));
    field_scope.claim("extra", "the map of unknown fields")?;
    let mut fields = Vec::new();
    for (wire, field_schema) in props {
        let (base, how) = match wire.strip_suffix("[n]") {
            Some(prefix) => (prefix, How::Indexed),
            None => (wire.as_str(), How::Field),
        };
        let field_name = field_name(base, how);
        field_scope.claim(field_name.as_str(), &format!("field `{wire}`"))?;
        let secret = secrets::is_secret(base, &ctx.path);
        let outer = ctx.item_versions;
        ctx.item_versions = field_schema.versions().unwrap_or(outer);
        let ty = if let Some(ty) = secret.then(|| secrets::answer_type(field_schema)).flatten() {
            Ok(ty)
        } else {
            response_type(
                ctx,
                &format!("{name}{}", names::pascal(base)),
                wire,
                field_schema,
                &format!("field `{wire}` of {name}"),
            )
        };
        ctx.item_versions = outer;
        let ty = ty?;
        fields.push(FieldIr {
            wire: base.to_owned(),
            name: field_name,
            how,
            doc: field_doc(wire, field_schema),
            optional: how == How::Indexed || field_schema.optional(),
            ty,
            versions: field_schema.versions(),
            supplement: field_schema
                .str(crate::supplement::CHANGE)
                .map(str::to_owned),
            hidden: secrets::is_hidden(base, &ctx.path),
        });
    }
    let doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("{} of `{}`.", origin_sentence(origin), ctx.path));
    ctx.define(name, origin, TypeDef::Struct(StructIr { doc, fields }))
}

fn origin_sentence(origin: &str) -> String {
    let mut chars = origin.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}
