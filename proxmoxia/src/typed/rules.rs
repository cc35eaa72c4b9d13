//! The schema's rules, as the generator writes them: compact JSON text, one string per
//! endpoint and per property-string format.
//!
//! Keeping rules as data (a string literal costs the compiler nothing) rather than code keeps
//! the generated API cheap to build. Each text is read once, on first use, and kept.
//!
//! The JSON: a parameter list `[{"n": name, "i": 1 if indexed, "r": rule}, ...]`; a rule
//! `{"t": "s"|"i"|"n"|"b"|"a", "o": 1 if optional, "e": [values], "min", "max", "minl",
//! "maxl", "p": pattern, "f": named format, "l": list item format, "prop": format,
//! "req": required other}`; a format `{"name": .., "dk": default key, "k": [{"k": key,
//! "r": rule} or {"k": key, "a": alias target, "ka": key alias}]}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// The JSON type a value must have on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `1`/`0` and PVE's other spellings.
    Bool,
    /// An integer.
    Int,
    /// A number.
    Num,
    /// A string.
    Str,
    /// Anything.
    Any,
}

/// What a string value must look like beyond length and pattern.
#[derive(Debug, Clone)]
pub enum Format {
    /// Nothing more.
    None,
    /// A named format of PVE (`pve-vmid`, `mac-addr`, `ipv4`, ...).
    Named(String),
    /// A list (`pve-configid-list`): items separated by `,`, `;` or spaces, each of the named
    /// item format (`pve-configid`).
    List(String),
    /// A property string (`virtio=...,bridge=vmbr0`).
    Prop(Arc<PropFormat>),
}

/// The rule of one value.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its type.
    pub ty: Ty,
    /// May be left out.
    pub optional: bool,
    /// Allowed values, if listed.
    pub enum_values: Vec<String>,
    /// Smallest number.
    pub minimum: Option<f64>,
    /// Largest number.
    pub maximum: Option<f64>,
    /// Shortest string, in characters.
    pub min_length: Option<u32>,
    /// Longest string, in characters.
    pub max_length: Option<u32>,
    /// A regular expression (Rust dialect) the whole string must match.
    pub pattern: Option<String>,
    /// The format.
    pub format: Format,
    /// Another parameter (or key) that must be given with this one.
    pub requires: Option<String>,
    /// Values not every vendored PVE version allows, with the versions that do (a mask over
    /// `crate::api::PVE_VERSIONS`).
    pub enum_versions: Vec<(String, u32)>,
}

impl Rule {
    /// A value of type `ty`, required unless `optional`, with nothing else to check.
    pub fn new(ty: Ty, optional: bool) -> Rule {
        Rule {
            ty,
            optional,
            enum_values: Vec::new(),
            minimum: None,
            maximum: None,
            min_length: None,
            max_length: None,
            pattern: None,
            format: Format::None,
            requires: None,
            enum_versions: Vec::new(),
        }
    }

    fn from_json(v: &Value) -> Rule {
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let number = |key: &str| v.get(key).and_then(Value::as_f64);
        let length = |key: &str| {
            v.get(key)
                .and_then(Value::as_u64)
                .map(|n| n.min(u32::MAX as u64) as u32)
        };
        let format = if let Some(prop) = v.get("prop") {
            Format::Prop(Arc::new(PropFormat::from_json(prop)))
        } else if let Some(item) = text("l") {
            Format::List(item)
        } else if let Some(named) = text("f") {
            Format::Named(named)
        } else {
            Format::None
        };
        Rule {
            ty: match v.get("t").and_then(Value::as_str) {
                Some("b") => Ty::Bool,
                Some("i") => Ty::Int,
                Some("n") => Ty::Num,
                Some("s") => Ty::Str,
                _ => Ty::Any,
            },
            optional: v.get("o").and_then(Value::as_u64) == Some(1),
            enum_values: v
                .get("e")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            minimum: number("min"),
            maximum: number("max"),
            min_length: length("minl"),
            max_length: length("maxl"),
            pattern: text("p"),
            format,
            requires: text("req"),
            enum_versions: v
                .get("ev")
                .and_then(Value::as_object)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|(k, m)| Some((k.clone(), u32::try_from(m.as_u64()?).ok()?)))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// One parameter of an endpoint and its rule.
#[derive(Debug, Clone)]
pub struct ParamRule {
    /// The wire name (the prefix, for an indexed family: `net` for `net0`, `net1`, ...).
    pub name: String,
    /// An indexed family.
    pub indexed: bool,
    /// The rule of each value.
    pub rule: Rule,
    /// The vendored versions that have it, where not every version of its method does.
    pub versions: Option<u32>,
    /// Where versions check it differently, each version's own rule (with the versions it
    /// applies to); [`rule`](ParamRule::rule) is then the widest of them.
    pub by_version: Vec<(u32, Rule)>,
}

impl ParamRule {
    /// The rule the vendored version at `index` of `crate::api::PVE_VERSIONS` checks.
    pub fn for_version(&self, index: usize) -> &Rule {
        self.by_version
            .iter()
            .find(|(mask, _)| mask & (1 << index) != 0)
            .map_or(&self.rule, |(_, rule)| rule)
    }
}

/// One key of a property string.
#[derive(Debug, Clone)]
pub struct PropKey {
    /// The key.
    pub key: String,
    /// The key's value rule.
    pub rule: Rule,
    /// This key is another name of `alias` (`file` for a disk's `volume`).
    pub alias: Option<String>,
    /// Writing `this=value` sets `key_alias` to this key's name and `alias` to `value`
    /// (`virtio=BC:24:..` sets `model=virtio`, `macaddr=BC:24:..`).
    pub key_alias: Option<String>,
    /// The vendored versions that have the key, where not every version does.
    pub versions: Option<u32>,
}

/// A property-string format: its keys, and the key a bare value stands for.
#[derive(Debug, Clone)]
pub struct PropFormat {
    /// The Rust type's name, for messages.
    pub name: String,
    /// The key of a value written without `key=`.
    pub default_key: Option<String>,
    /// The keys, aliases included, in schema order.
    pub keys: Vec<PropKey>,
}

impl PropFormat {
    /// The key entry named `key`.
    pub fn key(&self, key: &str) -> Option<&PropKey> {
        self.keys.iter().find(|k| k.key == key)
    }

    fn from_json(v: &Value) -> PropFormat {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        PropFormat {
            name: text(v, "name").unwrap_or_default(),
            default_key: text(v, "dk"),
            keys: v
                .get("k")
                .and_then(Value::as_array)
                .map(|keys| {
                    keys.iter()
                        .map(|k| PropKey {
                            key: text(k, "k").unwrap_or_default(),
                            rule: k
                                .get("r")
                                .map(Rule::from_json)
                                .unwrap_or_else(|| Rule::new(Ty::Str, true)),
                            alias: text(k, "a"),
                            key_alias: text(k, "ka"),
                            versions: mask(k),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The `v` of an entry: a mask of vendored versions.
fn mask(v: &Value) -> Option<u32> {
    v.get("v")
        .and_then(Value::as_u64)
        .and_then(|m| u32::try_from(m).ok())
}

/// A generated text (address, length) and the type read from it.
type CacheKey = (usize, usize, std::any::TypeId);
type Cache = Mutex<HashMap<CacheKey, &'static (dyn std::any::Any + Send + Sync)>>;

/// Reads generated JSON once per text; text that does not parse reads as `null` (nothing to
/// check), as the server still checks everything.
fn cached<T: Send + Sync + 'static>(
    json: &'static str,
    read: impl FnOnce(&Value) -> T,
) -> &'static T {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (
        json.as_ptr() as usize,
        json.len(),
        std::any::TypeId::of::<T>(),
    );
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(found) = cache.get(&key).and_then(|v| v.downcast_ref::<T>()) {
        return found;
    }
    let value: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let leaked: &'static T = Box::leak(Box::new(read(&value)));
    cache.insert(key, leaked);
    leaked
}

/// The parameter rules in `json`.
pub fn params(json: &'static str) -> &'static [ParamRule] {
    cached(json, |v| {
        v.as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|p| ParamRule {
                        name: p
                            .get("n")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        indexed: p.get("i").and_then(Value::as_u64) == Some(1),
                        rule: p
                            .get("r")
                            .map(Rule::from_json)
                            .unwrap_or_else(|| Rule::new(Ty::Any, true)),
                        versions: mask(p),
                        by_version: p
                            .get("vr")
                            .and_then(Value::as_array)
                            .map(|alternatives| {
                                alternatives
                                    .iter()
                                    .filter_map(|a| {
                                        let m = u32::try_from(a.get(0)?.as_u64()?).ok()?;
                                        Some((m, Rule::from_json(a.get(1)?)))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    })
}

/// The property-string format in `json`.
pub fn prop_format(json: &'static str) -> &'static PropFormat {
    cached(json, PropFormat::from_json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_from_json_once() {
        static JSON: &str = r#"[{"n":"memory","r":{"t":"i","o":1,"min":16}},{"n":"net","i":1,"r":{"t":"s","o":1,"prop":{"name":"Net","dk":"model","k":[{"k":"model","r":{"t":"s","e":["virtio"]}},{"k":"virtio","a":"macaddr","ka":"model"}]}}}]"#;
        let rules = params(JSON);
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].rule.minimum, Some(16.0));
        assert!(rules[0].rule.optional && !rules[0].indexed && rules[1].indexed);
        let Format::Prop(net) = &rules[1].rule.format else {
            panic!("a property string")
        };
        assert_eq!(net.default_key.as_deref(), Some("model"));
        assert_eq!(
            net.key("virtio").and_then(|k| k.key_alias.as_deref()),
            Some("model")
        );
        assert!(std::ptr::eq(params(JSON), rules));
    }

    #[test]
    fn broken_json_checks_nothing() {
        assert!(params("not json").is_empty());
    }
}
