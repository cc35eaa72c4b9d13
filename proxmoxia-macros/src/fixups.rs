//! Where the schema needs help: its known defects and what the generator does about them,
//! all in this one table-driven module rather than as special cases elsewhere.

use crate::apidoc::Schema;
use crate::json::{self, Map, Value};

/// The effective type of a schema. PVE's schema has defects (fields without `type`); they are
/// read by these rules, the first that matches:
/// * no `type`, has `properties`: an object (16 `returns` in PVE 9.2: vncproxy, termproxy,
///   spiceproxy, mtunnel, sdn, ...);
/// * no `type`, has `items`: an array (`error` of GET /cluster/mapping/usb);
/// * no `type`, has `enum`: a string enum (`type` of GET /cluster/ha/status/current);
/// * nothing at all (`{}`), `type: any`, or an unknown type: any JSON value,
///   `serde_json::Value` (GET /access/domains/{realm}, GET /cluster/ha/groups/{group});
/// * `type: array` without `items`: an array of JSON values (GET /cluster/sdn/ipams/{ipam}/status).
pub fn infer_type(schema: &Schema) -> &str {
    infer_type_of(&schema.0)
}

/// [`infer_type`] of a schema's map.
pub fn infer_type_of(schema: &Map) -> &str {
    match schema.get("type").and_then(Value::as_str) {
        Some(ty) => ty,
        None if schema.get("properties").is_some() => "object",
        None if schema.get("items").is_some() => "array",
        None if schema.get("enum").is_some() => "string",
        None => "any",
    }
}

/// PVE's patterns are Perl regexes, some stringified (`(?^:...)`, `(?^i:...)`, `(?^u:...)`).
/// The Rust dialect: `(?^flags:` becomes `(?flags:` without `u` (always Unicode), `\0`
/// becomes `\x00`, and `{,n}` (Perl 5.34+: at most n) becomes `{0,n}`. The runtime anchors
/// the result (`^(?:...)$`) as PVE does.
pub fn rust_pattern(perl: &str) -> String {
    let mut out = String::with_capacity(perl.len());
    let mut rest = perl;
    // Inside `[...]`, where `{,` is two literal characters.
    let mut in_class = false;
    while !rest.is_empty() {
        if !in_class {
            if let Some(after) = rest.strip_prefix("{,") {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                if digits > 0 && after[digits..].starts_with('}') {
                    out.push_str("{0,");
                    rest = after;
                    continue;
                }
            }
            if let Some(after) = rest.strip_prefix('[') {
                in_class = true;
                out.push('[');
                // A `]` (or `^]`) right after the opening bracket is a member, not the end.
                let lead = if after.starts_with("^]") {
                    2
                } else {
                    usize::from(after.starts_with(']'))
                };
                out.push_str(&after[..lead]);
                rest = &after[lead..];
                continue;
            }
        } else if let Some(after) = rest.strip_prefix(']') {
            in_class = false;
            out.push(']');
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("(?^") {
            let flags_end = after.find(':').unwrap_or(0);
            let flags: String = after[..flags_end].chars().filter(|c| *c != 'u').collect();
            out.push_str("(?");
            out.push_str(&flags);
            rest = &after[flags_end..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("\\0") {
            out.push_str("\\x00");
            rest = after;
            continue;
        }
        // Any other escape is copied whole, so `\\0` (a backslash, then 0) stays as it is.
        let take = if rest.starts_with('\\') { 2 } else { 1 };
        let end = rest.char_indices().nth(take).map_or(rest.len(), |(i, _)| i);
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

/// A map written as an object with one property named like a path parameter (`{id}`):
/// PVE 8.4 and 9.1 describe `mds`, `mgr`, `mon`, `node` and `osd` of
/// `GET /cluster/ceph/metadata` so, where 9.2 says `additionalProperties`. The value schema
/// of that map, if `schema` is one.
pub fn placeholder_map(schema: &Map) -> Option<Value> {
    let props = schema.get("properties")?.as_object()?;
    let (name, value) = props.iter().next()?;
    (props.len() == 1 && name.starts_with('{') && name.ends_with('}')).then(|| value.clone())
}

/// Named formats whose definition the schema spells out elsewhere, as the object format of
/// a parameter: `(format, parameter)`. `cdrom` (typetext `<volume>`) is an alias of `ide2`,
/// and PVE parses it with the `ide[n]` format.
pub const NAMED_FORMAT_SOURCES: &[(&str, &str)] = &[("pve-qm-ide", "ide[n]")];

/// Named formats that are property strings, but whose keys the schema does not list (only
/// their `typetext`, e.g. `[gw=<GatewayIPv4>] [,gw6=<GatewayIPv6>] ...`). Their keys are read
/// from that text by [`typetext_format`]; this table adds what the text cannot say (a key's
/// format, `requires`), from PVE's definitions of these formats.
pub const NAMED_PROPERTY_OVERRIDES: &[(&str, &str, &str)] = &[
    ("pve-qm-ipconfig", "ip", r#"{"format": "pve-ipv4-config"}"#),
    (
        "pve-qm-ipconfig",
        "gw",
        r#"{"format": "ipv4", "requires": "ip"}"#,
    ),
    ("pve-qm-ipconfig", "ip6", r#"{"format": "pve-ipv6-config"}"#),
    (
        "pve-qm-ipconfig",
        "gw6",
        r#"{"format": "ipv6", "requires": "ip6"}"#,
    ),
    ("pve-qm-boot", "legacy", r#"{"pattern": "[acdn]{1,4}"}"#),
    (
        "pve-qm-watchdog",
        "action",
        r#"{"enum": ["reset", "shutdown", "poweroff", "pause", "debug", "none"]}"#,
    ),
    ("pve-startup-order", "order", r#"{"minimum": 0}"#),
    ("pve-startup-order", "up", r#"{"minimum": 0}"#),
    ("pve-startup-order", "down", r#"{"minimum": 0}"#),
    ("pve-qm-rng", "max_bytes", r#"{"minimum": 0}"#),
    ("pve-qm-rng", "period", r#"{"minimum": 0}"#),
    (
        "pve-vm-cpu-conf",
        "hv-vendor-id",
        r#"{"pattern": "[a-zA-Z0-9]{1,12}"}"#,
    ),
    (
        "pve-vm-cpu-conf",
        "phys-bits",
        r#"{"pattern": "(?:[1-9][0-9]*|host)"}"#,
    ),
];

/// The format object (apidoc's shape) of a named property-string format, read from its
/// `typetext`; `None` when the text does not describe `key=value` pairs.
///
/// The grammar PVE prints: items separated by spaces, `[...]` around optional ones, a
/// leading `,` from the second on, `[key=]` for the default key, and a value description
/// that tells the type: `<1|0>` boolean, `<integer>`/`<N>`/`\d+` integer, `<number>` number,
/// `<a|b|c>` (simple words) an enum, anything else a string.
pub fn typetext_format(name: &str, typetext: &str) -> Option<Map> {
    if name.ends_with("-list") || !typetext.contains('=') {
        return None;
    }
    let mut format = Map::new();
    for item in typetext_items(typetext) {
        let mut text = item.as_str();
        let optional = wrapped_in_brackets(text);
        if optional {
            text = text.strip_prefix('[')?.strip_suffix(']')?;
        }
        let text = text.trim_start_matches(',');
        let (key, value, default_key) = if let Some(rest) = text.strip_prefix('[') {
            // `[key=]<desc>`: the default key.
            let (key, desc) = rest.split_once("=]")?;
            (key, desc, true)
        } else {
            let (key, desc) = text.split_once('=')?;
            (key, desc, false)
        };
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            // `[,<model>=<macaddr>]`: a key alias the text cannot name.
            continue;
        }
        let mut entry = value_schema(value);
        if optional {
            entry.insert("optional".into(), Value::Number("1".into()));
        }
        if default_key {
            entry.insert("default_key".into(), Value::Number("1".into()));
        }
        if let Some((_, _, extra)) = NAMED_PROPERTY_OVERRIDES
            .iter()
            .find(|(format, k, _)| *format == name && *k == key)
        {
            if let Ok(Value::Object(extra)) = json::parse(extra) {
                entry.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        format.insert(key.to_owned(), Value::object(entry));
    }
    (!format.is_empty()).then_some(format)
}

/// True when the first `[` closes at the very end (brackets inside `<...>` not counted).
fn wrapped_in_brackets(text: &str) -> bool {
    if !text.starts_with('[') {
        return false;
    }
    let (mut depth, mut angle) = (0i32, 0i32);
    for (i, c) in text.char_indices() {
        match c {
            '<' => angle += 1,
            '>' => angle -= 1,
            '[' if angle == 0 => depth += 1,
            ']' if angle == 0 => {
                depth -= 1;
                if depth == 0 {
                    return i + 1 == text.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// Top-level items of a typetext: split at spaces outside `<...>` and `[...]`.
fn typetext_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let (mut angle, mut square) = (0i32, 0i32);
    for c in text.chars() {
        match c {
            '<' => angle += 1,
            '>' => angle -= 1,
            '[' if angle == 0 => square += 1,
            ']' if angle == 0 => square -= 1,
            ' ' if angle == 0 && square == 0 => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

fn value_schema(desc: &str) -> Map {
    let mut entry = Map::new();
    let inner = desc
        .strip_prefix('<')
        .and_then(|d| d.strip_suffix('>'))
        .unwrap_or(desc);
    let string = |s: &str| Value::String(s.to_owned());
    let ty = match inner {
        "1|0" => "boolean",
        "integer" | "N" | "\\d+" => "integer",
        "number" => "number",
        _ => "string",
    };
    entry.insert("type".into(), string(ty));
    let alternatives: Vec<&str> = inner.split('|').collect();
    let simple = |a: &&str| {
        a.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
            && a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
    };
    if ty == "string" && alternatives.len() > 1 && alternatives.iter().all(simple) {
        entry.insert(
            "enum".into(),
            Value::Array(alternatives.iter().map(|a| string(a)).collect()),
        );
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_named_like_a_path_parameter_is_a_map() {
        let schema = match json::parse(
            r#"{"type": "object", "properties": {"{id}": {"type": "string"}}}"#,
        ) {
            Ok(Value::Object(m)) => m,
            _ => unreachable!(),
        };
        assert_eq!(
            placeholder_map(&schema).map(|v| v.to_string()).as_deref(),
            Some(r#"{"type":"string"}"#)
        );
        let two = match json::parse(r#"{"properties": {"{id}": {}, "x": {}}}"#) {
            Ok(Value::Object(m)) => m,
            _ => unreachable!(),
        };
        assert!(placeholder_map(&two).is_none());
    }

    #[test]
    fn perl_patterns_become_rust_ones() {
        assert_eq!(rust_pattern("(?^:[A-Za-z]+)"), "(?:[A-Za-z]+)");
        assert_eq!(rust_pattern("(?^i:[a-z])"), "(?i:[a-z])");
        assert_eq!(rust_pattern("(?^u:(?^u:x))"), "(?:(?:x))");
        assert_eq!(rust_pattern("a\\0b"), "a\\x00b");
        assert_eq!(rust_pattern("a\\\\0b"), "a\\\\0b");
        assert_eq!(
            rust_pattern("[A-Za-z0-9\\-_\\s]{,16}"),
            "[A-Za-z0-9\\-_\\s]{0,16}"
        );
        assert_eq!(rust_pattern("[{,1}]a{,2}"), "[{,1}]a{0,2}");
        assert_eq!(rust_pattern("[]{,1}]"), "[]{,1}]");
        assert_eq!(rust_pattern("a{,}"), "a{,}");
    }

    #[test]
    fn typetext_describes_property_strings() {
        let f = typetext_format(
            "pve-startup-order",
            "[[order=]\\d+] [,up=\\d+] [,down=\\d+] ",
        )
        .unwrap();
        assert_eq!(
            f.get("order").unwrap().to_string(),
            r#"{"default_key":1,"minimum":0,"optional":1,"type":"integer"}"#
        );
        let f = typetext_format(
            "x",
            "[type=]<sev-type> [,allow-smt=<1|0>] ,host=<ADDRESS> [,watchdog=<i6300esb|ib700>] [,<model>=<macaddr>]",
        )
        .unwrap();
        assert_eq!(
            f.get("type").unwrap().to_string(),
            r#"{"default_key":1,"type":"string"}"#
        );
        assert_eq!(
            f.get("allow-smt").unwrap().to_string(),
            r#"{"optional":1,"type":"boolean"}"#
        );
        assert_eq!(f.get("host").unwrap().to_string(), r#"{"type":"string"}"#);
        assert_eq!(
            f.get("watchdog").unwrap().to_string(),
            r#"{"enum":["i6300esb","ib700"],"optional":1,"type":"string"}"#
        );
        assert_eq!(f.len(), 4);
        let f = typetext_format("pve-qm-ipconfig", "[gw=<GatewayIPv4>] [,gw6=<GatewayIPv6>] [,ip=<IPv4Format/CIDR>] [,ip6=<IPv6Format/CIDR>]").unwrap();
        assert_eq!(
            f.get("gw").unwrap().get("requires").unwrap().as_str(),
            Some("ip")
        );
        assert!(typetext_format("pve-configid-list", "a=b").is_none());
        assert!(typetext_format("x", "<string>").is_none());
    }

    #[test]
    fn untyped_schemas_get_a_type() {
        let s = |v| Schema::from_value(&v);
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"properties": {}}"#).unwrap())),
            "object"
        );
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"items": {}}"#).unwrap())),
            "array"
        );
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"enum": ["a"]}"#).unwrap())),
            "string"
        );
        assert_eq!(infer_type(&s(crate::json::parse(r#"{}"#).unwrap())), "any");
        assert_eq!(
            infer_type(&s(crate::json::parse(r#"{"type": "integer"}"#).unwrap())),
            "integer"
        );
    }
}
