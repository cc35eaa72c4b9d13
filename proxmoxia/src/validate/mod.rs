//! Client-side validation: the checks PVE makes on parameters, made before anything is sent.
//!
//! Values are checked in their wire form (what would be sent), against the rules of the
//! catalogue ([`crate::catalog`], written by the generator from the schema), in PVE's order:
//! format, pattern, length, range, enumeration. Property strings are read as
//! [`crate::values::propstring`] reads them and each key checked the same way.

mod checks;
mod firewall;
pub(crate) mod formats;
mod net;
mod props;

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};
use smallvec::SmallVec;

use crate::catalog::{Format, Param, Rule, Ty, bit, lookup};
use crate::decode::{bool_text, family_index};
use crate::error::{Error, Result, ValidationError};

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

/// Which rules apply: the widest (those of any vendored version, for a client that does not
/// know the cluster's) or those of one vendored version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At(Option<usize>);

impl At {
    /// The widest rules.
    pub(crate) const WIDEST: At = At(None);

    /// The rules of the vendored version at `index` of `crate::catalog::versions()`: its own
    /// rule of each parameter, its enum values and property-string keys only.
    pub(crate) fn version(index: usize) -> At {
        At(Some(index))
    }

    /// Whether these rules have an item of `versions` (`None`: every version has it).
    fn has(self, versions: Option<u32>) -> bool {
        match (self.0, versions) {
            (Some(index), Some(mask)) => bit(index) & mask != 0,
            _ => true,
        }
    }

    /// The rule of `param`.
    fn rule(self, param: &Param) -> &'static Rule {
        self.0.map_or(param.rule, |index| param.rule_at(index))
    }

    /// Whether `text` is one of the enum values of `rule` here.
    fn allows(self, rule: &Rule, text: &str) -> bool {
        rule.enum_values.contains(&text) && self.has(rule.enum_value_versions(text))
    }
}

/// Which parameters a map holds: all (path ones too, as PVE reads them), or those of the
/// body (the path's come from the path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Body,
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

/// Checks the path parameters of `path` (escaped segments, as the handles build it) against
/// the rules of the parameters of its template (`/nodes/{node}/qemu/{vmid}`).
pub(crate) fn path_params(template: &str, path: &str, params: &[Param], at: At) -> Result<()> {
    let values = PathValues::of(template, path);
    values.no_dot_segments()?;
    // In the rules' order (by name), as the body's.
    let mut positions: SmallVec<[usize; 4]> = values
        .0
        .iter()
        .filter_map(|(name, _)| lookup(params, name)[0])
        .filter(|at_| params[*at_].in_path)
        .collect();
    positions.sort_unstable();
    positions.dedup();
    for position in positions {
        let param = &params[position];
        if !at.has(param.versions) {
            continue;
        }
        path_param(param, values.get(param.name), at, |other| {
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
    param: &Param,
    value: Option<Cow<'_, str>>,
    at: At,
    given: impl Fn(&str) -> bool,
) -> Result<()> {
    let rule = at.rule(param);
    let name = param.name;
    match value {
        None if !rule.optional => Err(fail(
            name,
            "required",
            "property is missing and it is not optional",
        )),
        None => Ok(()),
        Some(value) => {
            check_text(Name::of(name), &value, rule, at)?;
            match rule.requires {
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

/// Checks the parameters in `map` against `params` (a method's, sorted by name): the rule of
/// each one given is looked up (no pass over the others beyond the required ones), and
/// nothing is allocated unless a check fails. The first failure in the rules' order (PVE's
/// order of checks) is the one returned.
pub(crate) fn params(
    map: &Map<String, Value>,
    params: &[Param],
    at: At,
    scope: Scope,
) -> Result<()> {
    let counts = |param: &Param| (scope == Scope::All || !param.in_path) && at.has(param.versions);
    // The given parameters with the positions of their rules, sorted into the rules' order.
    let mut given: SmallVec<[(usize, &str, &Value); 16]> = SmallVec::new();
    for (key, value) in map {
        for position in lookup(params, key).into_iter().flatten() {
            if counts(&params[position]) {
                given.push((position, key.as_str(), value));
            }
        }
    }
    given.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut required = params
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.indexed && counts(p) && !at.rule(p).optional)
        .map(|(position, _)| position)
        .peekable();
    let missing = |position: usize| {
        let name = params[position].name;
        map.get(name).is_none_or(Value::is_null).then(|| {
            fail(
                name,
                "required",
                "property is missing and it is not optional",
            )
        })
    };
    for &(position, key, value) in &given {
        while let Some(r) = required.next_if(|r| *r <= position) {
            if let Some(e) = missing(r) {
                return Err(e);
            }
        }
        param(key, value, &params[position], map, at)?;
    }
    for r in required {
        if let Some(e) = missing(r) {
            return Err(e);
        }
    }
    Ok(())
}

/// Checks a typed request's encoded body parameters (a JSON object) against the widest
/// rules of its method's `params`.
pub(crate) fn body(encoded: &Value, rules: &[Param]) -> Result<()> {
    match encoded {
        Value::Object(map) => params(map, rules, At::WIDEST, Scope::Body),
        _ => params(&Map::new(), rules, At::WIDEST, Scope::Body),
    }
}

/// Checks one given parameter `key` (a member of `param`'s family, if indexed): its index,
/// its value, and the parameter its rule requires.
pub(crate) fn param(
    key: &str,
    value: &Value,
    param: &Param,
    map: &Map<String, Value>,
    at: At,
) -> Result<()> {
    let rule = at.rule(param);
    if param.indexed {
        let index = family_index(key, param.name).unwrap_or(0);
        if let Some(max) = max_index(param.name).filter(|max| index >= *max) {
            return Err(fail(
                key,
                "index",
                format!("{} takes indexes 0 to {}, not {index}", param.name, max - 1),
            ));
        }
        return check_value(Name::of(key), value, rule, at);
    }
    if value.is_null() {
        return Ok(());
    }
    check_value(Name::of(key), value, rule, at)?;
    match rule.requires {
        Some(other) if map.get(other).is_none_or(Value::is_null) => Err(fail(
            other,
            "requires",
            format!("missing property required by '{}'", param.name),
        )),
        _ => Ok(()),
    }
}

/// Checks one value of a parameter (or of a family member) named `name`.
pub(crate) fn value(name: &str, value: &Value, rule: &Rule, at: At) -> Result<()> {
    check_value(Name::of(name), value, rule, at)
}

fn check_value(name: Name<'_>, value: &Value, rule: &Rule, at: At) -> Result<()> {
    match value {
        Value::String(s) => check_text(name, s, rule, at),
        Value::Bool(b) => check_text(name, if *b { "1" } else { "0" }, rule, at),
        Value::Number(n) => check_number(name, n, rule, at),
        Value::Array(items) => {
            // An array parameter: each item against the same rule. A list is one when an
            // item holds a separator (see `typed::List`): refused, as PVE would split it.
            for item in items {
                if let (Format::List(format), Value::String(text)) = (&rule.format, item)
                    && text.contains(crate::values::list::is_separator)
                {
                    return Err(fail(
                        name,
                        &format!("format {format}-list"),
                        format!(
                            "item {text:?} holds a list separator (`,`, `;`, white space or NUL): PVE would read it as several items"
                        ),
                    ));
                }
                check_value(name, item, rule, at)?;
            }
            Ok(())
        }
        Value::Null => Ok(()),
        Value::Object(_) => Err(fail(name, "type", "a nested object cannot be sent")),
    }
}

/// A number, checked as its text is without writing the text, where the rule looks at
/// nothing but type and range.
fn check_number(name: Name<'_>, n: &serde_json::Number, rule: &Rule, at: At) -> Result<()> {
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
        return check_text(name, &n.to_string(), rule, at);
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
fn check_text(name: Name<'_>, text: &str, rule: &Rule, at: At) -> Result<()> {
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
    match rule.format {
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
        Format::Prop(format) => match name.key {
            None => props::check(name.param, text, format, at)?,
            // A property string inside a property string: its name is written out.
            Some(_) => props::check(&name.to_string(), text, format, at)?,
        },
    }
    if let Some(pattern) = rule.pattern {
        match pattern.full_match(text) {
            Ok(true) => {}
            Ok(false) => {
                return Err(fail(
                    name,
                    "pattern",
                    "value does not match the regex pattern",
                ));
            }
            // Never for the generated patterns (a test compiles them all); it fails closed.
            Err(why) => return Err(fail(name, "pattern", &why)),
        }
    }
    if rule.max_length.is_some() || rule.min_length.is_some() {
        let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
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
    if !rule.enum_values.is_empty() && !at.allows(rule, text) {
        let allowed: Vec<&str> = rule
            .enum_values
            .iter()
            .copied()
            .filter(|v| at.has(rule.enum_value_versions(v)))
            .collect();
        return Err(fail(
            name,
            "enum",
            format!(
                "value '{text}' does not have a value in the enumeration '{}'",
                allowed.join(", ")
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
    use crate::catalog::{Pattern, PropFormat, PropKey};
    use serde_json::json;

    static BRIDGE: Pattern = Pattern::new(r"[-_.\w\d]+");
    static BRIDGE_RULE: Rule = Rule::new(Ty::Str, true).with_pattern(&BRIDGE);
    static FLAG: Rule = Rule::new(Ty::Bool, true);
    static MAC: Rule = Rule::new(Ty::Str, true).with_format("mac-addr");
    static MODEL: Rule = Rule::new(Ty::Str, false).with_enum(&["virtio", "e1000"]);
    static TAG: Rule = Rule::new(Ty::Int, true).with_min(1.0).with_max(4094.0);
    static TRUNKS: Rule = Rule::new(Ty::Str, true).with_requires("tag");
    static NET: PropFormat = PropFormat::new(
        "Net",
        Some("model"),
        &[
            PropKey::new("bridge", &BRIDGE_RULE),
            PropKey::alias("e1000", "macaddr", Some("model")),
            PropKey::new("firewall", &FLAG),
            PropKey::new("macaddr", &MAC),
            PropKey::new("model", &MODEL),
            PropKey::new("tag", &TAG),
            PropKey::new("trunks", &TRUNKS),
            PropKey::alias("virtio", "macaddr", Some("model")),
        ],
    );
    static MEMORY: Rule = Rule::new(Ty::Int, true).with_min(16.0);
    static NAME: Rule = Rule::new(Ty::Str, true)
        .with_format("dns-name")
        .with_max_length(10);
    static NET_RULE: Rule = Rule::new(Ty::Str, true).with_prop(&NET);
    static VMID: Rule = Rule::new(Ty::Int, false)
        .with_format("pve-vmid")
        .with_min(100.0);
    static PARAMS: [Param; 4] = [
        Param::new("memory", &MEMORY),
        Param::new("name", &NAME),
        Param::new("net", &NET_RULE).indexed(),
        Param::new("vmid", &VMID),
    ];

    fn check(v: Value) -> Result<()> {
        params(v.as_object().unwrap(), &PARAMS, At::WIDEST, Scope::All)
    }

    fn err(v: Value) -> ValidationError {
        match check(v) {
            Err(Error::Validation(e)) => *e,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn valid_parameters_pass() {
        check(json!({"vmid": 100, "memory": 2048, "name": "web", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=5"}))
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

    /// The check of a property string: the reader's errors first (PVE's words), then the
    /// first unknown key in sorted order, then each key in the format's order.
    #[test]
    fn property_strings_fail_in_pves_order() {
        let verdict = |text: &str| match props::check("net0", text, &NET, At::WIDEST) {
            Ok(()) => None,
            Err(Error::Validation(e)) => Some((e.param, e.rule, e.message)),
            Err(other) => panic!("{other}"),
        };
        assert_eq!(
            verdict("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1"),
            None
        );
        for (text, param, rule, message) in [
            (
                "bridge=\"x",
                "net0",
                "property string",
                "invalid format - unterminated quoted value",
            ),
            (
                "model=a,model=b",
                "net0.model",
                "property string",
                "invalid format - duplicate key in comma-separated list property",
            ),
            (
                "virtio=A,e1000=B",
                "net0.model",
                "property string",
                "invalid format - duplicate key in comma-separated list property",
            ),
            (
                "virtio,zz=1,aa=2",
                "net0.aa",
                "property string key",
                "invalid format - invalid key in comma-separated list property: aa",
            ),
            (
                "virtio,zz=1,zz=2",
                "net0.zz",
                "property string",
                "invalid format - duplicate key in comma-separated list property",
            ),
            (
                "virtio,tag=5000",
                "net0.tag",
                "maximum",
                "value must have a maximum value of 4094",
            ),
            (
                "virtio,trunks=1;2",
                "net0.tag",
                "requires",
                "missing property required by 'net0.trunks'",
            ),
            (
                "bridge=vmbr0",
                "net0.model",
                "required",
                "property is missing and it is not optional",
            ),
            (
                "virtio=BD:24:11:00:00:01",
                "net0.macaddr",
                "format mac-addr",
                "invalid format - value does not look like a valid unicast MAC address",
            ),
        ] {
            assert_eq!(
                verdict(text),
                Some((param.to_owned(), rule.to_owned(), message.to_owned())),
                "{text}"
            );
        }
    }

    /// Checked as one version has them: a key or an enum value the version lacks is refused,
    /// and the enumeration named is that version's.
    #[test]
    fn rules_of_one_version() {
        static COLOUR: Rule = Rule::new(Ty::Str, true)
            .with_enum(&["red", "blue"])
            .with_enum_versions(&[("blue", 0b10)]);
        static SIZE: Rule = Rule::new(Ty::Int, true);
        static SHIRT: PropFormat = PropFormat::new(
            "Shirt",
            None,
            &[
                PropKey::new("colour", &COLOUR),
                PropKey::new("size", &SIZE).with_versions(0b10),
            ],
        );
        let refused = |text: &str, at: At| match props::check("p", text, &SHIRT, at) {
            Ok(()) => None,
            Err(Error::Validation(e)) => Some(format!("{}: {}", e.param, e.message)),
            Err(other) => panic!("{other}"),
        };
        assert_eq!(refused("colour=blue,size=2", At::WIDEST), None);
        assert_eq!(refused("colour=blue,size=2", At::version(1)), None);
        assert_eq!(
            refused("colour=red,size=2", At::version(0)).as_deref(),
            Some("p.size: invalid format - invalid key in comma-separated list property: size")
        );
        assert_eq!(
            refused("colour=blue", At::version(0)).as_deref(),
            Some("p.colour: value 'blue' does not have a value in the enumeration 'red'")
        );
    }

    /// Fail closed: a pattern that does not compile refuses the values it concerns.
    #[test]
    fn a_pattern_that_does_not_compile_refuses() {
        static BAD: Pattern = Pattern::new("a(");
        static RULE: Rule = Rule::new(Ty::Str, true).with_pattern(&BAD);
        static PARAMS: [Param; 2] = [Param::new("cores", &MEMORY), Param::new("name", &RULE)];
        let check = |v: Value| params(v.as_object().unwrap(), &PARAMS, At::WIDEST, Scope::All);
        match check(json!({"name": "x"})) {
            Err(Error::Validation(e)) => {
                assert_eq!((e.param.as_str(), e.rule.as_str()), ("name", "pattern"));
                assert!(e.message.contains("does not compile"), "{}", e.message);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        check(json!({"cores": 20})).unwrap();
    }
}
