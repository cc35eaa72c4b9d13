//! The intermediate representation: the whole API as plain data, every name decided and
//! every type resolved (`resolve` builds it from the merged schema, `homes` gives shared
//! types their home, `emit` turns it into tokens). No token or JSON text in it.

use std::collections::{BTreeMap, BTreeSet};

use crate::apidoc::{Schema, Verb};
use crate::docs;
use crate::names::{self, Name, Scope};
use crate::rules::{ParamRuleIr, PropFormatIr};
use crate::versions::{Mask, Versions};

/// A module path below `crate::api` (`nodes::node::qemu`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModPath(pub Vec<Name>);

impl ModPath {
    /// The module of an API path template.
    pub fn of(path: &str) -> ModPath {
        ModPath(
            path.split('/')
                .filter(|s| !s.is_empty())
                .map(|s| Name::snake(s.trim_start_matches('{').trim_end_matches('}')))
                .collect(),
        )
    }

    /// A module inside this one.
    pub fn join(&self, name: Name) -> ModPath {
        let mut segments = self.0.clone();
        segments.push(name);
        ModPath(segments)
    }
}

impl std::fmt::Display for ModPath {
    /// `api::nodes::node::qemu`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("api")?;
        for s in &self.0 {
            write!(f, "::{s}")?;
        }
        Ok(())
    }
}

/// An index into [`Api::types`].
pub type TypeKey = usize;

/// A Rust type in generated code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    Unit,
    Bool,
    I64,
    F64,
    String,
    /// `crate::Secret`: never shown by `Debug`.
    Secret,
    /// `serde_json::Value`.
    Json,
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`.
    StringMap(Box<Ty>),
    /// `crate::typed::List<T>`: a list PVE writes as one string.
    List(ListItem),
    Option(Box<Ty>),
    /// `BTreeMap<u32, T>`: an indexed family (`net0`, `net1`, ...).
    Indexed(Box<Ty>),
    /// A generated struct or enum, by the name it has in the module that uses it.
    Named {
        key: TypeKey,
        local: String,
    },
    /// A type in `api::formats` (a property string or an enum of one of its keys).
    Format(String),
}

/// The items of a [`Ty::List`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListItem {
    I64,
    String,
    /// A guest's tags (`pve-tag-list`): strings PVE writes separated by `;`.
    Tag,
    /// Network interfaces (`pve-iface-list`: a bridge's ports, a bond's slaves): PVE answers
    /// them as `/etc/network/interfaces` has them, separated by spaces.
    Iface,
}

/// How a setter or positional argument takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// `impl Into<String>`
    Text,
    /// `impl Into<String>`, stored as `Secret`
    Secret,
    /// the value type itself
    Plain,
    /// `impl IntoIterator<Item = impl Into<T>>` for a `List<T>`
    List(ListItem),
}

impl Ty {
    /// Whether a value of this type holds a [`Ty::Secret`] (itself, or in a list or option).
    pub fn holds_secret(&self) -> bool {
        match self {
            Ty::Secret => true,
            Ty::Vec(t) | Ty::Option(t) | Ty::Indexed(t) | Ty::StringMap(t) => t.holds_secret(),
            _ => false,
        }
    }

    /// How an argument of this type is taken.
    pub fn arg_kind(&self) -> ArgKind {
        match self {
            Ty::String => ArgKind::Text,
            Ty::Secret => ArgKind::Secret,
            Ty::List(item) => ArgKind::List(*item),
            _ => ArgKind::Plain,
        }
    }
}

/// How a field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum How {
    /// One key.
    Field,
    /// A family `name0`, `name1`, ... (`BTreeMap<u32, T>`).
    Indexed,
}

/// A field of a struct (parameters, answers, property-string keys).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldIr {
    /// The wire name (the prefix, for an indexed family).
    pub wire: String,
    pub name: Name,
    pub how: How,
    pub optional: bool,
    /// The value type (without `Option`/`BTreeMap`).
    pub ty: Ty,
    pub doc: String,
    /// The versions that have it, where not all of its parent's do.
    pub versions: Option<Mask>,
    /// `add` or `retype` for an answer field the supplement added or retyped.
    pub supplement: Option<String>,
    /// A parameter or answer field holding a credential though typed as text
    /// ([`crate::secrets::is_hidden`]): hidden like a secret wherever it is shown.
    pub hidden: bool,
}

impl FieldIr {
    /// The field's full type.
    pub fn full_ty(&self) -> Ty {
        match (self.how, self.optional) {
            (How::Indexed, _) => Ty::Indexed(Box::new(self.ty.clone())),
            (How::Field, true) => Ty::Option(Box::new(self.ty.clone())),
            (How::Field, false) => self.ty.clone(),
        }
    }
}

/// One value of an enum.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantIr {
    pub name: Name,
    pub wire: String,
    pub versions: Option<Mask>,
}

/// An enum: closed for parameters, open (a catch-all variant) in answers.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumIr {
    pub doc: String,
    pub values: Vec<VariantIr>,
    pub open: bool,
}

/// An answer struct.
#[derive(Debug, Clone, PartialEq)]
pub struct StructIr {
    pub doc: String,
    pub fields: Vec<FieldIr>,
}

/// An endpoint's parameters (path parameters excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamsIr {
    pub doc: String,
    pub fields: Vec<FieldIr>,
    /// The client's checks: what the types do not already enforce.
    pub rules: Vec<ParamRuleIr>,
    /// The `Required` struct that `new` takes, with two or more required parameters.
    pub required: Option<TypeKey>,
}

/// The required parameters of an endpoint with two or more, as named fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredIr {
    pub doc: String,
    pub fields: Vec<FieldIr>,
}

/// A generated type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    Struct(StructIr),
    Enum(EnumIr),
    Params(ParamsIr),
    Required(RequiredIr),
}

/// Where a type is named: a module and a name in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub module: ModPath,
    pub name: String,
}

/// One type and every site that names it, each with the definition it would have there
/// (the same but for prose and local names). A type with one site is defined there; one with
/// more is defined at its home and re-exported at every site.
#[derive(Debug, Clone)]
pub struct TypeGroup {
    pub sites: BTreeMap<Site, TypeDef>,
    /// Where a type with two or more sites is defined.
    pub home: Option<Home>,
}

impl TypeGroup {
    /// The first site and its definition (a group is made with one: never `None`).
    pub fn canonical(&self) -> Option<(&Site, &TypeDef)> {
        self.sites.first_key_value()
    }

    /// Where the type is defined: its home, or its one site.
    pub fn defined_at(&self) -> Option<&Site> {
        match &self.home {
            Some(home) => Some(&home.site),
            None => self.sites.keys().next(),
        }
    }
}

/// The definition of a type used at two or more sites (see `homes`).
#[derive(Debug, Clone)]
pub struct Home {
    /// In the `shared` module of the path all its sites are under.
    pub site: Site,
    /// The first site's definition with docs of its own: what it is, who uses it.
    pub def: TypeDef,
    /// The versions of everything that uses it.
    pub versions: Mask,
}

/// The `shared` module of one path's module.
#[derive(Debug, Clone, Default)]
pub struct SharedModule {
    /// The types defined there, by name.
    pub types: Vec<TypeKey>,
    /// Types defined elsewhere that a definition there names by a bare identifier (a shared
    /// `Params` whose `Required` lives in another `shared` module).
    pub imports: Vec<TypeKey>,
}

/// The whole generated API.
#[derive(Debug)]
pub struct Api {
    pub versions: Versions,
    pub root: ModIr,
    pub types: Vec<TypeGroup>,
    /// The `shared` modules, by the module that holds each.
    pub shared: BTreeMap<ModPath, SharedModule>,
    pub formats: Formats,
}

/// One module: a path of the API (or the root, `crate::api`).
#[derive(Debug, Clone)]
pub struct ModIr {
    /// The module name (unused for the root).
    pub name: Name,
    /// The path template (`""` for the root).
    pub path: String,
    pub module: ModPath,
    /// The versions that have this path.
    pub versions: Mask,
    /// The handle type of this path, if it has one (the root's is `Client`).
    pub handle: Option<HandleIr>,
    pub methods: Vec<MethodIr>,
    pub children: Vec<ModIr>,
}

/// A handle type and its methods.
#[derive(Debug, Clone)]
pub struct HandleIr {
    pub doc: String,
    pub fns: Vec<HandleFn>,
}

/// The required arguments of a verb function.
#[derive(Debug, Clone, PartialEq)]
pub enum RequiredArgs {
    None,
    /// One, positional: `post_qemu(vmid)`.
    One(FieldIr),
    /// Two or more, as the method module's `Required` struct.
    Struct(Vec<FieldIr>),
}

/// A method of a handle.
#[derive(Debug, Clone)]
pub enum HandleFn {
    /// `status()` -> the child's handle.
    Child {
        name: Name,
        doc: String,
        segment: String,
        target: ModPath,
        versions: Mask,
    },
    /// `qemu(vmid)` -> the item's handle (`literal` is `None` for `{q}` under `{p}`).
    Item {
        name: Name,
        doc: String,
        literal: Option<String>,
        param: PathParam,
        target: ModPath,
        versions: Mask,
    },
    /// `get()`, `post_qemu(..)`: builds a request.
    Verb {
        name: Name,
        doc: String,
        /// PVE's name of the method (`create_vm`).
        alias: String,
        /// The method module.
        method: ModPath,
        /// Segment appended to the handle's path (`qemu` for `post_qemu`), or empty.
        suffix: String,
        required: RequiredArgs,
        versions: Mask,
    },
}

impl HandleFn {
    pub fn name(&self) -> &Name {
        match self {
            HandleFn::Child { name, .. }
            | HandleFn::Item { name, .. }
            | HandleFn::Verb { name, .. } => name,
        }
    }

    pub fn versions(&self) -> Mask {
        match self {
            HandleFn::Child { versions, .. }
            | HandleFn::Item { versions, .. }
            | HandleFn::Verb { versions, .. } => *versions,
        }
    }
}

/// The argument of an item accessor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathParam {
    pub name: Name,
    pub integer: bool,
}

/// The answer of a method.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseIr {
    pub ty: Ty,
    /// `Response` is an alias of `ty` (else `ty` is the struct or enum named `Response`).
    pub alias: bool,
    pub doc: String,
}

/// One method of one path.
#[derive(Debug, Clone)]
pub struct MethodIr {
    pub verb: Verb,
    /// The method module's name (`get`, `post`, ...).
    pub name: Name,
    pub path: String,
    /// PVE's name (`vm_status`).
    pub pve_name: String,
    pub doc: String,
    /// The method module.
    pub module: ModPath,
    /// The module of the handle the method hangs on; `None` for `Client`.
    pub handle: Option<ModPath>,
    pub suffix: String,
    pub versions: Mask,
    /// The parameters' struct: `None` when the method takes none (`NoParams`).
    pub params: Option<TypeKey>,
    /// The parameters (for setters and the required arguments).
    pub fields: Vec<FieldIr>,
    pub required: RequiredArgs,
    /// Every parameter (path ones too) with its rule as PVE checks it (types and enums
    /// included) and PVE's texts, sorted by name: the method's entry in the catalogue.
    pub catalog_params: Vec<CatalogParam>,
    /// PVE's texts of the method, for the catalogue.
    pub texts: MethodTexts,
    pub response: ResponseIr,
    /// The types named in the method module: local name, type, and the versions of what
    /// uses it (a parameter or answer field some versions lack).
    pub types: Vec<LocalType>,
}

/// One parameter of a method in the catalogue.
#[derive(Debug, Clone)]
pub struct CatalogParam {
    pub rule: ParamRuleIr,
    /// A parameter of the path.
    pub in_path: bool,
    pub description: String,
    /// The type as the API viewer writes it.
    pub type_text: String,
    pub default: Option<String>,
}

/// What PVE says of a method beyond its rules.
#[derive(Debug, Clone, Default)]
pub struct MethodTexts {
    pub description: String,
    /// The answer's type as the API viewer writes it.
    pub returns: String,
    /// The key naming the children of a list answer (its link `{vmid}`).
    pub child_link: Option<String>,
    /// `permissions`: description, check (compact JSON), user.
    pub permissions: [Option<String>; 3],
    pub allowtoken: bool,
}

/// A type named in a method module.
#[derive(Debug, Clone)]
pub struct LocalType {
    pub name: String,
    pub key: TypeKey,
    /// The versions of the parameter or field it types (the method's, at the top).
    pub versions: Mask,
}

/// `QemuNet::virtio()`: a value with the key-alias field set (`model` = `virtio`).
#[derive(Debug, Clone)]
pub struct Constructor {
    pub name: Name,
    pub field: Name,
    /// The alias key (`virtio`), the value the field gets.
    pub key: String,
    /// The field's enum type in `api::formats`, if it is one (else a string).
    pub enum_type: Option<String>,
    pub doc: String,
}

/// One property-string struct, and the names it goes by.
#[derive(Debug, Clone)]
pub struct FormatDef {
    /// The names of the sites whose union this is; the first defines it.
    pub names: BTreeSet<String>,
    pub doc: String,
    /// The format the type parses and prints with (named after the first name).
    pub runtime: PropFormatIr,
    /// One field per key (aliases excepted).
    pub fields: Vec<FieldIr>,
    /// Enums of keys, by the suffix after the struct's name (`Model` of `QemuNetModel`).
    pub enums: Vec<(String, EnumIr)>,
    pub constructors: Vec<Constructor>,
}

impl FormatDef {
    /// The name that defines the struct.
    pub fn canonical(&self) -> &str {
        self.names.first().map(String::as_str).unwrap_or_default()
    }
}

/// Every property-string type of the API.
#[derive(Debug, Default)]
pub struct Formats {
    pub defs: Vec<FormatDef>,
    /// Type name -> its struct in `defs`.
    pub by_name: BTreeMap<String, usize>,
}

/// An enum of `values` (in order); `type_name` says which, in messages.
pub fn enum_ir(
    type_name: &str,
    field: &str,
    values: &[String],
    versions: &BTreeMap<String, Mask>,
    open: bool,
    schema: &Schema,
) -> Result<EnumIr, String> {
    let mut variants = Scope::new(format!("variants of {type_name}"));
    if open {
        variants.claim("Unrecognized", "the catch-all variant")?;
    }
    let mut out = Vec::new();
    for v in values {
        let variant = names::pascal(v);
        variants.claim(&variant, &format!("value {v:?}"))?;
        out.push(VariantIr {
            name: Name::new(&variant),
            wire: v.clone(),
            versions: versions.get(v).copied(),
        });
    }
    let mut doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("Values of `{field}`."));
    if open {
        doc.push_str("\n\nOpen: a value a newer PVE adds arrives as `Unrecognized`.");
    }
    Ok(EnumIr {
        doc,
        values: out,
        open,
    })
}
