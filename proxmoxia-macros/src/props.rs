//! Property-string formats -> typed structs in `crate::api::formats`.
//!
//! One struct per distinct format (identical formats shared), named after the first place
//! it is used (see [`candidate_names`]): `net[n]` of `/nodes/{node}/qemu` is `QemuNet`,
//! `rootfs` of `/nodes/{node}/lxc` is `LxcRootfs`, `bwlimit` of `/cluster/options` is
//! `ClusterOptionsBwlimit`. The format itself (keys, aliases, rules) goes to the runtime as
//! JSON; the struct only names the keys and their Rust types.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::docs;
use crate::ir::{ArgKind, FieldIr, How, Registry, TypeIr};
use crate::json::{Map, Value};
use crate::names::{self, Scope};
use crate::rules;
use crate::schema::Schema;

/// A property-string type to generate.
pub struct FormatIr {
    /// The schema's format object it was made from.
    pub source: Map,
    pub ident: Ident,
    pub doc: String,
    /// The format as the runtime reads it (`crate::typed::rules::PropFormat`).
    pub json: Value,
    pub fields: Vec<FieldIr>,
    pub enums: Vec<TypeIr>,
    pub constructors: Vec<Constructor>,
}

/// `QemuNet::virtio()`: a value with the key-alias field set (`model` = `virtio`).
pub struct Constructor {
    pub ident: Ident,
    pub field: Ident,
    pub value: TokenStream,
    pub doc: String,
}

/// Methods every property-string type has. A key with one of these names gets a trailing
/// `_` on its field and setter (`clone` of a bandwidth limit is `clone_`), like keywords.
const RESERVED: &[&str] = &[
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

/// Where a property string is used.
pub struct Site<'a> {
    pub path: &'a str,
    pub verb: &'a str,
    /// In an answer (which may reuse a format with more keys).
    pub answer: bool,
}

/// Candidate names of a format used for `param` at `site`, in order of preference: the
/// path's segments up to its first parameter (without a leading `nodes/{node}`) and the
/// parameter (without `[n]` or a trailing number); then all the path's segments; then those
/// and the method. `net[n]` of `/nodes/{node}/qemu` is `QemuNet`.
fn candidate_names(site: &Site<'_>, param: &str) -> [String; 3] {
    let mut segments: Vec<&str> = site.path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.starts_with(&["nodes", "{node}"]) {
        segments.drain(..2);
    }
    let param = names::pascal(
        param
            .trim_end_matches("[n]")
            .trim_end_matches(|c: char| c.is_ascii_digit()),
    );
    let pascal = |segs: &[&str]| -> String {
        segs.iter()
            .map(|s| names::pascal(s.trim_start_matches('{').trim_end_matches('}')))
            .collect()
    };
    let literal_prefix: Vec<&str> = segments
        .iter()
        .take_while(|s| !s.starts_with('{'))
        .copied()
        .collect();
    [
        format!("{}{param}", pascal(&literal_prefix)),
        format!("{}{param}", pascal(&segments)),
        format!("{}{}{param}", pascal(&segments), names::pascal(site.verb)),
    ]
}

/// The type and runtime format (JSON) of `format`, used for `param` at `site` (`schema` is
/// the parameter's, for documentation). The first use defines the struct; later uses find it.
pub fn prop_type(
    reg: &mut Registry,
    site: &Site<'_>,
    param: &str,
    format: &Map,
    schema: &Schema,
) -> Result<(TokenStream, Value), String> {
    // Formats that differ only in prose are one type (the first use's docs).
    let shape = without_text(&Value::Object(format.clone()));
    let shape = match shape {
        Value::Object(keys) => Value::Object(
            keys.iter()
                .map(|(k, v)| (k.clone(), without_text(v)))
                .collect(),
        ),
        other => other,
    }
    .to_string();
    let index = match reg.format_index.get(&shape) {
        Some(i) => *i,
        None if reg.recording => {
            let names = candidate_names(site, param);
            let taken = |name: &str| reg.formats.iter().position(|f| f.ident == name);
            // An answer may be read with a format that has more keys (the writable ones) and
            // other descriptions: then it shares the parameter's type, so what is read
            // back compares equal to what was sent.
            let superset = taken(&names[0]).filter(|i| {
                site.answer
                    && format.iter().all(|(k, v)| {
                        reg.formats[*i]
                            .source
                            .get(k)
                            .is_some_and(|w| without_text(w) == without_text(v))
                    })
            });
            let i = match superset {
                Some(i) => i,
                None => {
                    let name = names.iter().find(|n| taken(n).is_none()).ok_or_else(|| {
                        format!(
                            "name collision in the module api::formats: {} (for `{param}` at {} {}) are all taken",
                            names.join(", "),
                            site.verb,
                            site.path
                        )
                    })?;
                    let ir = build(reg, &name.clone(), site.path, param, format, schema)?;
                    reg.formats.push(ir);
                    reg.formats.len() - 1
                }
            };
            reg.format_index.insert(shape, i);
            i
        }
        None => {
            return Err(format!(
                "internal: format of {param} at {} was not registered",
                site.path
            ));
        }
    };
    let ir = &reg.formats[index];
    let ident = &ir.ident;
    Ok((quote!(crate::api::formats::#ident), ir.json.clone()))
}

/// A key's schema without its prose (descriptions differ between a parameter and an answer).
fn without_text(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "description" | "verbose_description" | "format_description" | "typetext"
                    )
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn build(
    reg: &mut Registry,
    name: &str,
    path: &str,
    param: &str,
    format: &Map,
    schema: &Schema,
) -> Result<FormatIr, String> {
    let origin = format!("the property string of `{param}` at {path}");
    reg.format_scope.claim(name, &origin)?;
    let mut fields = Vec::new();
    let mut keys = Vec::new();
    let mut enums = Vec::new();
    let mut aliases: Vec<(String, String, Option<String>)> = Vec::new();
    let mut members = Scope::new(format!("methods of {name}"));
    for reserved in RESERVED {
        members.claim(reserved, "a generated method")?;
    }
    let mut default_key = None;
    for (key, value) in format {
        let key_schema = Schema::from_value(value);
        let mut entry = Map::new();
        entry.insert("k".into(), Value::String(key.clone()));
        if let Some(target) = key_schema.str("alias") {
            entry.insert("a".into(), Value::String(target.to_owned()));
            let key_alias = key_schema.str("keyAlias").map(str::to_owned);
            if let Some(ka) = &key_alias {
                entry.insert("ka".into(), Value::String(ka.clone()));
            }
            keys.push(Value::Object(entry));
            aliases.push((key.clone(), target.to_owned(), key_alias));
            continue;
        }
        if crate::schema::truthy(key_schema.get("default_key")) {
            default_key = Some(key.clone());
        }
        let snake = names::snake(key);
        let ident = if RESERVED.contains(&snake.as_str()) {
            names::ident(&format!("{snake}_"))
        } else {
            names::ident(&snake)
        };
        members.claim(&ident.to_string(), &format!("key `{key}`"))?;
        let key_site = Site {
            path,
            verb: "",
            answer: false,
        };
        let (rule, _) = rules::rule(
            reg,
            &key_site,
            key,
            &key_schema,
            key_schema.optional(),
            true,
        )?;
        entry.insert("r".into(), Value::Object(rule));
        keys.push(Value::Object(entry));
        let value_ty = match crate::fixups::infer_type(&key_schema) {
            "boolean" => quote!(bool),
            "integer" => quote!(i64),
            "number" => quote!(f64),
            "string" => match key_schema.enum_values() {
                Some(values) => {
                    let enum_name = format!("{name}{}", names::pascal(key));
                    reg.format_scope
                        .claim(&enum_name, &format!("the enum of key `{key}` of {name}"))?;
                    enums.push(enum_ir(&enum_name, key, &values, &key_schema)?);
                    let ident = names::ident(&enum_name);
                    quote!(#ident)
                }
                None => quote!(::std::string::String),
            },
            _ => quote!(::std::string::String),
        };
        fields.push(FieldIr {
            wire: key.clone(),
            ident,
            how: How::Field,
            doc: key_doc(key, &key_schema),
            optional: true,
            value_ty,
            arg: ArgKind::Plain,
        });
    }
    // `virtio=MAC` keys: a constructor per value of the key-alias field.
    let mut constructors = Vec::new();
    for (key, target, key_alias) in &aliases {
        let Some(field) = key_alias
            .as_ref()
            .and_then(|ka| fields.iter().find(|f| &f.wire == ka))
        else {
            continue;
        };
        let ctor = names::snake(key);
        members.claim(&ctor, &format!("the constructor for `{key}`"))?;
        let ty = &field.value_ty;
        let value = if ty.to_string().contains("String") {
            quote!(#key)
        } else {
            quote!(<#ty>::from(#key))
        };
        constructors.push(Constructor {
            ident: names::ident(&ctor),
            field: field.ident.clone(),
            value,
            doc: format!(
                "A value with `{}` set to `{key}` (written `{key}=<{target}>`).",
                field.wire
            ),
        });
    }
    let mut doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("The property string of `{param}`."));
    doc.push_str(&format!("\n\nFirst used by `{param}` of `{path}`."));
    if let Some(t) = schema.str("typetext") {
        doc.push_str(&format!(" Written as {}.", docs::code(t.trim())));
    }
    let mut json = Map::new();
    json.insert("name".into(), Value::String(name.to_owned()));
    if let Some(dk) = default_key {
        json.insert("dk".into(), Value::String(dk));
    }
    json.insert("k".into(), Value::Array(keys));
    Ok(FormatIr {
        source: format.clone(),
        ident: format_ident!("{}", name),
        doc,
        json: Value::Object(json),
        fields,
        enums,
        constructors,
    })
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

fn enum_ir(name: &str, key: &str, values: &[String], schema: &Schema) -> Result<TypeIr, String> {
    let mut variants = Scope::new(format!("variants of {name}"));
    variants.claim("Unrecognized", "the catch-all variant")?;
    let mut out: Vec<(Ident, String)> = Vec::new();
    for v in values {
        if out.iter().any(|(_, w)| w == v) {
            continue;
        }
        let variant = names::pascal(v);
        variants.claim(&variant, &format!("value {v:?}"))?;
        out.push((names::ident(&variant), v.clone()));
    }
    let doc = schema
        .description()
        .map(docs::escape)
        .unwrap_or_else(|| format!("Values of `{key}`."));
    Ok(TypeIr::Enum {
        ident: names::ident(name),
        doc,
        values: out,
        open: true,
    })
}
