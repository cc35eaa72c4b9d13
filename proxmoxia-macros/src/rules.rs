//! Schema rules as typed data.
//!
//! The generator decides every rule here ([`rule`]); `catalog` writes them as constant
//! tables of the runtime's own types (`proxmoxia::catalog`), which validation, the embedded
//! fake and the command line read.

use std::collections::BTreeMap;

use crate::apidoc::{Format, Schema};
use crate::fixups;
use crate::json::{Map, Value};
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
}

/// A number-valued key (`minimum`, ...) as a number; PVE writes some as strings. One that is
/// there but is no number is an error: dropping it would let every value through.
fn number(schema: &Schema, keys: &[&str]) -> Result<Option<f64>, String> {
    for key in keys {
        let read = match schema.get(key) {
            None => continue,
            Some(Value::Number(n)) => n.parse::<f64>().ok(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            Some(_) => None,
        };
        return match read.filter(|n| n.is_finite()) {
            Some(n) => Ok(Some(n)),
            None => Err(format!("`{key}` is not a number the client can check")),
        };
    }
    Ok(None)
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
///
/// A constraint the client cannot check as written (a minimum that is no number, a type it
/// does not know) is an error, which the macro reports as a compile error naming the schema
/// location: a rule is never emitted weaker than the schema says. Patterns are compiled
/// with the runtime's engine by a test over every emitted rule.
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
        "any" | "object" | "null" | "array" => RuleTy::Any,
        other => return Err(format!("type `{other}` is not one the client can check")),
    };
    let mut rule = RuleIr::of_type(ty, optional);
    if let Some(values) = schema.enum_values() {
        rule.enum_values = dedup(values);
        rule.enum_versions = schema.enum_versions();
    }
    rule.minimum = number(&schema, &["minimum", "min"])?.map(number_text);
    rule.maximum = number(&schema, &["maximum", "max"])?.map(number_text);
    let length = |key| match number(&schema, &[key])? {
        Some(n) if n >= 0.0 && n.fract() == 0.0 => Ok(Some(n as u64)),
        Some(_) => Err(format!("`{key}` is not a length")),
        None => Ok(None),
    };
    rule.min_length = length("minLength")?;
    rule.max_length = length("maxLength")?;
    rule.pattern = match schema.get("pattern") {
        None => None,
        Some(Value::String(p)) => Some(fixups::rust_pattern(p)),
        Some(_) => return Err("`pattern` is not a string".into()),
    };
    rule.format = match schema.format() {
        Some(Format::Object(format)) => RuleFormat::Prop(Box::new(prop(format)?)),
        Some(Format::Named(name)) => match name.strip_suffix("-list") {
            Some(item) => RuleFormat::List(item.to_owned()),
            None => RuleFormat::Named(name.to_owned()),
        },
        None => RuleFormat::None,
    };
    rule.requires = match schema.get("requires") {
        None => None,
        Some(Value::String(r)) => Some(r.clone()),
        Some(_) => return Err("`requires` is not a parameter name".into()),
    };
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
    fn numbers_are_read_as_the_schema_writes_them() {
        let schema = Schema::from_value(
            &crate::json::parse(
                r#"{"type": "integer", "minimum": "16", "maximum": 1.5e3, "enum": [1, 2, 1],
                    "x-enum-versions": {"2": 4}}"#,
            )
            .unwrap(),
        );
        let r = rule(&schema, true, &mut |_| unreachable!()).unwrap();
        assert_eq!(r.minimum.as_deref(), Some("16"));
        assert_eq!(r.maximum.as_deref(), Some("1500"));
        assert_eq!(r.enum_values, ["1", "2"]);
        assert_eq!(r.enum_versions, BTreeMap::from([("2".to_owned(), 4)]));
        assert!(r.optional && r.ty == RuleTy::Int);
        assert!(!RuleIr::of_type(RuleTy::Str, true).checks_more_than_type());
    }

    #[test]
    fn constraints_the_client_cannot_check_are_errors() {
        for (schema, why) in [
            (
                r#"{"type": "integer", "minimum": "lots"}"#,
                "`minimum` is not a number",
            ),
            (
                r#"{"type": "integer", "maximum": [1]}"#,
                "`maximum` is not a number",
            ),
            (
                r#"{"type": "string", "maxLength": -1}"#,
                "`maxLength` is not a length",
            ),
            (
                r#"{"type": "string", "minLength": 1.5}"#,
                "`minLength` is not a length",
            ),
            (
                r#"{"type": "string", "pattern": 7}"#,
                "`pattern` is not a string",
            ),
            (
                r#"{"type": "string", "requires": true}"#,
                "`requires` is not",
            ),
            (r#"{"type": "strnig"}"#, "type `strnig`"),
        ] {
            let schema = Schema::from_value(&crate::json::parse(schema).unwrap());
            let err = rule(&schema, true, &mut |_| unreachable!()).unwrap_err();
            assert!(err.contains(why), "{schema:?}: {err}");
        }
    }
}
