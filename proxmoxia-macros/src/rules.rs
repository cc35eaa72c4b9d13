//! Schema rules -> the compact JSON the runtime reads (`crate::typed::rules`).
//!
//! Rules are data: one string literal per endpoint costs the compiler nothing, where a
//! table of constant expressions costs seconds over the whole API.

use crate::fixups;
use crate::ir::Registry;
use crate::json::{Map, Value};
use crate::props::{self, Site};
use crate::schema::{Format, Schema};

/// A number-valued key (`minimum`, `maximum`, ...); PVE writes some as strings.
fn number(schema: &Schema, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|key| match schema.get(key)? {
        Value::Number(n) => n.parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn num(n: f64) -> Value {
    Value::Number(if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    })
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// The rule of `schema`, and whether it checks anything beyond the type (`optional` false
/// counts). `with_enum` adds the enum values (for open enums, whose Rust type admits others).
pub fn rule(
    reg: &mut Registry,
    site: &Site<'_>,
    param: &str,
    schema: &Schema,
    optional: bool,
    with_enum: bool,
) -> Result<(Map, bool), String> {
    // An array's items carry the rule; each item is checked.
    let schema = match (fixups::infer_type(schema), schema.items()) {
        ("array", Some(items)) => items,
        _ => schema.clone(),
    };
    let mut rule = Map::new();
    let ty = match fixups::infer_type(&schema) {
        "boolean" => "b",
        "integer" => "i",
        "number" => "n",
        "string" => "s",
        _ => "a",
    };
    rule.insert("t".into(), text(ty));
    let mut nontrivial = !optional;
    if optional {
        rule.insert("o".into(), num(1.0));
    }
    if with_enum {
        if let Some(values) = schema.enum_values() {
            rule.insert(
                "e".into(),
                Value::Array(values.iter().map(|v| text(v)).collect()),
            );
            nontrivial = true;
        }
    }
    for (key, names) in [
        ("min", &["minimum", "min"][..]),
        ("max", &["maximum", "max"][..]),
    ] {
        if let Some(n) = number(&schema, names) {
            rule.insert(key.into(), num(n));
            nontrivial = true;
        }
    }
    for (key, name) in [("minl", "minLength"), ("maxl", "maxLength")] {
        if let Some(n) = number(&schema, &[name]).filter(|n| *n >= 0.0) {
            rule.insert(key.into(), num(n));
            nontrivial = true;
        }
    }
    if let Some(pattern) = schema.str("pattern") {
        rule.insert("p".into(), text(&fixups::rust_pattern(pattern)));
        nontrivial = true;
    }
    match schema.format() {
        Some(Format::Object(format)) => {
            let (_, json) = props::prop_type(reg, site, param, format, &schema)?;
            rule.insert("prop".into(), json);
            nontrivial = true;
        }
        Some(Format::Named(name)) => {
            if let Some(format) = reg.named_format(name, &schema) {
                let (_, json) = props::prop_type(reg, site, param, &format, &schema)?;
                rule.insert("prop".into(), json);
            } else if let Some(item) = name.strip_suffix("-list") {
                rule.insert("l".into(), text(item));
            } else {
                rule.insert("f".into(), text(name));
            }
            nontrivial = true;
        }
        None => {}
    }
    if let Some(other) = schema.str("requires") {
        rule.insert("req".into(), text(other));
        nontrivial = true;
    }
    Ok((rule, nontrivial))
}

/// One entry of a parameter list.
pub fn param_entry(name: &str, indexed: bool, rule: Map) -> Value {
    let mut entry = Map::new();
    entry.insert("n".into(), text(name));
    if indexed {
        entry.insert("i".into(), num(1.0));
    }
    entry.insert("r".into(), Value::Object(rule));
    Value::Object(entry)
}
