//! Property-string formats -> typed structs in `crate::api::formats`.
//!
//! Every place a property string is used (a parameter, an answer field, an array's items) is
//! a *site*, and each site's type is named by one rule, [`format_name`]: the path's literal
//! segments up to its first parameter (without a leading `nodes/{node}`) and the parameter
//! (without `[n]` or a trailing number). `net[n]` of `/nodes/{node}/qemu` and of
//! `/nodes/{node}/qemu/{vmid}/config` are both `QemuNet`; `rootfs` of `/nodes/{node}/lxc`
//! is `LxcRootfs`. The name depends only on the site, never on which versions are vendored or
//! in which order the schema is walked.
//!
//! All sites of one name share one struct, the union of their formats (every key, widened as
//! versions are). Names whose structs come out identical are one type: the alphabetically
//! first defines it and the others are re-exports of it. Each site keeps its own rules for
//! validation (a key only one site accepts is refused at the others).

use std::collections::{BTreeMap, BTreeSet};

use crate::apidoc::{Format, Node, Schema};
use crate::docs;
use crate::fixups;
use crate::ir::{Constructor, FieldIr, FormatDef, Formats, How, Ty};
use crate::json::{Map, Value};
use crate::merge;
use crate::names::{self, Name, Scope};
use crate::rules::{self, PropFormatIr, PropKeyIr};

/// Methods every property-string type has. A key with one of these names gets a trailing
/// `_` on its field and setter (`clone` of a bandwidth limit is `clone_`), like keywords.
pub const RESERVED: &[&str] = &[
    "new",
    "parse",
    "unparsed",
    "extra",
    "default",
    "clone",
    "fmt",
    "eq",
    "ne",
    "to_string",
    "from_str",
    "into",
    "hash",
];

/// The type name of the property string of `param` at `path` (see the module docs).
pub fn format_name(path: &str, param: &str) -> String {
    let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.starts_with(&["nodes", "{node}"]) {
        segments.drain(..2);
    }
    let prefix: String = segments
        .iter()
        .take_while(|s| !s.starts_with('{'))
        .map(|s| names::pascal(s))
        .collect();
    let param = param
        .trim_end_matches("[n]")
        .trim_end_matches(|c: char| c.is_ascii_digit());
    format!("{prefix}{}", names::pascal(param))
}

/// One use of a property string.
struct Site {
    /// `net[n] of POST /nodes/{node}/qemu`, for docs and messages.
    label: String,
    /// The format object (merged over versions).
    format: Map,
    /// The parameter's or field's schema, for docs.
    schema: Schema,
}

impl Formats {
    /// The property strings of every site of `tree` (merged over versions).
    pub fn of(roots: &[Node]) -> Result<Formats, String> {
        let mut sites: BTreeMap<String, Vec<Site>> = BTreeMap::new();
        collect(roots, &mut sites);
        let mut built: Vec<(String, FormatDef, String)> = Vec::new();
        for (name, sites) in &sites {
            let formats: Vec<&Map> = sites.iter().map(|s| &s.format).collect();
            let union = merge::union_formats(&formats);
            let def = build(name, &union, sites)?;
            let shape = def_shape(&def);
            built.push((name.clone(), def, shape));
        }
        // Identical structs are one type, defined under the first name.
        let mut formats = Formats::default();
        let mut by_shape: BTreeMap<String, usize> = BTreeMap::new();
        let mut scope = Scope::new("the module api::formats");
        for (name, def, shape) in built {
            scope.claim(&name, &format!("the property string {name}"))?;
            for (suffix, _) in &def.enums {
                scope.claim(
                    &format!("{name}{suffix}"),
                    &format!("the enum of a key of {name}"),
                )?;
            }
            let index = match by_shape.get(&shape) {
                Some(i) => {
                    let existing = &mut formats.defs[*i];
                    existing.names.insert(name.clone());
                    existing.doc.push_str(&format!("\n\nAlso named `{name}`."));
                    *i
                }
                None => {
                    formats.defs.push(def);
                    by_shape.insert(shape, formats.defs.len() - 1);
                    formats.defs.len() - 1
                }
            };
            formats.by_name.insert(name, index);
        }
        Ok(formats)
    }

    /// The runtime format of one site: its own keys and rules, named after its type.
    pub fn site_rule(&self, name: &str, format: &Map) -> Result<PropFormatIr, String> {
        if !self.by_name.contains_key(name) {
            return Err(format!("internal: no property-string type {name}"));
        }
        runtime_format(name, format)
    }
}

/// Collects every site of every path under `nodes`.
fn collect(nodes: &[Node], out: &mut BTreeMap<String, Vec<Site>>) {
    for node in nodes {
        for m in &node.methods {
            let at = format!("{} {}", m.verb.upper(), node.path);
            for (param, schema) in &m.params {
                site(
                    &node.path,
                    param,
                    &format!("`{param}` of {at}"),
                    schema,
                    out,
                );
            }
            if let Some(returns) = &m.returns {
                answer_sites(&node.path, "", &at, returns, out);
            }
        }
        collect(&node.children, out);
    }
}

/// A parameter or field `param` whose schema is `schema`: a site if it (or its array's
/// items) is a property string.
fn site(
    path: &str,
    param: &str,
    label: &str,
    schema: &Schema,
    out: &mut BTreeMap<String, Vec<Site>>,
) {
    let value = match (fixups::infer_type(schema), schema.items()) {
        ("array", Some(items)) => items,
        _ => schema.clone(),
    };
    if fixups::infer_type(&value) != "string" {
        return;
    }
    if let Some(Format::Object(format)) = value.format() {
        out.entry(format_name(path, param)).or_default().push(Site {
            label: label.to_owned(),
            format: format.clone(),
            schema: schema.clone(),
        });
    }
}

/// The sites inside an answer: each field is named by its own name; array items and map
/// values by the field that holds them.
fn answer_sites(
    path: &str,
    field: &str,
    at: &str,
    schema: &Schema,
    out: &mut BTreeMap<String, Vec<Site>>,
) {
    let label = format!("answer field `{field}` of {at}");
    if !field.is_empty() {
        site(path, field, &label, schema, out);
    }
    for (name, inner) in schema.properties().unwrap_or_default() {
        answer_sites(path, &name, at, &inner, out);
    }
    if let Some(items) = schema.items() {
        if items.properties().is_some() {
            answer_sites(path, "", at, &items, out);
        }
    }
    if let Some(values) = schema.additional_schema() {
        if values.properties().is_some() {
            answer_sites(path, "", at, &values, out);
        } else if !field.is_empty() {
            site(path, field, &label, &values, out);
        }
    }
}

/// The runtime format of `format` under the type name `name`.
fn runtime_format(name: &str, format: &Map) -> Result<PropFormatIr, String> {
    let mut keys = Vec::new();
    let mut default_key = None;
    for (key, value) in format {
        let key_schema = Schema::from_value(value);
        if let Some(target) = key_schema.str("alias") {
            keys.push(PropKeyIr::Alias {
                key: key.clone(),
                target: target.to_owned(),
                key_alias: key_schema.str("keyAlias").map(str::to_owned),
            });
            continue;
        }
        if crate::apidoc::truthy(key_schema.get("default_key")) {
            default_key = Some(key.clone());
        }
        let rule = rules::rule(&key_schema, key_schema.optional(), &mut |_| {
            Err("it is a property string itself".into())
        })
        .map_err(|e| format!("property string {name}: key `{key}`: {e}"))?;
        keys.push(PropKeyIr::Key {
            key: key.clone(),
            rule,
            versions: key_schema.versions(),
        });
    }
    Ok(PropFormatIr {
        name: name.to_owned(),
        default_key,
        keys,
    })
}

/// The struct of the union `format` of `sites`, all named `name`.
fn build(name: &str, format: &Map, sites: &[Site]) -> Result<FormatDef, String> {
    let runtime = runtime_format(name, format)?;
    let mut fields = Vec::new();
    let mut enums = Vec::new();
    let mut members = Scope::new(format!("methods of {name}"));
    for reserved in RESERVED {
        members.claim(reserved, "a generated method")?;
    }
    for (key, value) in format {
        let key_schema = Schema::from_value(value);
        if key_schema.str("alias").is_some() {
            continue;
        }
        let snake = names::snake(key);
        let field = if RESERVED.contains(&snake.as_str()) {
            Name::new(&format!("{snake}_"))
        } else {
            Name::new(&snake)
        };
        members.claim(field.as_str(), &format!("key `{key}`"))?;
        let ty = match fixups::infer_type(&key_schema) {
            "boolean" => Ty::Bool,
            "integer" => Ty::I64,
            "number" => Ty::F64,
            "string" => match key_schema.enum_values() {
                Some(values) => {
                    let suffix = names::pascal(key);
                    let versions = key_schema.enum_versions();
                    let enum_ir = crate::ir::enum_ir(
                        &format!("{name}{suffix}"),
                        key,
                        &rules::dedup(values),
                        &versions,
                        true,
                        &key_schema,
                    )?;
                    enums.push((suffix.clone(), enum_ir));
                    Ty::Format(format!("{name}{suffix}"))
                }
                None => Ty::String,
            },
            _ => Ty::String,
        };
        fields.push(FieldIr {
            wire: key.clone(),
            name: field,
            how: How::Field,
            optional: true,
            ty,
            doc: key_doc(key, &key_schema),
            versions: key_schema.versions(),
            supplement: None,
            hidden: false,
        });
    }
    // `virtio=MAC` keys: a constructor per value of the key-alias field.
    let mut constructors = Vec::new();
    for key in &runtime.keys {
        let PropKeyIr::Alias {
            key,
            target,
            key_alias: Some(ka),
        } = key
        else {
            continue;
        };
        let Some(field) = fields.iter().find(|f| &f.wire == ka) else {
            continue;
        };
        let ctor = names::snake(key);
        members.claim(&ctor, &format!("the constructor for `{key}`"))?;
        constructors.push(Constructor {
            name: Name::new(&ctor),
            field: field.name.clone(),
            key: key.clone(),
            enum_type: match &field.ty {
                Ty::Format(e) => Some(e.clone()),
                _ => None,
            },
            doc: format!(
                "A value with `{}` set to `{key}` (written `{key}=<{target}>`).",
                field.wire
            ),
        });
    }
    Ok(FormatDef {
        names: BTreeSet::from([name.to_owned()]),
        doc: format_doc(name, sites),
        runtime,
        fields,
        enums,
        constructors,
    })
}

/// What makes two structs one type: keys, types, rules, aliases (not the docs or names).
fn def_shape(def: &FormatDef) -> String {
    let mut runtime = def.runtime.clone();
    runtime.name.clear();
    let fields: Vec<String> = def
        .fields
        .iter()
        .map(|f| {
            let ty = match &f.ty {
                // Enums of keys are compared by their values.
                Ty::Format(_) => "enum".to_owned(),
                other => format!("{other:?}"),
            };
            format!("{} {} {ty} {:?}", f.wire, f.name, f.versions)
        })
        .collect();
    let enums: Vec<String> = def
        .enums
        .iter()
        .map(|(suffix, e)| format!("{suffix} {:?}", e.values))
        .collect();
    format!("{runtime:?} | {} | {}", fields.join(";"), enums.join(";"))
}

fn format_doc(name: &str, sites: &[Site]) -> String {
    let first = &sites[0];
    let mut doc = first
        .schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("The property string `{name}`."));
    let typetext = first.schema.str("typetext").map(str::to_owned).or_else(|| {
        first
            .schema
            .items()
            .and_then(|i| i.str("typetext").map(str::to_owned))
    });
    if let Some(t) = typetext {
        doc.push_str(&format!("\n\nWritten as {}.", docs::code(t.trim())));
    }
    if let Some(named) = first.schema.str(merge::FORMAT_NAME) {
        doc.push_str(&format!(" PVE's format `{named}`."));
    }
    let used: Vec<&str> = sites.iter().map(|s| s.label.as_str()).collect();
    doc.push_str(&format!("\n\nUsed by {}.", used.join(", ")));
    doc
}

fn key_doc(key: &str, schema: &Schema) -> String {
    let mut doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("`{key}`."));
    if let Some(d) = schema.get("default") {
        let d = match d {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        doc.push_str(&format!("\n\nDefault: {}.", docs::code(&d)));
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_site() {
        assert_eq!(format_name("/nodes/{node}/qemu", "net[n]"), "QemuNet");
        assert_eq!(
            format_name("/nodes/{node}/qemu/{vmid}/config", "net[n]"),
            "QemuNet"
        );
        assert_eq!(format_name("/nodes/{node}/lxc", "rootfs"), "LxcRootfs");
        assert_eq!(
            format_name("/cluster/options", "bwlimit"),
            "ClusterOptionsBwlimit"
        );
        assert_eq!(
            format_name(
                "/nodes/{node}/qemu/{vmid}/remote_migrate",
                "target-endpoint"
            ),
            "QemuTargetEndpoint"
        );
        assert_eq!(
            format_name("/nodes/{node}/lxc/{vmid}/remote_migrate", "target-endpoint"),
            "LxcTargetEndpoint"
        );
        assert_eq!(
            format_name("/cluster/mapping/dir", "map"),
            "ClusterMappingDirMap"
        );
    }
}
