//! The generated public API as text, one line per item: `apidoc/public-api.txt`.
//!
//! Each line is `path kind signature [versions]`. A type shared between sites is listed at
//! each site under its own name and with its own signature, never as "a re-export of", so
//! a line changes only when that item changes: every schema update shows up as a diff of
//! exactly the items it touches. Its home (`..::shared::Name`) is listed too, naming the
//! types it uses by where they are defined.

use crate::ir::{
    Api, FieldIr, HandleFn, How, ListItem, MethodIr, ModIr, ModPath, RequiredArgs, Site, Ty,
    TypeDef, TypeKey,
};
use crate::versions::Mask;

/// The listing.
pub fn listing(api: &Api) -> String {
    let mut out = Lines {
        api,
        lines: Vec::new(),
    };
    out.module(&api.root);
    out.formats();
    let mut text = String::from(
        "# The public API generated from the vendored PVE schemas (`proxmoxia::api`), one item\n\
         # per line: path, kind, signature, [PVE versions that have it]. Tested: regenerate with\n\
         # UPDATE_PUBLIC_API=1 cargo test -p proxmoxia-macros public_api\n",
    );
    for line in out.lines {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

struct Lines<'a> {
    api: &'a Api,
    lines: Vec<String>,
}

impl Lines<'_> {
    fn push(&mut self, path: String, kind: &str, signature: String, versions: Mask) {
        let range = self.api.versions.range(versions);
        let signature = if signature.is_empty() {
            String::new()
        } else {
            format!(" {signature}")
        };
        self.lines
            .push(format!("{path} {kind}{signature} [{range}]"));
    }

    fn module(&mut self, m: &ModIr) {
        let owner = if m.path.is_empty() {
            "Client".to_owned()
        } else {
            format!("{}::Handle", m.module)
        };
        if !m.path.is_empty() && m.handle.is_some() {
            self.push(owner.clone(), "handle", m.path.clone(), m.versions);
        }
        if let Some(handle) = &m.handle {
            for f in &handle.fns {
                let signature = match f {
                    HandleFn::Child { target, .. } => format!("() -> {target}::Handle"),
                    HandleFn::Item { param, target, .. } => {
                        let ty = if param.integer { "i64" } else { "impl Display" };
                        format!("({}: {ty}) -> {target}::Handle", param.name)
                    }
                    HandleFn::Verb {
                        method, required, ..
                    } => {
                        let args = match required {
                            RequiredArgs::None => String::new(),
                            RequiredArgs::One(field) => {
                                format!("{}: {}", field.name, arg_text(&field.ty, Some(method)))
                            }
                            RequiredArgs::Struct(_) => format!("required: {method}::Required"),
                        };
                        format!("({args}) -> {method}::Request")
                    }
                };
                self.push(
                    format!("{owner}::{}", f.name()),
                    "fn",
                    signature,
                    f.versions(),
                );
            }
        }
        for method in &m.methods {
            self.method(method);
        }
        if let Some(shared) = self.api.shared.get(&m.module) {
            let api = self.api;
            for key in &shared.types {
                if let Some(home) = &api.types[*key].home {
                    let path = format!("{}::{}", home.site.module, home.site.name);
                    self.def(&path, &home.def, home.versions, true);
                }
            }
        }
        for child in &m.children {
            self.module(child);
        }
    }

    fn method(&mut self, m: &MethodIr) {
        let module = m.module.to_string();
        self.push(
            format!("{module}::Endpoint"),
            "endpoint",
            format!("{} {} ({})", m.verb.upper(), m.path, m.pve_name),
            m.versions,
        );
        if m.params.is_none() {
            self.push(
                format!("{module}::Params"),
                "type",
                "= NoParams".into(),
                m.versions,
            );
        }
        for t in &m.types {
            let site = Site {
                module: m.module.clone(),
                name: t.name.clone(),
            };
            if let Some(def) = self.api.types[t.key].sites.get(&site) {
                self.def(&format!("{module}::{}", t.name), def, t.versions, false);
            }
        }
        if m.response.alias {
            self.push(
                format!("{module}::Response"),
                "type",
                format!("= {}", ty_text(&m.response.ty)),
                m.versions,
            );
        }
        for f in m.fields.iter().filter(|f| f.optional) {
            let value = arg_text(&f.ty, None);
            let signature = match f.how {
                How::Indexed => format!("(index: u32, value: {value})"),
                How::Field => format!("(value: {value})"),
            };
            self.push(
                format!("{module}::Request::{}", f.name),
                "setter",
                signature,
                f.versions.unwrap_or(m.versions),
            );
        }
    }

    /// A type's lines; `defined` names the types it uses by where they are defined (at a
    /// home), else by their names in the method module.
    fn def(&mut self, path: &str, def: &TypeDef, versions: Mask, defined: bool) {
        match def {
            TypeDef::Struct(s) => {
                self.push(path.to_owned(), "struct", String::new(), versions);
                self.fields(path, &s.fields, versions, defined);
                self.push(
                    format!("{path}::extra"),
                    "field",
                    "Map<String, Value>".into(),
                    versions,
                );
            }
            TypeDef::Params(p) => {
                self.push(path.to_owned(), "struct", String::new(), versions);
                self.fields(path, &p.fields, versions, defined);
            }
            TypeDef::Required(r) => {
                self.push(path.to_owned(), "struct", String::new(), versions);
                self.fields(path, &r.fields, versions, defined);
            }
            TypeDef::Enum(e) => {
                let kind = if e.open { "enum open" } else { "enum closed" };
                self.push(path.to_owned(), kind, String::new(), versions);
                for v in &e.values {
                    self.push(
                        format!("{path}::{}", v.name),
                        "variant",
                        format!("{:?}", v.wire),
                        v.versions.unwrap_or(versions),
                    );
                }
            }
        }
    }

    fn fields(&mut self, path: &str, fields: &[FieldIr], versions: Mask, defined: bool) {
        let api = self.api;
        let defined_path = |key: TypeKey, local: &str| match api.types[key].defined_at() {
            Some(site) if defined => format!("{}::{}", site.module, site.name),
            _ => local.to_owned(),
        };
        for f in fields {
            let marker = match f.supplement.as_deref() {
                Some(change) => format!(" (supplement: {change})"),
                None => String::new(),
            };
            self.push(
                format!("{path}::{}", f.name),
                "field",
                format!(
                    "{:?} {}{marker}",
                    f.wire,
                    ty_named(&f.full_ty(), &defined_path)
                ),
                f.versions.unwrap_or(versions),
            );
        }
    }

    fn formats(&mut self) {
        let all = self.api.versions.all();
        for (name, index) in &self.api.formats.by_name {
            let def = &self.api.formats.defs[*index];
            let path = format!("api::formats::{name}");
            self.push(path.clone(), "property-string", String::new(), all);
            for f in &def.fields {
                let ty = match &f.ty {
                    // The enum of a key is named after each name of the struct.
                    Ty::Format(e) => {
                        let suffix = e.strip_prefix(def.canonical()).unwrap_or(e);
                        format!("Option<formats::{name}{suffix}>")
                    }
                    other => format!("Option<{}>", ty_text(other)),
                };
                self.push(
                    format!("{path}::{}", f.name),
                    "field",
                    format!("{:?} {ty}", f.wire),
                    f.versions.unwrap_or(all),
                );
            }
            for c in &def.constructors {
                self.push(
                    format!("{path}::{}", c.name),
                    "fn",
                    "() -> Self".into(),
                    all,
                );
            }
            for (suffix, e) in &def.enums {
                self.def(
                    &format!("api::formats::{name}{suffix}"),
                    &TypeDef::Enum(e.clone()),
                    all,
                    false,
                );
            }
        }
    }
}

/// A type as the listing writes it; names of a method module's types under `module` when
/// given (an argument of a handle's function).
fn ty_in(ty: &Ty, module: Option<&ModPath>) -> String {
    match ty {
        Ty::Named { local, .. } => match module {
            Some(m) => format!("{m}::{local}"),
            None => local.clone(),
        },
        Ty::Vec(t) => format!("Vec<{}>", ty_in(t, module)),
        Ty::Option(t) => format!("Option<{}>", ty_in(t, module)),
        other => ty_text(other),
    }
}

/// A type as the listing writes it.
fn ty_text(ty: &Ty) -> String {
    ty_named(ty, &|_, local| local.to_owned())
}

/// A type as the listing writes it, generated types as `named` says.
fn ty_named(ty: &Ty, named: &dyn Fn(TypeKey, &str) -> String) -> String {
    let ty_text = |ty: &Ty| ty_named(ty, named);
    match ty {
        Ty::Unit => "()".into(),
        Ty::Bool => "bool".into(),
        Ty::I64 => "i64".into(),
        Ty::F64 => "f64".into(),
        Ty::String => "String".into(),
        Ty::Secret => "Secret".into(),
        Ty::Json => "Value".into(),
        Ty::Vec(t) => format!("Vec<{}>", ty_text(t)),
        Ty::StringMap(t) => format!("BTreeMap<String, {}>", ty_text(t)),
        Ty::Indexed(t) => format!("BTreeMap<u32, {}>", ty_text(t)),
        Ty::List(ListItem::I64) => "List<i64>".into(),
        Ty::List(ListItem::String) => "List<String>".into(),
        Ty::List(ListItem::Tag) => "Tags".into(),
        Ty::List(ListItem::Iface) => "List<String, ' '>".into(),
        Ty::Option(t) => format!("Option<{}>", ty_text(t)),
        Ty::Named { key, local } => named(*key, local),
        Ty::Format(name) => format!("formats::{name}"),
    }
}

/// A setter's or verb's argument type as the listing writes it.
fn arg_text(ty: &Ty, module: Option<&ModPath>) -> String {
    match ty {
        Ty::String | Ty::Secret => "impl Into<String>".into(),
        Ty::List(ListItem::I64) => "impl IntoIterator<Item = impl Into<i64>>".into(),
        Ty::List(ListItem::String | ListItem::Tag | ListItem::Iface) => {
            "impl IntoIterator<Item = impl Into<String>>".into()
        }
        other => ty_in(other, module),
    }
}

#[cfg(test)]
mod tests {
    /// `apidoc/public-api.txt` is what the generator makes of the vendored schemas.
    #[test]
    fn public_api_is_committed() {
        let built = crate::generate::vendored();
        let text = super::listing(&built.api);
        crate::generate::check_committed("public-api.txt", &text, "UPDATE_PUBLIC_API");
    }
}
