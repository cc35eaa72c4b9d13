//! Schema rules as typed data, and their text form for the runtime.
//!
//! The generator decides every rule here ([`rule`]); the runtime reads the text
//! (`proxmoxia::typed::rules`, which documents the format and mirrors these types). Rules
//! travel as text because one string literal per endpoint costs the compiler nothing, where a
//! table of constant expressions costs seconds over the whole API.

use std::collections::BTreeMap;

use crate::fixups;
use crate::json::{Map, Value};
use crate::schema::{Format, Schema};
use crate::versions::Mask;

/// The JSON type a value must have on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleTy {
    Bool,
    Int,
    Num,
    Str,
    Any,
}

/// What a string must look like beyond length and pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleFormat {
    None,
    /// A named format (`pve-node`).
    Named(String),
    /// A list of items of a named format (`pve-configid` for `pve-configid-list`).
    List(String),
    /// A property string.
    Prop(Box<PropFormatIr>),
}

/// The rule of one value.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleIr {
    pub ty: RuleTy,
    pub optional: bool,
    /// Allowed values (empty: any).
    pub enum_values: Vec<String>,
    /// Values not every version allows.
    pub enum_versions: BTreeMap<String, Mask>,
    /// Numbers as the schema writes them (`16`, `0.5`).
    pub minimum: Option<String>,
    pub maximum: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// In the Rust regex dialect (see `fixups::rust_pattern`).
    pub pattern: Option<String>,
    pub format: RuleFormat,
    /// Another parameter (or key) that must come with this one.
    pub requires: Option<String>,
}

/// One parameter of an endpoint and its rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamRuleIr {
    /// The wire name; the prefix for an indexed family (`net`).
    pub name: String,
    pub indexed: bool,
    pub rule: RuleIr,
    /// The versions that have it, where not every version of the method does.
    pub versions: Option<Mask>,
    /// Where versions check it differently: each version's own rule (`rule` is the widest,
    /// for a client that does not know the cluster's version).
    pub by_version: Vec<(Mask, RuleIr)>,
}

/// A property-string format as the runtime reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PropFormatIr {
    /// The Rust type's name, for messages.
    pub name: String,
    /// The key a bare value stands for.
    pub default_key: Option<String>,
    pub keys: Vec<PropKeyIr>,
}

/// One key of a property-string format.
#[derive(Debug, Clone, PartialEq)]
pub enum PropKeyIr {
    Key {
        key: String,
        rule: RuleIr,
        versions: Option<Mask>,
    },
    /// Another name of `target`; with `key_alias`, writing `this=v` also sets `key_alias`
    /// to `this` (`virtio=MAC`: `model=virtio`, `macaddr=MAC`).
    Alias {
        key: String,
        target: String,
        key_alias: Option<String>,
    },
}

impl RuleIr {
    /// A rule that checks only the type.
    pub fn of_type(ty: RuleTy, optional: bool) -> RuleIr {
        RuleIr {
            ty,
            optional,
            enum_values: Vec::new(),
            enum_versions: BTreeMap::new(),
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
            pattern: None,
            format: RuleFormat::None,
            requires: None,
        }
    }

    /// Whether it checks more than its type (a required value counts).
    pub fn checks_more_than_type(&self) -> bool {
        !self.optional
            || !self.enum_values.is_empty()
            || !self.enum_versions.is_empty()
            || self.minimum.is_some()
            || self.maximum.is_some()
            || self.min_length.is_some()
            || self.max_length.is_some()
            || self.pattern.is_some()
            || self.format != RuleFormat::None
            || self.requires.is_some()
    }

    /// The text form (see the runtime's `typed::rules`).
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        let ty = match self.ty {
            RuleTy::Bool => "b",
            RuleTy::Int => "i",
            RuleTy::Num => "n",
            RuleTy::Str => "s",
            RuleTy::Any => "a",
        };
        out.insert("t".into(), text(ty));
        if self.optional {
            out.insert("o".into(), one());
        }
        if !self.enum_values.is_empty() {
            out.insert(
                "e".into(),
                Value::Array(self.enum_values.iter().map(|v| text(v)).collect()),
            );
        }
        if !self.enum_versions.is_empty() {
            out.insert(
                "ev".into(),
                Value::object(
                    self.enum_versions
                        .iter()
                        .map(|(v, m)| (v.clone(), mask(*m)))
                        .collect(),
                ),
            );
        }
        for (key, value) in [("min", &self.minimum), ("max", &self.maximum)] {
            if let Some(n) = value {
                out.insert(key.into(), Value::Number(n.clone()));
            }
        }
        for (key, value) in [("minl", self.min_length), ("maxl", self.max_length)] {
            if let Some(n) = value {
                out.insert(key.into(), Value::Number(n.to_string()));
            }
        }
        if let Some(p) = &self.pattern {
            out.insert("p".into(), text(p));
        }
        match &self.format {
            RuleFormat::None => {}
            RuleFormat::Named(f) => {
                out.insert("f".into(), text(f));
            }
            RuleFormat::List(item) => {
                out.insert("l".into(), text(item));
            }
            RuleFormat::Prop(format) => {
                out.insert("prop".into(), format.to_json());
            }
        }
        if let Some(r) = &self.requires {
            out.insert("req".into(), text(r));
        }
        Value::object(out)
    }
}

impl ParamRuleIr {
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("n".into(), text(&self.name));
        if self.indexed {
            out.insert("i".into(), one());
        }
        out.insert("r".into(), self.rule.to_json());
        if let Some(m) = self.versions {
            out.insert("v".into(), mask(m));
        }
        if !self.by_version.is_empty() {
            out.insert(
                "vr".into(),
                Value::Array(
                    self.by_version
                        .iter()
                        .map(|(m, r)| Value::Array(vec![mask(*m), r.to_json()]))
                        .collect(),
                ),
            );
        }
        Value::object(out)
    }
}

impl PropFormatIr {
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), text(&self.name));
        if let Some(dk) = &self.default_key {
            out.insert("dk".into(), text(dk));
        }
        let keys = self
            .keys
            .iter()
            .map(|k| {
                let mut entry = Map::new();
                match k {
                    PropKeyIr::Key {
                        key,
                        rule,
                        versions,
                    } => {
                        entry.insert("k".into(), text(key));
                        entry.insert("r".into(), rule.to_json());
                        if let Some(m) = versions {
                            entry.insert("v".into(), mask(*m));
                        }
                    }
                    PropKeyIr::Alias {
                        key,
                        target,
                        key_alias,
                    } => {
                        entry.insert("k".into(), text(key));
                        entry.insert("a".into(), text(target));
                        if let Some(ka) = key_alias {
                            entry.insert("ka".into(), text(ka));
                        }
                    }
                }
                Value::object(entry)
            })
            .collect();
        out.insert("k".into(), Value::Array(keys));
        Value::object(out)
    }
}

/// A list of parameter rules as text.
pub fn params_text(rules: &[ParamRuleIr]) -> String {
    Value::Array(rules.iter().map(ParamRuleIr::to_json).collect()).to_string()
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn one() -> Value {
    Value::Number("1".into())
}

fn mask(m: Mask) -> Value {
    Value::Number(m.to_string())
}

/// A number-valued key (`minimum`, ...) as number text; PVE writes some as strings.
fn number(schema: &Schema, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|key| match schema.get(key)? {
        Value::Number(n) => n.parse().ok(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The rule of `schema` (an array's rule is its items': each item is checked). Property
/// strings get `prop(format_object)`, the caller's format for this site.
pub fn rule(
    schema: &Schema,
    optional: bool,
    prop: &mut dyn FnMut(&Map) -> Result<PropFormatIr, String>,
) -> Result<RuleIr, String> {
    let schema = match (fixups::infer_type(schema), schema.items()) {
        ("array", Some(items)) => items,
        _ => schema.clone(),
    };
    let ty = match fixups::infer_type(&schema) {
        "boolean" => RuleTy::Bool,
        "integer" => RuleTy::Int,
        "number" => RuleTy::Num,
        "string" => RuleTy::Str,
        _ => RuleTy::Any,
    };
    let mut rule = RuleIr::of_type(ty, optional);
    if let Some(values) = schema.enum_values() {
        rule.enum_values = dedup(values);
        rule.enum_versions = schema.enum_versions();
    }
    rule.minimum = number(&schema, &["minimum", "min"]).map(number_text);
    rule.maximum = number(&schema, &["maximum", "max"]).map(number_text);
    let length = |key| {
        number(&schema, &[key])
            .filter(|n| *n >= 0.0)
            .map(|n| n as u64)
    };
    rule.min_length = length("minLength");
    rule.max_length = length("maxLength");
    rule.pattern = schema.str("pattern").map(fixups::rust_pattern);
    rule.format = match schema.format() {
        Some(Format::Object(format)) => RuleFormat::Prop(Box::new(prop(format)?)),
        Some(Format::Named(name)) => match name.strip_suffix("-list") {
            Some(item) => RuleFormat::List(item.to_owned()),
            None => RuleFormat::Named(name.to_owned()),
        },
        None => RuleFormat::None,
    };
    rule.requires = schema.str("requires").map(str::to_owned);
    Ok(rule)
}

/// Values without repeats (PVE lists a few twice), in order.
pub fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_print_compactly() {
        let schema = Schema::from_value(
            &crate::json::parse(
                r#"{"type": "integer", "minimum": "16", "maximum": 1.5e3, "enum": [1, 2, 1],
                    "x-enum-versions": {"2": 4}}"#,
            )
            .unwrap(),
        );
        let r = rule(&schema, true, &mut |_| unreachable!()).unwrap();
        assert_eq!(
            r.to_json().to_string(),
            r#"{"e":["1","2"],"ev":{"2":4},"max":1500,"min":16,"o":1,"t":"i"}"#
        );
        let p = ParamRuleIr {
            name: "net".into(),
            indexed: true,
            rule: RuleIr::of_type(RuleTy::Str, true),
            versions: Some(6),
            by_version: Vec::new(),
        };
        assert_eq!(
            p.to_json().to_string(),
            r#"{"i":1,"n":"net","r":{"o":1,"t":"s"},"v":6}"#
        );
        assert!(!p.rule.checks_more_than_type());
    }
}
