//! Client-side validation: the checks PVE makes on parameters, made before anything is sent.
//!
//! Values are checked in their wire form (what would be sent), against the rules the
//! generator wrote from the schema, in PVE's order: format, pattern, length, range,
//! enumeration. Property strings are parsed and each key checked the same way.

mod compiled;
mod firewall;
pub mod formats;
mod net;
pub(crate) mod props;

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};
use smallvec::SmallVec;

use crate::decode::{bool_text, family_index};
use crate::error::{Error, Result, ValidationError};
use crate::typed::encode::{Precheck, Prechecked};
use crate::typed::rules::{self, Format, ParamRule, Rule, Ty};
pub(crate) use compiled::{Compiled, Entry, compiled};

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

/// A parameter, or a key of a property-string parameter (`net0.tag`), for messages: written
/// out only when a check fails.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Name<'a> {
    param: &'a str,
    key: Option<&'a str>,
}

impl<'a> Name<'a> {
    fn of(param: &'a str) -> Name<'a> {
        Name { param, key: None }
    }

    fn key(param: &'a str, key: &'a str) -> Name<'a> {
        Name {
            param,
            key: Some(key),
        }
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(key) => write!(f, "{}.{key}", self.param),
            None => f.write_str(self.param),
        }
    }
}

fn fail(param: impl fmt::Display, rule: &str, message: impl Into<String>) -> Error {
    Error::Validation(Box::new(ValidationError {
        param: param.to_string(),
        rule: rule.to_owned(),
        message: message.into(),
    }))
}

/// A rule that cannot be read refuses the request (it never lets a value through).
fn unreadable(param: impl fmt::Display, why: &str) -> Error {
    fail(
        param,
        "unreadable rule",
        format!("the generated rule cannot be read: {why}"),
    )
}

/// Checks the path parameters of `path` (escaped segments, as the handles build it) against
/// the rules the generator wrote for the path template (`/nodes/{node}/qemu/{vmid}`).
pub fn path_params(template: &str, path: &str, rules_json: &'static str) -> Result<()> {
    let values = PathValues::of(template, path);
    values.no_dot_segments()?;
    let rules = compiled(rules_json);
    if let Some(why) = &rules.unreadable {
        return Err(unreadable("*", why));
    }
    for entry in &rules.entries {
        let rule = entry.rule().map_err(|why| unreadable(entry.name, why))?;
        path_param(entry.name, values.get(entry.name), rule, |other| {
            values.get(other).is_some()
        })?;
    }
    Ok(())
}

/// The escaped values of a path's parameters by their names in its template, read in one
/// pass over both (PVE's paths have at most three).
struct PathValues<'a>(SmallVec<[(&'a str, &'a str); 4]>);

impl<'a> PathValues<'a> {
    fn of(template: &'a str, path: &'a str) -> PathValues<'a> {
        let names = template.trim_start_matches('/').split('/');
        let given = path.trim_start_matches('/').split('/');
        PathValues(
            names
                .zip(given)
                .filter_map(|(name, value)| {
                    let name = name.strip_prefix('{')?.strip_suffix('}')?;
                    Some((name, value))
                })
                .collect(),
        )
    }

    /// Refuses a value that is `.` or `..`: URL parsers resolve those, so the request would
    /// go to another path (`tasks("..").delete()` to `DELETE /nodes/pve1`).
    fn no_dot_segments(&self) -> Result<()> {
        for (name, value) in &self.0 {
            if let Some(why) = crate::encode::dot_segment(value) {
                return Err(fail(name, "path segment", why));
            }
        }
        Ok(())
    }

    /// The value of parameter `name`, decoded (the first, as the template names it).
    fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| percent_encoding::percent_decode_str(value).decode_utf8_lossy())
    }
}

/// Checks one path parameter's value (`None`: the path has no segment for it).
fn path_param(
    name: &str,
    value: Option<Cow<'_, str>>,
    rule: &ParamRule,
    given: impl Fn(&str) -> bool,
) -> Result<()> {
    match value {
        None if !rule.rule.optional => Err(fail(
            name,
            "required",
            "property is missing and it is not optional",
        )),
        None => Ok(()),
        Some(value) => {
            check_text(Name::of(name), &value, &rule.rule)?;
            match rule.rule.requires.as_deref() {
                Some(other) if !given(other) => Err(fail(
                    other,
                    "requires",
                    format!("missing property required by '{name}'"),
                )),
                _ => Ok(()),
            }
        }
    }
}

/// The generated rules in `text`; rules that cannot be read fail the check (they never let a
/// value through unchecked).
pub(crate) fn generated(text: &'static str) -> Result<&'static [ParamRule]> {
    rules::params(text).map_err(|why| unreadable("*", &why))
}

/// Checks the path parameters of `path` against `rules`.
pub(crate) fn path_params_with(template: &str, path: &str, rules: &[ParamRule]) -> Result<()> {
    let values = PathValues::of(template, path);
    for rule in rules {
        path_param(&rule.name, values.get(&rule.name), rule, |other| {
            values.get(other).is_some()
        })?;
    }
    Ok(())
}

/// Checks an endpoint's encoded parameters against the rules the generator wrote as JSON.
///
/// Looks up the rule of each parameter given (no pass over the endpoint's other rules), and
/// allocates nothing unless a check fails.
pub fn params_json(encoded: &Value, rules_json: &'static str) -> Result<()> {
    params_json_prechecked(encoded, rules_json, &mut Prechecked::default())
}

/// [`params_json`] for parameters encoded with [`Encode::encode_checked`]
/// (crate::typed::Encode::encode_checked): the property strings `prechecked` has the outcome
/// of are not read again; the outcome is used where reading them would have been.
pub(crate) fn params_json_prechecked(
    encoded: &Value,
    rules_json: &'static str,
    prechecked: &mut Prechecked,
) -> Result<()> {
    let rules = compiled(rules_json);
    if let Some(why) = &rules.unreadable {
        return Err(unreadable("*", why));
    }
    let empty = Map::new();
    let map = encoded.as_object().unwrap_or(&empty);
    // The given parameters with the positions of their rules, sorted into the rules' order
    // (the order of PVE's checks, so the first failure is the one PVE names).
    let mut given: SmallVec<[(u32, &str, &Value); 16]> = SmallVec::new();
    for (key, value) in map {
        for at in rules.lookup(key).into_iter().flatten() {
            given.push((at, key.as_str(), value));
        }
    }
    given.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut required = rules.required.iter().copied().peekable();
    let missing = |at: u32| {
        let name = rules.entries[at as usize].name;
        map.get(name).is_none_or(Value::is_null).then(|| {
            fail(
                name,
                "required",
                "property is missing and it is not optional",
            )
        })
    };
    for &(at, key, value) in given.iter() {
        while let Some(r) = required.next_if(|r| *r <= at) {
            if let Some(e) = missing(r) {
                return Err(e);
            }
        }
        let entry = &rules.entries[at as usize];
        let rule = entry.rule().map_err(|why| unreadable(key, why))?;
        given_param(key, value, rule, map, prechecked.take(key))?;
    }
    for r in required {
        if let Some(e) = missing(r) {
            return Err(e);
        }
    }
    Ok(())
}

/// Checks one given parameter `key` (a member of `param`'s family, if indexed).
fn given_param(
    key: &str,
    value: &Value,
    param: &ParamRule,
    map: &Map<String, Value>,
    mut prechecked: Precheck,
) -> Result<()> {
    let mut check = |name: Name<'_>| check_value_with(name, value, &param.rule, &mut prechecked);
    if param.indexed {
        let index = family_index(key, &param.name).unwrap_or(0);
        if let Some(max) = max_index(&param.name).filter(|max| index >= *max) {
            return Err(fail(
                key,
                "index",
                format!("{} takes indexes 0 to {}, not {index}", param.name, max - 1),
            ));
        }
        return check(Name::of(key));
    }
    if value.is_null() {
        return Ok(());
    }
    check(Name::of(key))?;
    match param.rule.requires.as_deref() {
        Some(other) if map.get(other).is_none_or(Value::is_null) => Err(fail(
            other,
            "requires",
            format!("missing property required by '{}'", param.name),
        )),
        _ => Ok(()),
    }
}

/// Checks an endpoint's encoded parameters (a JSON object) against its rules.
pub fn params(encoded: &Value, rules: &[ParamRule]) -> Result<()> {
    let empty = Map::new();
    let map = encoded.as_object().unwrap_or(&empty);
    for param in rules {
        if param.indexed {
            for (key, value) in map {
                if family_index(key, &param.name).is_some() {
                    given_param(key, value, param, map, Precheck::Read)?;
                }
            }
            continue;
        }
        match map.get(&param.name) {
            None | Some(Value::Null) if !param.rule.optional => {
                return Err(fail(
                    &param.name,
                    "required",
                    "property is missing and it is not optional",
                ));
            }
            None => {}
            Some(value) => given_param(&param.name, value, param, map, Precheck::Read)?,
        }
    }
    Ok(())
}

/// Checks one value; `name` is the parameter (and sub-key) for messages.
pub fn value_rule(name: &str, value: &Value, rule: &Rule) -> Result<()> {
    check_value(Name::of(name), value, rule)
}

fn check_value(name: Name<'_>, value: &Value, rule: &Rule) -> Result<()> {
    check_value_with(name, value, rule, &mut Precheck::Read)
}

/// [`check_value`]; a property string checked as it was encoded (`prechecked`) is not read.
fn check_value_with(
    name: Name<'_>,
    value: &Value,
    rule: &Rule,
    prechecked: &mut Precheck,
) -> Result<()> {
    match value {
        Value::String(s) => check_text_with(name, s, rule, prechecked),
        Value::Bool(b) => check_text(name, if *b { "1" } else { "0" }, rule),
        Value::Number(n) => check_number(name, n, rule),
        Value::Array(items) => {
            // An array parameter: each item against the same rule. A list is one when an
            // item holds a separator (see `typed::List`): refused, as PVE would split it.
            for item in items {
                if let (Format::List(format), Value::String(text)) = (&rule.format, item)
                    && text.contains(crate::typed::list::is_separator)
                {
                    return Err(fail(
                        name,
                        &format!("format {format}-list"),
                        format!(
                            "item {text:?} holds a list separator (`,`, `;`, white space or NUL): PVE would read it as several items"
                        ),
                    ));
                }
                check_value_with(name, item, rule, prechecked)?;
            }
            Ok(())
        }
        Value::Null => Ok(()),
        Value::Object(_) => Err(fail(name, "type", "a nested object cannot be sent")),
    }
}

/// A number, checked as its text is without writing the text, where the rule looks at
/// nothing but type and range.
fn check_number(name: Name<'_>, n: &serde_json::Number, rule: &Rule) -> Result<()> {
    let needs_text = !matches!(rule.format, Format::None)
        || rule.pattern.is_some()
        || rule.min_length.is_some()
        || rule.max_length.is_some()
        || !rule.enum_values.is_empty()
        || match rule.ty {
            Ty::Bool => !matches!(n.as_u64(), Some(0 | 1)),
            Ty::Int => n.as_i64().is_none(),
            Ty::Num | Ty::Str | Ty::Any => false,
        };
    if needs_text {
        return check_text(name, &n.to_string(), rule);
    }
    if matches!(rule.ty, Ty::Int | Ty::Num) {
        if let Some(number) = n.as_f64() {
            range(name, number, rule)?;
        }
    }
    Ok(())
}

fn range(name: Name<'_>, number: f64, rule: &Rule) -> Result<()> {
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
    Ok(())
}

/// Checks a value's wire text, in PVE's order: type, format, pattern, length, range, enum.
pub(crate) fn check_text(name: Name<'_>, text: &str, rule: &Rule) -> Result<()> {
    check_text_with(name, text, rule, &mut Precheck::Read)
}

/// [`check_text`]; a property string checked as it was encoded (`prechecked`) is not read:
/// its outcome stands where reading it would be.
fn check_text_with(
    name: Name<'_>,
    text: &str,
    rule: &Rule,
    prechecked: &mut Precheck,
) -> Result<()> {
    match rule.ty {
        Ty::Bool => {
            if bool_text(text).is_none() {
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
            if let Some(why) = formats::check(format, text) {
                return Err(fail(
                    name,
                    &format!("format {format}"),
                    format!("invalid format - {why}"),
                ));
            }
        }
        Format::List(item) => {
            for part in formats::split_list(text) {
                if let Some(why) = formats::check(item, part) {
                    return Err(fail(
                        name,
                        &format!("format {item}-list"),
                        format!("invalid format - {why}"),
                    ));
                }
            }
        }
        Format::Prop(format) => match prechecked {
            // Every property string of the parameter is good (an array's items included).
            Precheck::Good => {}
            Precheck::Failed(_) => {
                if let Precheck::Failed(e) = std::mem::replace(prechecked, Precheck::Read) {
                    return Err(e);
                }
            }
            Precheck::Read => match name.key {
                None => props::check(name.param, text, format)?,
                // A property string inside a property string: its name is written out.
                Some(_) => props::check(&name.to_string(), text, format)?,
            },
        },
    }
    if let Some(pattern) = &rule.pattern {
        if !pattern.full_match(text) {
            return Err(fail(
                name,
                "pattern",
                "value does not match the regex pattern",
            ));
        }
    }
    if rule.max_length.is_some() || rule.min_length.is_some() {
        let chars = text.chars().count() as u32;
        if let Some(max) = rule.max_length.filter(|max| chars > *max) {
            return Err(fail(
                name,
                "maxLength",
                format!("value may only be {max} characters long"),
            ));
        }
        if let Some(min) = rule.min_length.filter(|min| chars < *min) {
            return Err(fail(
                name,
                "minLength",
                format!("value must be at least {min} characters long"),
            ));
        }
    }
    if matches!(rule.ty, Ty::Int | Ty::Num) && (rule.maximum.is_some() || rule.minimum.is_some()) {
        if let Ok(number) = text.trim().parse::<f64>() {
            range(name, number, rule)?;
        }
    }
    if !rule.enum_values.is_empty() && !rule.enum_values.iter().any(|v| v == text) {
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

    /// Fail closed: a rule that cannot be read refuses what it concerns, by name.
    #[test]
    fn rules_that_cannot_be_read_refuse() {
        static BAD: &str = r#"[{"n":"name","r":{"t":"s","o":1,"p":"a("}},{"n":"memory","r":{"t":"i","o":1,"zz":1}},{"n":"cores","r":{"t":"i","o":1}}]"#;
        let refused = |v: Value, text: &'static str| match params_json(&v, text) {
            Err(Error::Validation(e)) => (e.param, e.rule),
            other => panic!("expected a refusal, got {other:?}"),
        };
        let unreadable = "unreadable rule".to_owned();
        assert_eq!(
            refused(json!({"name": "x"}), BAD),
            ("name".into(), unreadable.clone())
        );
        assert_eq!(
            refused(json!({"memory": 1}), BAD),
            ("memory".into(), unreadable.clone())
        );
        params_json(&json!({"cores": 2}), BAD).unwrap();
        static NOT_RULES: &str = r#"[{"n":"name","r":{"t":"s"}"#;
        assert_eq!(refused(json!({}), NOT_RULES).1, unreadable);
        assert!(matches!(
            path_params("/nodes/{node}", "/nodes/x", NOT_RULES),
            Err(Error::Validation(e)) if e.rule == "unreadable rule"
        ));
    }
}
