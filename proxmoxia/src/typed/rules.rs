//! The schema's rules, as the generator writes them: compact JSON text, one string per
//! endpoint and per property-string format.
//!
//! Keeping rules as data (a string literal costs the compiler nothing) rather than code keeps
//! the generated API cheap to build. Each text is read once, on first use, and kept; its
//! patterns are compiled then.
//!
//! The text is JSON, the mirror of the generator's `rules` module (`proxmoxia-macros`), which
//! writes it:
//! * a parameter list `[{"n": name, "i": 1 if indexed, "r": rule, "v": versions,
//!   "vr": [[versions, rule], ...]}, ...]` (`v`: the versions that have the parameter where
//!   not every version of its method does; `vr`: each version's own rule where they differ);
//! * a rule `{"t": "s"|"i"|"n"|"b"|"a", "o": 1 if optional, "e": [values], "ev": {value:
//!   versions}, "min", "max", "minl", "maxl", "p": pattern, "f": named format, "l": list
//!   item format, "prop": format, "req": required other}`;
//! * a format `{"name": .., "dk": default key, "k": [{"k": key, "r": rule, "v": versions}
//!   or {"k": key, "a": alias target, "ka": key alias}]}`.
//!
//! Versions are bit masks over `crate::api::PVE_VERSIONS`. Reading is strict: a key this
//! module does not know, or a value of the wrong type, is an error, and validation with
//! rules that cannot be read fails (it never passes unchecked). A test reads every rule the
//! generator wrote.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value};

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
    pub pattern: Option<Pattern>,
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

/// The parameters of `rules` that the vendored versions check differently, each with the
/// rule the version at `index` checks (what checking a call against that version adds).
pub fn own_rules_at(rules: &[ParamRule], index: usize) -> Vec<ParamRule> {
    rules
        .iter()
        .filter(|r| !r.by_version.is_empty())
        .map(|r| ParamRule {
            rule: r.for_version(index).clone(),
            by_version: Vec::new(),
            ..r.clone()
        })
        .collect()
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
    /// Positions in `keys` by key.
    index: NameIndex,
    /// Positions of the distinct `keyAlias` keys of the alias entries (a NIC's `model`), in
    /// the order of their first entry.
    key_aliases: Vec<usize>,
}

impl PropFormat {
    /// A format of these keys.
    pub fn new(name: String, default_key: Option<String>, keys: Vec<PropKey>) -> PropFormat {
        let index = NameIndex::new(keys.iter().map(|k| k.key.as_str()));
        let mut key_aliases = Vec::new();
        for key in &keys {
            let at = key
                .alias
                .as_ref()
                .and(key.key_alias.as_deref())
                .and_then(|key_alias| index.get(key_alias));
            if let Some(at) = at.filter(|at| !key_aliases.contains(at)) {
                key_aliases.push(at);
            }
        }
        PropFormat {
            name,
            default_key,
            keys,
            index,
            key_aliases,
        }
    }

    /// Positions in [`keys`](PropFormat::keys) of the distinct keys that alias entries set
    /// (`model` for a NIC's `virtio=MAC`), in the order of their first entry.
    pub(crate) fn key_alias_positions(&self) -> &[usize] {
        &self.key_aliases
    }

    /// The key entry named `key`.
    pub fn key(&self, key: &str) -> Option<&PropKey> {
        self.key_index(key).map(|i| &self.keys[i])
    }

    /// The position in [`keys`](PropFormat::keys) of the entry named `key`.
    pub fn key_index(&self, key: &str) -> Option<usize> {
        self.index
            .get(key)
            .filter(|at| self.keys.get(*at).is_some_and(|k| k.key == key))
    }

    /// Whether some key is not in every vendored version.
    pub fn has_versioned_keys(&self) -> bool {
        self.keys.iter().any(|k| k.versions.is_some())
    }
}

/// Positions by name, for lookups on every validation and every property string printed: a
/// hash of a few multiplications (names are short and come from the generator, so no
/// hashing defence is needed) and one comparison, where a binary search costs several.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    map: HashMap<Box<str>, usize, BuildHasherDefault<ShortHash>>,
}

impl NameIndex {
    /// The position of each name (the first, for a name given twice).
    pub(crate) fn new<'a>(names: impl Iterator<Item = &'a str>) -> NameIndex {
        let mut index = NameIndex::default();
        for (at, name) in names.enumerate() {
            index.insert(name, at);
        }
        index
    }

    /// Adds `name` at `at`, unless it is there.
    pub(crate) fn insert(&mut self, name: &str, at: usize) {
        self.map.entry(name.into()).or_insert(at);
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.map.get(name).copied()
    }
}

/// FxHash's mixing, eight bytes at a time.
#[derive(Default)]
pub(crate) struct ShortHash(u64);

impl Hasher for ShortHash {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
        }
        for b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(*b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A schema pattern (Rust dialect), compiled when its rules are read. The whole value must
/// match, as in PVE.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    regex: regex_lite::Regex,
}

impl Pattern {
    /// Values longer than this never match (PVE's own limits stop them before).
    const MAX_MATCHED: usize = 64 * 1024;

    /// Compiles `source`.
    pub fn new(source: &str) -> Result<Pattern, String> {
        regex_lite::Regex::new(&format!("^(?s:{source})$"))
            .map(|regex| Pattern {
                source: source.to_owned(),
                regex,
            })
            .map_err(|e| format!("pattern {source:?} does not compile: {e}"))
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when all of `text` matches.
    pub fn full_match(&self, text: &str) -> bool {
        text.len() <= Self::MAX_MATCHED && self.regex.is_match(text)
    }
}

// ------------------------------------------------------------------------------------------
// Reading the text, strictly.

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what}: expected an object, got {v}"))
}

/// Fails on a key not in `known`.
fn only(map: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), String> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(format!("{what}: unknown key {key:?}")),
        None => Ok(()),
    }
}

fn text(map: &Map<String, Value>, key: &str, what: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{what}: {key} must be a string, got {other}")),
    }
}

fn flag(map: &Map<String, Value>, key: &str, what: &str) -> Result<bool, String> {
    match map.get(key) {
        None => Ok(false),
        Some(v) if v.as_u64() == Some(1) => Ok(true),
        Some(other) => Err(format!("{what}: {key} must be 1, got {other}")),
    }
}

fn mask_of(v: &Value, what: &str) -> Result<u32, String> {
    v.as_u64()
        .and_then(|m| u32::try_from(m).ok())
        .ok_or_else(|| format!("{what}: a version mask must be a number, got {v}"))
}

fn mask(map: &Map<String, Value>, what: &str) -> Result<Option<u32>, String> {
    map.get("v").map(|v| mask_of(v, what)).transpose()
}

fn number(map: &Map<String, Value>, key: &str, what: &str) -> Result<Option<f64>, String> {
    map.get(key)
        .map(|v| {
            v.as_f64()
                .ok_or_else(|| format!("{what}: {key} must be a number, got {v}"))
        })
        .transpose()
}

fn length(map: &Map<String, Value>, key: &str, what: &str) -> Result<Option<u32>, String> {
    map.get(key)
        .map(|v| {
            v.as_u64()
                .map(|n| n.min(u32::MAX as u64) as u32)
                .ok_or_else(|| format!("{what}: {key} must be a length, got {v}"))
        })
        .transpose()
}

impl Rule {
    /// Reads a rule.
    pub fn read(v: &Value, what: &str) -> Result<Rule, String> {
        let map = object(v, what)?;
        only(
            map,
            &[
                "t", "o", "e", "ev", "min", "max", "minl", "maxl", "p", "f", "l", "prop", "req",
            ],
            what,
        )?;
        let ty = match map.get("t").and_then(Value::as_str) {
            Some("b") => Ty::Bool,
            Some("i") => Ty::Int,
            Some("n") => Ty::Num,
            Some("s") => Ty::Str,
            Some("a") => Ty::Any,
            other => return Err(format!("{what}: unknown type {other:?}")),
        };
        let enum_values = match map.get("e") {
            None => Vec::new(),
            Some(Value::Array(values)) => values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| format!("{what}: enum values must be strings, got {v}"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("{what}: e must be a list, got {other}")),
        };
        let enum_versions = match map.get("ev") {
            None => Vec::new(),
            Some(ev) => object(ev, what)?
                .iter()
                .map(|(value, m)| Ok((value.clone(), mask_of(m, what)?)))
                .collect::<Result<_, String>>()?,
        };
        let format = if let Some(prop) = map.get("prop") {
            Format::Prop(Arc::new(PropFormat::read(prop, what)?))
        } else if let Some(item) = text(map, "l", what)? {
            Format::List(item)
        } else if let Some(named) = text(map, "f", what)? {
            Format::Named(named)
        } else {
            Format::None
        };
        Ok(Rule {
            ty,
            optional: flag(map, "o", what)?,
            enum_values,
            minimum: number(map, "min", what)?,
            maximum: number(map, "max", what)?,
            min_length: length(map, "minl", what)?,
            max_length: length(map, "maxl", what)?,
            pattern: text(map, "p", what)?
                .map(|p| Pattern::new(&p).map_err(|e| format!("{what}: {e}")))
                .transpose()?,
            format,
            requires: text(map, "req", what)?,
            enum_versions,
        })
    }
}

impl ParamRule {
    /// Reads one entry of a parameter list.
    pub fn read(v: &Value) -> Result<ParamRule, String> {
        let map = object(v, "parameter")?;
        let name = text(map, "n", "parameter")?.ok_or("a parameter without a name")?;
        let what = format!("parameter {name}");
        only(map, &["n", "i", "r", "v", "vr"], &what)?;
        let rule = Rule::read(map.get("r").ok_or(format!("{what}: no rule"))?, &what)?;
        let by_version = match map.get("vr") {
            None => Vec::new(),
            Some(Value::Array(alternatives)) => alternatives
                .iter()
                .map(|a| match a.as_array().map(Vec::as_slice) {
                    Some([m, r]) => Ok((mask_of(m, &what)?, Rule::read(r, &what)?)),
                    _ => Err(format!("{what}: vr entries are [versions, rule], got {a}")),
                })
                .collect::<Result<_, String>>()?,
            Some(other) => return Err(format!("{what}: vr must be a list, got {other}")),
        };
        Ok(ParamRule {
            indexed: flag(map, "i", &what)?,
            versions: mask(map, &what)?,
            name,
            rule,
            by_version,
        })
    }
}

impl PropFormat {
    /// Reads a property-string format.
    pub fn read(v: &Value, what: &str) -> Result<PropFormat, String> {
        let map = object(v, what)?;
        only(map, &["name", "dk", "k"], what)?;
        let name = text(map, "name", what)?.unwrap_or_default();
        let what = format!("{what}: format {name}");
        let keys: Vec<PropKey> = match map.get("k") {
            Some(Value::Array(keys)) => keys
                .iter()
                .map(|k| {
                    let entry = object(k, &what)?;
                    let key =
                        text(entry, "k", &what)?.ok_or(format!("{what}: a key without a name"))?;
                    let what = format!("{what}: key {key}");
                    if entry.contains_key("a") {
                        only(entry, &["k", "a", "ka"], &what)?;
                        return Ok(PropKey {
                            alias: text(entry, "a", &what)?,
                            key_alias: text(entry, "ka", &what)?,
                            rule: Rule::new(Ty::Str, true),
                            versions: None,
                            key,
                        });
                    }
                    only(entry, &["k", "r", "v"], &what)?;
                    Ok(PropKey {
                        rule: Rule::read(entry.get("r").ok_or(format!("{what}: no rule"))?, &what)?,
                        alias: None,
                        key_alias: None,
                        versions: mask(entry, &what)?,
                        key,
                    })
                })
                .collect::<Result<_, String>>()?,
            other => return Err(format!("{what}: k must be a list, got {other:?}")),
        };
        if keys.len() > usize::from(u16::MAX) {
            return Err(format!(
                "{what}: {} keys, more than a format can hold",
                keys.len()
            ));
        }
        Ok(PropFormat::new(name, text(map, "dk", &what)?, keys))
    }
}

/// Reads a parameter list.
pub fn read_params(text: &str) -> Result<Vec<ParamRule>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the rules are not JSON: {e}"))?;
    match value {
        Value::Array(items) => items.iter().map(ParamRule::read).collect(),
        other => Err(format!("the rules must be a list, got {other}")),
    }
}

/// Reads a property-string format.
pub fn read_format(text: &str) -> Result<PropFormat, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the format is not JSON: {e}"))?;
    PropFormat::read(&value, "property string")
}

// ------------------------------------------------------------------------------------------
// Kept once read.
//
// Every validation and every property string printed looks its rules up here, from any
// number of tasks at once: lookups take no lock and allocate nothing. The table is open
// addressing over `OnceLock` slots (each set once, never changed), keyed by the address and
// length of the generated text; only filling a slot, once per text, takes a lock.

/// A generated text (address, length) and the type read from it.
type Key = (usize, usize, TypeId);

struct Slot {
    key: Key,
    value: &'static (dyn Any + Send + Sync),
}

/// Room for every generated text (under 1,500 endpoints' rules, path rules and formats) at
/// under half full; beyond that, texts are kept in `OVERFLOW`.
const SLOTS: usize = 4096;

static TABLE: [OnceLock<Slot>; SLOTS] = [const { OnceLock::new() }; SLOTS];

/// Held while a text is read and its slot filled; texts that found no slot.
static OVERFLOW: Mutex<Vec<Slot>> = Mutex::new(Vec::new());

fn home(key: &Key) -> usize {
    let mixed = (key.0 as u64 ^ (key.1 as u64).rotate_left(32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> 52) as usize % SLOTS
}

/// The value kept for `key`: `None` when it is not in the table (an empty slot ends the
/// search, as nothing is ever removed), `Err` when the table is full along the way.
fn lookup(key: &Key) -> Result<Option<&'static (dyn Any + Send + Sync)>, ()> {
    let start = home(key);
    for i in 0..SLOTS {
        match TABLE[(start + i) % SLOTS].get() {
            Some(slot) if slot.key == *key => return Ok(Some(slot.value)),
            Some(_) => {}
            None => return Ok(None),
        }
    }
    Err(())
}

/// Reads generated text once per text and keeps the result (an error too).
pub(crate) fn cached<T: Send + Sync + 'static>(
    text: &'static str,
    read: impl FnOnce(&'static str) -> T,
) -> &'static T {
    let key = (text.as_ptr() as usize, text.len(), TypeId::of::<T>());
    if let Ok(Some(found)) = lookup(&key) {
        if let Some(found) = found.downcast_ref::<T>() {
            return found;
        }
    }
    let mut overflow = OVERFLOW.lock().unwrap_or_else(|e| e.into_inner());
    // Another caller may have read it while we waited.
    let kept = match lookup(&key) {
        Ok(found) => found,
        Err(()) => overflow.iter().find(|s| s.key == key).map(|s| s.value),
    };
    if let Some(found) = kept.and_then(|v| v.downcast_ref::<T>()) {
        return found;
    }
    let leaked: &'static T = Box::leak(Box::new(read(text)));
    let mut slot = Some(Slot { key, value: leaked });
    let start = home(&key);
    for i in 0..SLOTS {
        let Some(filling) = slot.take() else { break };
        // Slots are filled only under the lock, so an empty one takes it.
        if let Err(refused) = TABLE[(start + i) % SLOTS].set(filling) {
            slot = Some(refused);
        }
    }
    if let Some(slot) = slot {
        overflow.push(slot);
    }
    leaked
}

/// The parameter rules in `text`, or why they cannot be read.
pub fn params(text: &'static str) -> Result<&'static [ParamRule], String> {
    cached(text, read_params)
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

/// The property-string format in `text`. One that cannot be read (never, for the generated
/// ones: a test reads them all) is a format without keys: every key is then kept unread in
/// `extra`, and nothing is validated with it (validation reads the parameter's rules, which
/// fail).
pub fn prop_format(text: &'static str) -> &'static PropFormat {
    static EMPTY: OnceLock<PropFormat> = OnceLock::new();
    match cached(text, read_format) {
        Ok(format) => format,
        Err(e) => {
            tracing::error!(error = %e, "a generated property-string format cannot be read");
            EMPTY.get_or_init(|| PropFormat::new("unreadable".into(), None, Vec::new()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_from_json_once() {
        static JSON: &str = r#"[{"n":"memory","r":{"t":"i","o":1,"min":16}},{"n":"net","i":1,"r":{"t":"s","o":1,"prop":{"name":"Net","dk":"model","k":[{"k":"model","r":{"t":"s","e":["virtio"]}},{"k":"virtio","a":"macaddr","ka":"model"}]}}}]"#;
        let rules = params(JSON).unwrap();
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
        assert!(std::ptr::eq(params(JSON).unwrap(), rules));
    }

    #[test]
    fn rules_that_cannot_be_read_are_errors() {
        for (text, why) in [
            ("not json", "not JSON"),
            ("{}", "must be a list"),
            (r#"[{"n":"a","r":{"t":"x"}}]"#, "unknown type"),
            (r#"[{"n":"a","r":{"t":"s","zz":1}}]"#, "unknown key \"zz\""),
            (r#"[{"n":"a","r":{"t":"s","p":"a("}}]"#, "does not compile"),
            (
                r#"[{"n":"a","r":{"t":"i","min":"x"}}]"#,
                "min must be a number",
            ),
            (
                r#"[{"n":"a","r":{"t":"s","prop":{"k":[{"k":"x"}]}}}]"#,
                "no rule",
            ),
            (r#"[{"r":{"t":"s"}}]"#, "without a name"),
        ] {
            let err = read_params(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }
}

/// Every rule and pattern the generator wrote can be read and compiled.
#[cfg(test)]
mod generated {
    #[test]
    fn every_generated_rule_reads_and_every_pattern_compiles() {
        let mut read = 0;
        let mut failures = Vec::new();
        for entry in crate::api::ENDPOINTS {
            let at = format!("{} {}", entry.info.method, entry.info.path);
            for (what, text) in [
                ("rules", entry.rules),
                ("path rules", entry.info.path_rules),
            ] {
                match super::read_params(text) {
                    Ok(rules) => read += rules.len(),
                    Err(e) => failures.push(format!("{at} {what}: {e}")),
                }
            }
        }
        for format in crate::api::formats::ALL {
            let read_back = (format.format)();
            if read_back.name == "unreadable" {
                failures.push(format!("format {}", format.name));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(crate::api::ENDPOINTS.len(), 676);
        assert!(read > 2000, "only {read} parameter rules");
    }
}
