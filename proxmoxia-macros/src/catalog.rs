//! The catalogue (`proxmoxia::catalog`): every method with its parameters, their rules and
//! PVE's texts, and the property-string formats, as constant tables of the runtime's own
//! types, emitted once by the root invocation as `crate::api::__catalog`.
//!
//! Patterns, rules and formats are interned: each distinct one is written once, in its
//! table, and referred to by its position (`&RULES[12]`), so the tables stay a small part of
//! the output. Generated items name their entries by position too (`Endpoint::CATALOG` is
//! `&METHODS[n]`); positions follow one walk of the tree, the same in every invocation.

use std::collections::{BTreeMap, HashMap};

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::{Api, MethodIr, ModIr, ModPath, TypeDef, TypeKey};
use crate::rules::{PropFormatIr, PropKeyIr, RuleFormat, RuleIr, RuleTy};
use crate::versions::Mask;

/// A rule with the pattern and format it uses as positions in their tables.
#[derive(Debug, Clone, PartialEq)]
struct RuleRow {
    ty: RuleTy,
    optional: bool,
    enum_values: Vec<String>,
    enum_versions: Vec<(String, Mask)>,
    minimum: Option<String>,
    maximum: Option<String>,
    min_length: Option<u64>,
    max_length: Option<u64>,
    pattern: Option<usize>,
    format: FormatRow,
    requires: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum FormatRow {
    None,
    Named(String),
    List(String),
    Prop(usize),
}

/// A property-string format with its keys' rules as positions.
#[derive(Debug, Clone, PartialEq)]
struct PropFormatRow {
    name: String,
    default_key: Option<String>,
    /// Sorted by key, as the runtime looks them up.
    keys: Vec<PropKeyRow>,
}

#[derive(Debug, Clone, PartialEq)]
enum PropKeyRow {
    Key {
        key: String,
        rule: usize,
        versions: Option<Mask>,
    },
    Alias {
        key: String,
        target: String,
        key_alias: Option<String>,
    },
}

/// The tables, and where generated items find their entries.
#[derive(Debug, Default)]
pub struct Catalog {
    patterns: Vec<String>,
    rules: Vec<RuleRow>,
    formats: Vec<PropFormatRow>,
    /// `(method module, parameters)` in the order of the walk.
    methods: Vec<TokenStream>,
    /// Interning: a row's `Debug` text -> its position.
    seen: HashMap<String, usize>,
    /// Method module -> position in `METHODS`.
    method_at: BTreeMap<ModPath, usize>,
    /// Type name of a property string -> position in `FORMATS` of its type's format.
    format_at: BTreeMap<String, usize>,
}

impl Catalog {
    /// The catalogue of `api`.
    pub fn of(api: &Api) -> Catalog {
        let mut catalog = Catalog::default();
        for def in &api.formats.defs {
            let at = catalog.format(&def.runtime);
            for name in &def.names {
                catalog.format_at.insert(name.clone(), at);
            }
        }
        catalog.walk(&api.root);
        catalog
    }

    fn walk(&mut self, m: &ModIr) {
        for method in &m.methods {
            let at = self.methods.len();
            self.method_at.insert(method.module.clone(), at);
            let entry = self.method(method);
            self.methods.push(entry);
        }
        for child in &m.children {
            self.walk(child);
        }
    }

    /// The position in `METHODS` of the method whose module is `module`.
    pub fn method_at(&self, module: &ModPath) -> usize {
        self.method_at.get(module).copied().unwrap_or_default()
    }

    /// The position in `METHODS` of a method whose rules the parameters type `key` checks:
    /// its first site's (the sites of one type have the same rules).
    pub fn params_method(&self, api: &Api, key: TypeKey) -> usize {
        api.types[key]
            .sites
            .iter()
            .find(|(_, def)| matches!(def, TypeDef::Params(_)))
            .map_or(0, |(site, _)| self.method_at(&site.module))
    }

    /// The position in `FORMATS` of the property string named `name`.
    pub fn format_at(&self, name: &str) -> usize {
        self.format_at.get(name).copied().unwrap_or_default()
    }

    /// Interns `row` of the table `table` (its `Debug` text, prefixed by the table, is the
    /// key): its position.
    fn intern<T: std::fmt::Debug>(
        seen: &mut HashMap<String, usize>,
        table: &mut Vec<T>,
        row: T,
    ) -> usize {
        let key = format!("{}:{row:?}", std::any::type_name::<T>());
        if let Some(at) = seen.get(&key) {
            return *at;
        }
        table.push(row);
        seen.insert(key, table.len() - 1);
        table.len() - 1
    }

    fn pattern(&mut self, source: &str) -> usize {
        Self::intern(&mut self.seen, &mut self.patterns, source.to_owned())
    }

    fn format(&mut self, format: &PropFormatIr) -> usize {
        let mut keys: Vec<PropKeyRow> = format
            .keys
            .iter()
            .map(|key| match key {
                PropKeyIr::Key {
                    key,
                    rule,
                    versions,
                } => PropKeyRow::Key {
                    key: key.clone(),
                    rule: self.rule(rule),
                    versions: *versions,
                },
                PropKeyIr::Alias {
                    key,
                    target,
                    key_alias,
                } => PropKeyRow::Alias {
                    key: key.clone(),
                    target: target.clone(),
                    key_alias: key_alias.clone(),
                },
            })
            .collect();
        keys.sort_by(|a, b| a.key().cmp(b.key()));
        let row = PropFormatRow {
            name: format.name.clone(),
            default_key: format.default_key.clone(),
            keys,
        };
        Self::intern(&mut self.seen, &mut self.formats, row)
    }

    fn rule(&mut self, rule: &RuleIr) -> usize {
        let row = RuleRow {
            ty: rule.ty,
            optional: rule.optional,
            enum_values: rule.enum_values.clone(),
            enum_versions: rule
                .enum_versions
                .iter()
                .map(|(v, m)| (v.clone(), *m))
                .collect(),
            minimum: rule.minimum.clone(),
            maximum: rule.maximum.clone(),
            min_length: rule.min_length,
            max_length: rule.max_length,
            pattern: rule.pattern.as_deref().map(|p| self.pattern(p)),
            format: match &rule.format {
                RuleFormat::None => FormatRow::None,
                RuleFormat::Named(name) => FormatRow::Named(name.clone()),
                RuleFormat::List(item) => FormatRow::List(item.clone()),
                RuleFormat::Prop(format) => FormatRow::Prop(self.format(format)),
            },
            requires: rule.requires.clone(),
        };
        Self::intern(&mut self.seen, &mut self.rules, row)
    }

    /// The `Method` of `method`, its rules interned.
    fn method(&mut self, method: &MethodIr) -> TokenStream {
        let params: Vec<TokenStream> = method
            .catalog_params
            .iter()
            .map(|p| {
                let name = &p.rule.name;
                let rule = Literal::usize_unsuffixed(self.rule(&p.rule.rule));
                let (description, type_text) = (&p.description, &p.type_text);
                let default = option(p.default.as_deref());
                let mut out = quote!(p(#name, #rule, #description, #type_text, #default));
                if p.rule.indexed {
                    out.extend(quote!(.indexed()));
                }
                if p.in_path {
                    out.extend(quote!(.in_path()));
                }
                if let Some(versions) = p.rule.versions {
                    let versions = Literal::u32_unsuffixed(versions);
                    out.extend(quote!(.with_versions(#versions)));
                }
                if !p.rule.by_version.is_empty() {
                    let own = p.rule.by_version.clone();
                    let own = own.iter().map(|(versions, rule)| {
                        let versions = Literal::u32_unsuffixed(*versions);
                        let rule = Literal::usize_unsuffixed(self.rule(rule));
                        quote!((#versions, &R[#rule]))
                    });
                    let own: Vec<TokenStream> = own.collect();
                    out.extend(quote!(.with_by_version(&[#(#own),*])));
                }
                out
            })
            .collect();
        let verb = format_ident!("{}", method.verb.camel());
        let (path, name) = (&method.path, &method.pve_name);
        let versions = Literal::u32_unsuffixed(method.versions);
        let texts = &method.texts;
        let (description, returns) = (&texts.description, &texts.returns);
        let child_link = option(texts.child_link.as_deref());
        let mut out = quote! {
            M::new(H::#verb, #path, #name, #versions, &[#(#params),*])
                .with_doc(#description, #returns, #child_link)
        };
        if texts.permissions.iter().any(Option::is_some) {
            let [description, check, user] =
                texts.permissions.clone().map(|t| option(t.as_deref()));
            out.extend(quote!(.with_permissions(#description, #check, #user)));
        }
        if texts.allowtoken {
            out.extend(quote!(.allowing_tokens()));
        }
        out
    }

    /// The module `crate::api::__catalog`: the tables.
    pub fn tokens(&self) -> TokenStream {
        let patterns = self.patterns.iter().map(|p| quote!(Pattern::new(#p)));
        let rules = self.rules.iter().map(rule_tokens);
        let formats = self.formats.iter().map(format_tokens);
        let methods = &self.methods;
        let (np, nr, nf, nm) = (
            self.patterns.len(),
            self.rules.len(),
            self.formats.len(),
            self.methods.len(),
        );
        quote! {
            /// The catalogue's tables (read them through `crate::catalog`).
            #[doc(hidden)]
            pub mod __catalog {
                use crate::catalog::{Method as M, Param as P, Pattern, PropFormat as F, PropKey as K, Rule, Ty};
                use crate::typed::HttpMethod as H;
                /// A parameter of rule `R[rule]`, with PVE's texts.
                const fn p(
                    name: &'static str,
                    rule: usize,
                    description: &'static str,
                    type_text: &'static str,
                    default: ::std::option::Option<&'static str>,
                ) -> P {
                    P::new(name, &R[rule]).with_doc(description, type_text, default)
                }
                /// A key of rule `R[rule]`.
                const fn k(key: &'static str, rule: usize) -> K {
                    K::new(key, &R[rule])
                }
                /// Every distinct schema pattern.
                pub static PATTERNS: [Pattern; #np] = [#(#patterns),*];
                /// Every distinct rule.
                pub static R: [Rule; #nr] = [#(#rules),*];
                /// Every distinct property-string format.
                pub static FORMATS: [F; #nf] = [#(#formats),*];
                /// Every method, path by path.
                pub static METHODS: [M; #nm] = [#(#methods),*];
            }
        }
    }
}

impl PropKeyRow {
    fn key(&self) -> &str {
        match self {
            PropKeyRow::Key { key, .. } | PropKeyRow::Alias { key, .. } => key,
        }
    }
}

fn option(text: Option<&str>) -> TokenStream {
    match text {
        Some(t) => quote!(Some(#t)),
        None => quote!(None),
    }
}

/// A number of the schema as an `f64` literal (the generator has checked it is one).
fn number(text: &str) -> Literal {
    Literal::f64_unsuffixed(text.parse::<f64>().unwrap_or_default())
}

fn rule_tokens(rule: &RuleRow) -> TokenStream {
    let ty = format_ident!(
        "{}",
        match rule.ty {
            RuleTy::Bool => "Bool",
            RuleTy::Int => "Int",
            RuleTy::Num => "Num",
            RuleTy::Str => "Str",
            RuleTy::Any => "Any",
        }
    );
    let optional = rule.optional;
    let mut out = quote!(Rule::new(Ty::#ty, #optional));
    if !rule.enum_values.is_empty() {
        let values = &rule.enum_values;
        out.extend(quote!(.with_enum(&[#(#values),*])));
    }
    if !rule.enum_versions.is_empty() {
        let values = rule.enum_versions.iter().map(|(value, versions)| {
            let versions = Literal::u32_unsuffixed(*versions);
            quote!((#value, #versions))
        });
        out.extend(quote!(.with_enum_versions(&[#(#values),*])));
    }
    if let Some(min) = &rule.minimum {
        let min = number(min);
        out.extend(quote!(.with_min(#min)));
    }
    if let Some(max) = &rule.maximum {
        let max = number(max);
        out.extend(quote!(.with_max(#max)));
    }
    let length = |n: u64| Literal::u32_unsuffixed(u32::try_from(n).unwrap_or(u32::MAX));
    if let Some(min) = rule.min_length.map(length) {
        out.extend(quote!(.with_min_length(#min)));
    }
    if let Some(max) = rule.max_length.map(length) {
        out.extend(quote!(.with_max_length(#max)));
    }
    if let Some(at) = rule.pattern {
        let at = Literal::usize_unsuffixed(at);
        out.extend(quote!(.with_pattern(&PATTERNS[#at])));
    }
    match &rule.format {
        FormatRow::None => {}
        FormatRow::Named(name) => out.extend(quote!(.with_format(#name))),
        FormatRow::List(item) => out.extend(quote!(.with_list(#item))),
        FormatRow::Prop(at) => {
            let at = Literal::usize_unsuffixed(*at);
            out.extend(quote!(.with_prop(&FORMATS[#at])));
        }
    }
    if let Some(other) = &rule.requires {
        out.extend(quote!(.with_requires(#other)));
    }
    out
}

fn format_tokens(format: &PropFormatRow) -> TokenStream {
    let name = &format.name;
    let default_key = option(format.default_key.as_deref());
    let keys = format.keys.iter().map(|key| match key {
        PropKeyRow::Key {
            key,
            rule,
            versions,
        } => {
            let rule = Literal::usize_unsuffixed(*rule);
            let versions = versions.map(|v| {
                let v = Literal::u32_unsuffixed(v);
                quote!(.with_versions(#v))
            });
            quote!(k(#key, #rule) #versions)
        }
        PropKeyRow::Alias {
            key,
            target,
            key_alias,
        } => {
            let key_alias = option(key_alias.as_deref());
            quote!(K::alias(#key, #target, #key_alias))
        }
    });
    quote!(F::new(#name, #default_key, &[#(#keys),*]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Identical rules and formats are written once; every method has its entry.
    #[test]
    fn the_vendored_catalogue_is_interned() {
        let built = crate::generate::vendored();
        let catalog = &built.catalog;
        let rules_used: usize = built_methods(&built.api.root)
            .iter()
            .map(|m| m.catalog_params.len())
            .sum();
        eprintln!(
            "catalogue: {} methods, {rules_used} parameters, {} rules, {} formats, {} patterns",
            catalog.methods.len(),
            catalog.rules.len(),
            catalog.formats.len(),
            catalog.patterns.len()
        );
        assert_eq!(catalog.methods.len(), 676);
        assert!(catalog.rules.len() * 2 < rules_used, "rules are shared");
        let mut keys: Vec<String> = catalog.rules.iter().map(|r| format!("{r:?}")).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), catalog.rules.len());
    }

    fn built_methods(m: &ModIr) -> Vec<&MethodIr> {
        let mut out: Vec<&MethodIr> = m.methods.iter().collect();
        for child in &m.children {
            out.extend(built_methods(child));
        }
        out
    }

    /// Every schema lists a method's parameters by name (a family by its prefix): the order
    /// of PVE's checks is the order by name the catalogue keeps them in for look-ups.
    #[test]
    fn schemas_list_parameters_by_name() {
        fn walk(nodes: &[crate::apidoc::Node], checked: &mut usize) {
            for node in nodes {
                for method in &node.methods {
                    let names: Vec<(&str, bool)> = method
                        .params
                        .iter()
                        .map(|(wire, _)| match wire.strip_suffix("[n]") {
                            Some(prefix) => (prefix, true),
                            None => (wire.as_str(), false),
                        })
                        .collect();
                    let mut sorted = names.clone();
                    sorted.sort();
                    assert_eq!(names, sorted, "{} {}", method.verb.upper(), node.path);
                    *checked += 1;
                }
                walk(&node.children, checked);
            }
        }
        let built = crate::generate::vendored();
        let mut checked = 0;
        for file in &built.files {
            walk(&file.tree.roots, &mut checked);
        }
        assert!(checked > 1900, "{checked} methods");
    }
}
