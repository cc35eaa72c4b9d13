//! Client-side validation: the checks PVE makes on parameters, made before anything is sent.
//!
//! Values are checked in their wire form (what would be sent), against the rules the
//! generator wrote from the schema, in PVE's order: format, pattern, length, range,
//! enumeration. Property strings are parsed and each key checked the same way.

mod firewall;
pub mod formats;
mod net;

use serde_json::{Map, Value};

use crate::decode::{bool_text, family_index};
use crate::error::{Error, Result, ValidationError};
use crate::typed::propstring;
use crate::typed::rules::{self, Format, ParamRule, PropFormat, Rule, Ty};

/// The highest index (exclusive) of PVE's indexed parameter families, where PVE has one
/// (`net0`..`net31`). The schema does not state these; PVE's source does.
const MAX_INDEX: &[(&str, u32)] = &[
    ("net", 32),
    ("ipconfig", 32),
    ("ide", 4),
    ("sata", 6),
    ("scsi", 31),
    ("virtio", 16),
    ("unused", 256),
    ("numa", 8),
    ("hostpci", 16),
    ("usb", 14),
    ("virtiofs", 10),
    ("serial", 4),
    ("parallel", 3),
    ("mp", 256),
    ("dev", 256),
    ("link", 8),
    ("acmedomain", 5),
];

/// The highest index (exclusive) of an indexed family, where PVE has one (`32` for `net`).
pub(crate) fn max_index(family: &str) -> Option<u32> {
    MAX_INDEX
        .iter()
        .find(|(name, _)| *name == family)
        .map(|(_, max)| *max)
}

fn fail(param: &str, rule: &str, message: impl Into<String>) -> Error {
    Error::Validation(Box::new(ValidationError {
        param: param.to_owned(),
        rule: rule.to_owned(),
        message: message.into(),
    }))
}

/// Checks the path parameters of `path` (escaped segments, as the handles build it) against
/// the rules the generator wrote for the path template (`/nodes/{node}/qemu/{vmid}`).
pub fn path_params(template: &str, path: &str, rules_json: &'static str) -> Result<()> {
    no_dot_segments(template, path)?;
    path_params_with(template, path, generated(rules_json)?)
}

/// Refuses a path parameter whose value is `.` or `..`: URL parsers resolve those, so the
/// request would go to another path (`tasks("..").delete()` to `DELETE /nodes/pve1`).
pub(crate) fn no_dot_segments(template: &str, path: &str) -> Result<()> {
    let names = template.trim_start_matches('/').split('/');
    let given = path.trim_start_matches('/').split('/');
    for (name, value) in names.zip(given) {
        if let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            if let Some(why) = crate::encode::dot_segment(value) {
                return Err(fail(name, "path segment", why));
            }
        }
    }
    Ok(())
}

/// The generated rules in `text`; rules that cannot be read fail the check (they never let a
/// value through unchecked).
pub(crate) fn generated(text: &'static str) -> Result<&'static [ParamRule]> {
    rules::params(text).map_err(|why| {
        fail(
            "",
            "rules",
            format!("the generated rules cannot be read: {why}"),
        )
    })
}

/// Checks the path parameters of `path` against `rules`.
pub(crate) fn path_params_with(template: &str, path: &str, rules: &[ParamRule]) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let mut values = Map::new();
    let names = template.trim_start_matches('/').split('/');
    let given = path.trim_start_matches('/').split('/');
    for (name, value) in names.zip(given) {
        if let Some(name) = name.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            values.insert(name.to_owned(), Value::String(value.into_owned()));
        }
    }
    params(&Value::Object(values), rules)
}

/// Checks an endpoint's encoded parameters against the rules the generator wrote as JSON.
pub fn params_json(encoded: &Value, rules_json: &'static str) -> Result<()> {
    params(encoded, generated(rules_json)?)
}

/// Checks an endpoint's encoded parameters (a JSON object) against its rules.
pub fn params(encoded: &Value, rules: &[ParamRule]) -> Result<()> {
    let empty = Map::new();
    let map = encoded.as_object().unwrap_or(&empty);
    for param in rules {
        if param.indexed {
            let max = max_index(&param.name);
            for (key, value) in map {
                let Some(index) = family_index(key, &param.name) else {
                    continue;
                };
                if let Some(max) = max.filter(|max| index >= *max) {
                    return Err(fail(
                        key,
                        "index",
                        format!("{} takes indexes 0 to {}, not {index}", param.name, max - 1),
                    ));
                }
                value_rule(key, value, &param.rule)?;
            }
            continue;
        }
        match map.get(&param.name) {
            None | Some(Value::Null) => {
                if !param.rule.optional {
                    return Err(fail(
                        &param.name,
                        "required",
                        "property is missing and it is not optional",
                    ));
                }
            }
            Some(value) => {
                value_rule(&param.name, value, &param.rule)?;
                if let Some(other) = param.rule.requires.as_deref() {
                    if map.get(other).is_none_or(Value::is_null) {
                        return Err(fail(
                            other,
                            "requires",
                            format!("missing property required by '{}'", param.name),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks one value; `name` is the parameter (and sub-key) for messages.
pub fn value_rule(name: &str, value: &Value, rule: &Rule) -> Result<()> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => {
            // An array parameter: each item against the same rule.
            for item in items {
                value_rule(name, item, rule)?;
            }
            return Ok(());
        }
        Value::Null => return Ok(()),
        Value::Object(_) => return Err(fail(name, "type", "a nested object cannot be sent")),
    };
    match rule.ty {
        Ty::Bool => {
            if bool_text(&text).is_none() {
                return Err(fail(
                    name,
                    "type boolean",
                    format!("type check ('boolean') failed - got '{text}'"),
                ));
            }
            return Ok(());
        }
        Ty::Int if text.trim().parse::<i64>().is_err() => {
            return Err(fail(
                name,
                "type integer",
                format!("type check ('integer') failed - got '{text}'"),
            ));
        }
        Ty::Num if text.trim().parse::<f64>().map_or(true, |n| !n.is_finite()) => {
            return Err(fail(
                name,
                "type number",
                format!("type check ('number') failed - got '{text}'"),
            ));
        }
        _ => {}
    }
    match &rule.format {
        Format::None => {}
        Format::Named(format) => {
            if let Some(why) = formats::check(format, &text) {
                return Err(fail(
                    name,
                    &format!("format {format}"),
                    format!("invalid format - {why}"),
                ));
            }
        }
        Format::List(item) => {
            for part in formats::split_list(&text) {
                if let Some(why) = formats::check(item, part) {
                    return Err(fail(
                        name,
                        &format!("format {item}-list"),
                        format!("invalid format - {why}"),
                    ));
                }
            }
        }
        Format::Prop(format) => property_string(name, &text, format)?,
    }
    if let Some(pattern) = &rule.pattern {
        if !pattern.full_match(&text) {
            return Err(fail(
                name,
                "pattern",
                "value does not match the regex pattern",
            ));
        }
    }
    let chars = text.chars().count() as u32;
    if let Some(max) = rule.max_length {
        if chars > max {
            return Err(fail(
                name,
                "maxLength",
                format!("value may only be {max} characters long"),
            ));
        }
    }
    if let Some(min) = rule.min_length {
        if chars < min {
            return Err(fail(
                name,
                "minLength",
                format!("value must be at least {min} characters long"),
            ));
        }
    }
    if matches!(rule.ty, Ty::Int | Ty::Num) {
        if let Ok(number) = text.trim().parse::<f64>() {
            if let Some(max) = rule.maximum.filter(|max| number > *max) {
                return Err(fail(
                    name,
                    "maximum",
                    format!("value must have a maximum value of {}", show(max)),
                ));
            }
            if let Some(min) = rule.minimum.filter(|min| number < *min) {
                return Err(fail(
                    name,
                    "minimum",
                    format!("value must have a minimum value of {}", show(min)),
                ));
            }
        }
    }
    if !rule.enum_values.is_empty() && !rule.enum_values.contains(&text) {
        return Err(fail(
            name,
            "enum",
            format!(
                "value '{text}' does not have a value in the enumeration '{}'",
                rule.enum_values.join(", ")
            ),
        ));
    }
    Ok(())
}

/// `16` rather than `16.0` in messages.
fn show(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Parses a property string and checks each key; errors name `param.key`.
fn property_string(param: &str, text: &str, format: &PropFormat) -> Result<()> {
    let pairs = propstring::parse(text, format).map_err(|e| {
        let name = match &e.key {
            Some(key) => format!("{param}.{key}"),
            None => param.to_owned(),
        };
        fail(
            &name,
            "property string",
            format!("invalid format - {}", e.message),
        )
    })?;
    if let Some(key) = pairs.unknown.keys().next() {
        return Err(fail(
            &format!("{param}.{key}"),
            "property string key",
            format!("invalid format - invalid key in comma-separated list property: {key}"),
        ));
    }
    for key in format.keys.iter().filter(|k| k.alias.is_none()) {
        let name = format!("{param}.{}", key.key);
        match pairs.known.get(&key.key) {
            Some(value) => {
                value_rule(&name, &Value::String(value.clone()), &key.rule)?;
                if let Some(other) = key.rule.requires.as_deref() {
                    if !pairs.known.contains_key(other) {
                        return Err(fail(
                            &format!("{param}.{other}"),
                            "requires",
                            format!("missing property required by '{name}'"),
                        ));
                    }
                }
            }
            None if !key.rule.optional => {
                return Err(fail(
                    &name,
                    "required",
                    "property is missing and it is not optional",
                ));
            }
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static RULES: &str = r#"[
        {"n": "memory", "r": {"t": "i", "o": 1, "min": 16}},
        {"n": "name", "r": {"t": "s", "o": 1, "f": "dns-name", "maxl": 10}},
        {"n": "net", "i": 1, "r": {"t": "s", "o": 1, "prop": {"name": "Net", "dk": "model", "k": [
            {"k": "bridge", "r": {"t": "s", "o": 1, "p": "[-_.\\w\\d]+"}},
            {"k": "model", "r": {"t": "s", "e": ["virtio", "e1000"]}},
            {"k": "tag", "r": {"t": "i", "o": 1, "min": 1, "max": 4094}},
            {"k": "virtio", "a": "macaddr", "ka": "model"},
            {"k": "macaddr", "r": {"t": "s", "o": 1, "f": "mac-addr"}}]}}},
        {"n": "vmid", "r": {"t": "i", "f": "pve-vmid", "min": 100}}
    ]"#;

    fn err(v: Value) -> ValidationError {
        match params_json(&v, RULES) {
            Err(Error::Validation(e)) => *e,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn valid_parameters_pass() {
        assert_eq!(
            rules::params(RULES).unwrap().len(),
            4,
            "the test rules parse"
        );
        params_json(
            &json!({"vmid": 100, "memory": 2048, "name": "web", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=5"}),
            RULES,
        )
        .unwrap();
    }

    #[test]
    fn each_rule_names_the_parameter() {
        assert_eq!(err(json!({})).param, "vmid");
        let e = err(json!({"vmid": 99}));
        assert_eq!(
            (e.param.as_str(), e.rule.as_str()),
            ("vmid", "format pve-vmid")
        );
        let e = err(json!({"vmid": 100, "memory": 8}));
        assert_eq!(e.message, "value must have a minimum value of 16");
        let e = err(json!({"vmid": 100, "name": "a-very-long-name"}));
        assert_eq!(e.rule, "maxLength");
        let e = err(json!({"vmid": 100, "net0": "virtio,bridge=vmbr0,tag=5000"}));
        assert_eq!((e.param.as_str(), e.rule.as_str()), ("net0.tag", "maximum"));
        let e = err(json!({"vmid": 100, "net0": "rtl,bridge=vmbr0"}));
        assert_eq!((e.param.as_str(), e.rule.as_str()), ("net0.model", "enum"));
        let e = err(json!({"vmid": 100, "net1": "virtio,colour=red"}));
        assert_eq!(e.param, "net1.colour");
        let e = err(json!({"vmid": 100, "net2": "bridge=vmbr0"}));
        assert_eq!(
            (e.param.as_str(), e.rule.as_str()),
            ("net2.model", "required")
        );
        let e = err(json!({"vmid": 100, "net32": "virtio"}));
        assert_eq!(e.rule, "index");
        let e = err(json!({"vmid": 100, "net0": "virtio=BD:00:00:00:00:00"}));
        assert_eq!(e.param, "net0.macaddr");
        let e = err(json!({"vmid": 100, "net0": "virtio,bridge=a b"}));
        assert_eq!(e.rule, "pattern");
    }
}
