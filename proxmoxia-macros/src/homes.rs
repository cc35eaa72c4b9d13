//! Homes of shared types. A type used at two or more sites (method module and name) is
//! defined once in a `shared` module that belongs to no single endpoint; every site
//! re-exports it under its own name, so no shared type is defined under one endpoint's
//! path.
//!
//! The rule (documented in the README, "Shared types"):
//! * module: `shared` in the module of the longest path all its sites' paths start with;
//! * name: the PascalCase of the module segments all its sites' method modules end with below
//!   that module (the verb included), then the shortest of its sites' names (alphabetically
//!   first among equals): `api::nodes::node::shared::VmidConfigGetParams`;
//! * tie: types that would get the same path are each named instead after one of their sites,
//!   the one with the fewest module segments (the alphabetically first among equals): all
//!   its module segments below the home's module, then its name;
//! * anything still colliding (or a path segment named `shared`) is a build error.
//!
//! A home depends only on its own sites (and, for a tie, on the sites of the types it ties
//! with): never on the order of the walk or on types elsewhere.

use std::collections::BTreeMap;

use crate::ir::{
    Api, Home, ModIr, ModPath, ParamsIr, RequiredIr, SharedModule, Site, StructIr, TypeDef, TypeKey,
};
use crate::names::{self, Name, Scope};
use crate::versions::Mask;

/// The module every home is named `shared` in.
pub const SHARED: &str = "shared";

/// One site of a type: the method that names it.
struct Use {
    /// `GET /nodes/{node}/lxc`.
    endpoint: String,
    /// The versions of the parameter or field it types.
    versions: Mask,
}

/// Gives every type with two or more sites its home and fills `api.shared`.
pub fn assign(api: &mut Api) -> Result<(), String> {
    let mut uses: BTreeMap<TypeKey, BTreeMap<Site, Use>> = BTreeMap::new();
    let mut modules: BTreeMap<ModPath, &ModIr> = BTreeMap::new();
    collect(&api.root, &mut uses, &mut modules);

    // The first choice of each shared type; types that choose the same path tie.
    let mut wanted: BTreeMap<(ModPath, String), Vec<TypeKey>> = BTreeMap::new();
    for (key, group) in api.types.iter().enumerate() {
        if group.sites.len() < 2 {
            continue;
        }
        let sites: Vec<&Site> = group.sites.keys().collect();
        let parent = common_parent(&sites);
        let name = first_choice(&sites, &parent);
        wanted.entry((parent, name)).or_default().push(key);
    }
    let mut homes: Vec<(TypeKey, ModPath, String)> = Vec::new();
    for ((parent, name), keys) in wanted {
        if let [key] = keys[..] {
            homes.push((key, parent, name));
            continue;
        }
        for key in keys {
            let site = api.types[key]
                .sites
                .keys()
                .min_by(|a, b| a.module.0.len().cmp(&b.module.0.len()).then(a.cmp(b)));
            let Some(site) = site else {
                continue;
            };
            homes.push((key, parent.clone(), tie_name(site, &parent)));
        }
    }

    let mut scopes: BTreeMap<ModPath, Scope> = BTreeMap::new();
    for (key, parent, name) in &homes {
        let Some(module) = modules.get(parent) else {
            return Err(format!(
                "internal: no module {parent} for the shared type {name}"
            ));
        };
        if let Some(child) = module.children.iter().find(|c| c.name.as_str() == SHARED) {
            return Err(format!(
                "name collision in {parent}: `{SHARED}` would stand for both the path {} and \
                 the module of the types shared below it",
                child.path
            ));
        }
        let scope = scopes
            .entry(parent.clone())
            .or_insert_with(|| Scope::new(format!("types shared below {parent}")));
        scope.claim(name, &describe(&api.types[*key].sites))?;
    }

    let mut shared: BTreeMap<ModPath, SharedModule> = BTreeMap::new();
    for (key, parent, name) in homes {
        let group = &api.types[key];
        let Some((_, first_def)) = group.canonical() else {
            continue;
        };
        let sites = uses.remove(&key).unwrap_or_default();
        let versions = sites.values().fold(0, |all, u| all | u.versions);
        let doc = home_doc(first_def, group.sites.values(), &sites, api);
        let home = Home {
            site: Site {
                module: parent.join(Name::new(SHARED)),
                name,
            },
            def: with_doc(first_def, doc),
            versions,
        };
        shared.entry(parent).or_default().types.push(key);
        api.types[key].home = Some(home);
    }

    // A shared `Params` names its `Required` by a bare identifier (`by X` of
    // `pve_params_struct!`): imported when it lives elsewhere.
    for (parent, module) in &mut shared {
        let mut imports = Vec::new();
        for key in &module.types {
            let Some(Home {
                def:
                    TypeDef::Params(ParamsIr {
                        required: Some(required),
                        ..
                    }),
                site,
                ..
            }) = &api.types[*key].home
            else {
                continue;
            };
            let Some(at) = api.types[*required].defined_at() else {
                continue;
            };
            if at.module != site.module && !imports.contains(required) {
                let scope = scopes
                    .entry(parent.clone())
                    .or_insert_with(|| Scope::new(format!("types shared below {parent}")));
                scope.claim(
                    &at.name,
                    &format!("the import of {}::{}", at.module, at.name),
                )?;
                imports.push(*required);
            }
        }
        module.imports = imports;
        module
            .types
            .sort_by(|a, b| home_name(api, *a).cmp(home_name(api, *b)));
    }
    api.shared = shared;
    Ok(())
}

fn home_name(api: &Api, key: TypeKey) -> &str {
    api.types[key]
        .home
        .as_ref()
        .map_or("", |h| h.site.name.as_str())
}

/// Every module of the tree, and every site of every type with its method.
fn collect<'a>(
    m: &'a ModIr,
    uses: &mut BTreeMap<TypeKey, BTreeMap<Site, Use>>,
    modules: &mut BTreeMap<ModPath, &'a ModIr>,
) {
    modules.insert(m.module.clone(), m);
    for method in &m.methods {
        for t in &method.types {
            let site = Site {
                module: method.module.clone(),
                name: t.name.clone(),
            };
            let endpoint = format!("{} {}", method.verb.upper(), method.path);
            uses.entry(t.key).or_default().insert(
                site,
                Use {
                    endpoint,
                    versions: t.versions,
                },
            );
        }
    }
    for child in &m.children {
        collect(child, uses, modules);
    }
}

/// The module of the longest path all sites are under (a site's path is its method
/// module's parent).
fn common_parent(sites: &[&Site]) -> ModPath {
    let paths: Vec<&[Name]> = sites
        .iter()
        .map(|s| &s.module.0[..s.module.0.len().saturating_sub(1)])
        .collect();
    let mut common = Vec::new();
    if let Some(first) = paths.first() {
        for (i, segment) in first.iter().enumerate() {
            if paths.iter().all(|p| p.get(i) == Some(segment)) {
                common.push(segment.clone());
            } else {
                break;
            }
        }
    }
    ModPath(common)
}

/// The segments of a site's method module below `parent`.
fn below<'a>(site: &'a Site, parent: &ModPath) -> &'a [Name] {
    site.module.0.get(parent.0.len()..).unwrap_or_default()
}

fn pascal(segments: &[Name]) -> String {
    segments.iter().map(|s| names::pascal(s.bare())).collect()
}

/// The segments all sites' method modules end with below `parent`, in PascalCase, then the
/// shortest site name (alphabetically first among equals).
fn first_choice(sites: &[&Site], parent: &ModPath) -> String {
    let relative: Vec<&[Name]> = sites.iter().map(|s| below(s, parent)).collect();
    let shortest = relative.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut common = 0;
    while common < shortest {
        let at = |r: &&[Name]| r[r.len() - 1 - common].clone();
        let last = at(&relative[0]);
        if relative.iter().all(|r| at(r) == last) {
            common += 1;
        } else {
            break;
        }
    }
    let suffix = relative
        .first()
        .map_or(String::new(), |r| pascal(&r[r.len() - common..]));
    let name = sites
        .iter()
        .map(|s| s.name.as_str())
        .min_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)))
        .unwrap_or_default();
    format!("{suffix}{name}")
}

/// The name of a type that ties, after one of its sites: the site's module segments below
/// `parent`, then its name. Sites are unique, so two types never get the same one.
fn tie_name(site: &Site, parent: &ModPath) -> String {
    format!("{}{}", pascal(below(site, parent)), site.name)
}

/// A type for collision messages: its first site and how many it has.
fn describe(sites: &BTreeMap<Site, TypeDef>) -> String {
    match sites.keys().next() {
        Some(first) => format!(
            "the type of {}::{} ({} sites)",
            first.module,
            first.name,
            sites.len()
        ),
        None => "a type without sites".into(),
    }
}

fn doc_of(def: &TypeDef) -> &str {
    match def {
        TypeDef::Struct(s) => &s.doc,
        TypeDef::Enum(e) => &e.doc,
        TypeDef::Params(p) => &p.doc,
        TypeDef::Required(r) => &r.doc,
    }
}

fn with_doc(def: &TypeDef, doc: String) -> TypeDef {
    match def {
        TypeDef::Struct(s) => TypeDef::Struct(StructIr { doc, ..s.clone() }),
        TypeDef::Enum(e) => TypeDef::Enum(crate::ir::EnumIr { doc, ..e.clone() }),
        TypeDef::Params(p) => TypeDef::Params(ParamsIr { doc, ..p.clone() }),
        TypeDef::Required(r) => TypeDef::Required(RequiredIr { doc, ..r.clone() }),
    }
}

/// The home's docs: what the type is (the sites' own text when they all agree, else what
/// kind of type it is), then every site, linked, with the versions that use it there.
fn home_doc<'a>(
    first: &TypeDef,
    mut defs: impl Iterator<Item = &'a TypeDef>,
    sites: &BTreeMap<Site, Use>,
    api: &Api,
) -> String {
    let own = doc_of(first);
    let mut doc = if defs.all(|d| doc_of(d) == own) {
        own.to_owned()
    } else {
        match first {
            TypeDef::Struct(_) => "An object in the answers of the endpoints below.".into(),
            TypeDef::Enum(e) if e.open => "Values of answer fields of the endpoints below.\n\n\
                 Open: a value a newer PVE adds arrives as `Unrecognized`."
                .into(),
            TypeDef::Enum(_) => "Values of parameters of the endpoints below.".into(),
            TypeDef::Params(_) => "Parameters of the endpoints below.".into(),
            TypeDef::Required(r) => {
                let names: Vec<String> = r.fields.iter().map(|f| format!("`{}`", f.wire)).collect();
                format!(
                    "The required parameters of the endpoints below: {}. Give them by name; the \
                     optional ones are setters of the request.",
                    names.join(", ")
                )
            }
        }
    };
    doc.push_str(
        "\n\nShared: defined here once; each endpoint that uses it re-exports it under its \
         own name:\n",
    );
    for (site, u) in sites {
        let method = &site.module;
        doc.push_str(&format!(
            "\n* [`{}`](crate::{method}): `{}`",
            u.endpoint, site.name
        ));
        if let Some(words) = api.versions.describe(u.versions) {
            doc.push_str(&format!(" ({words})"));
        }
    }
    doc
}
