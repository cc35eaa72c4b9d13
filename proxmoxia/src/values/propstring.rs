//! Property strings: `virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1`.
//!
//! Parsing and printing follow PVE's rules: `key=value` pairs separated by commas; a value
//! may be double-quoted (with `\"` and `\\` escapes) to hold commas; a bare value belongs to
//! the format's `default_key`; an alias key stands for another key, and a key with a
//! `keyAlias` sets two (`virtio=MAC` means `model=virtio,macaddr=MAC`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};
use smallvec::SmallVec;

use super::encode::Encode;
use crate::catalog::{PropFormat, PropKey};
use crate::decode::Lenient;

/// Why a property string could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropError {
    /// The key concerned, if any.
    pub key: Option<String>,
    /// What is wrong, in PVE's words where it has some.
    pub message: String,
}

impl PropError {
    fn new(key: Option<&str>, message: impl Into<String>) -> PropError {
        PropError {
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for PropError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{key}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for PropError {}

/// A parsed property string: the format's keys (aliases resolved) and the unknown ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pairs {
    /// Known keys and their values, as written.
    pub known: BTreeMap<String, String>,
    /// Keys the format does not list.
    pub unknown: BTreeMap<String, String>,
}

/// Where a text's characters stand relative to its double quotes (a `\` escapes the next
/// character inside quotes): the scan [`quotes_close`] and [`Parts`] share.
#[derive(Default)]
struct Quotes {
    quoted: bool,
    escaped: bool,
}

impl Quotes {
    /// Takes the next character: whether it stands outside quotes (a quote is not).
    fn outside(&mut self, c: char) -> bool {
        if self.escaped {
            self.escaped = false;
            return false;
        }
        match c {
            '\\' if self.quoted => {
                self.escaped = true;
                false
            }
            '"' => {
                self.quoted = !self.quoted;
                false
            }
            _ => !self.quoted,
        }
    }
}

/// Whether every double quote is closed (a `\` escapes the next character inside quotes).
fn quotes_close(text: &str) -> bool {
    let mut quotes = Quotes::default();
    for c in text.chars() {
        quotes.outside(c);
    }
    !quotes.quoted
}

/// The non-empty parts of a text split on commas outside double quotes (quotes closed).
struct Parts<'a>(&'a str);

impl<'a> Iterator for Parts<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if self.0.is_empty() {
                return None;
            }
            let mut quotes = Quotes::default();
            let end = self
                .0
                .char_indices()
                .find(|&(_, c)| quotes.outside(c) && c == ',')
                .map_or(self.0.len(), |(i, _)| i);
            let part = &self.0[..end];
            self.0 = self.0.get(end + 1..).unwrap_or("");
            if !part.is_empty() {
                return Some(part);
            }
        }
    }
}

/// Splits `key=value` at the first `=` outside quotes.
fn split_key(part: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in part.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '=' if !quoted => return Some((&part[..i], &part[i + 1..])),
            _ => {}
        }
    }
    None
}

/// The value of a (possibly quoted) written value: a slice of it unless it has escapes.
fn unquote(value: &str) -> std::result::Result<Cow<'_, str>, String> {
    let Some(inner) = value.strip_prefix('"') else {
        return Ok(Cow::Borrowed(value));
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or_else(|| format!("badly quoted value {value:?}"))?;
    if !inner.contains(['\\', '"']) {
        return Ok(Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => out.push(next),
                None => return Err("dangling backslash in quoted value".into()),
            },
            '"' => return Err(format!("badly quoted value {value:?}")),
            c => out.push(c),
        }
    }
    Ok(Cow::Owned(out))
}

/// A text read in a format, its values borrowed from it where they need no unescaping: the
/// value of each key of the format by the key's position (aliases resolved), and the keys
/// the format does not list, in the order they came. What [`parse`] and validation read.
pub(crate) struct Read<'t> {
    /// By position in the format's keys; `None`: not given.
    pub(crate) known: SmallVec<[Option<Cow<'t, str>>; 32]>,
    pub(crate) unknown: SmallVec<[(&'t str, Cow<'t, str>); 2]>,
}

/// Reads `text` in `format`, following PVE's reading to the letter (errors in its words).
pub(crate) fn read<'t>(text: &'t str, format: &PropFormat) -> Result<Read<'t>, PropError> {
    if !quotes_close(text) {
        return Err(PropError::new(None, "unterminated quoted value"));
    }
    let mut read = Read {
        known: SmallVec::from_elem(None, format.keys.len()),
        unknown: SmallVec::new(),
    };
    for part in Parts(text) {
        let (key, raw_value) = match split_key(part) {
            // A key holds no quote (it could not be printed back): a part with one before
            // its `=` is a bare value, as a quoted one is.
            Some((key, value)) if !key.is_empty() && !key.contains('"') => (key, value),
            _ => match format.default_key {
                Some(key) => (key, part),
                None => {
                    return Err(PropError::new(
                        None,
                        format!(
                            "value without key, but schema does not define a default key ({part:?})"
                        ),
                    ));
                }
            },
        };
        let value = unquote(raw_value).map_err(|message| PropError::new(None, message))?;
        // `at`: the position of `k` in the format, where the caller has looked it up.
        let mut set = |k: &'t str, at: Option<usize>, v: Cow<'t, str>| -> Result<(), PropError> {
            let fresh = match at {
                Some(at) => read.known[at].replace(v).is_none(),
                None if read.unknown.iter().any(|(seen, _)| *seen == k) => false,
                None => {
                    read.unknown.push((k, v));
                    true
                }
            };
            if fresh {
                Ok(())
            } else {
                Err(PropError::new(
                    Some(k),
                    "duplicate key in comma-separated list property",
                ))
            }
        };
        let at = format.key_index(key);
        match at.map(|at| &format.keys[at]) {
            Some(&PropKey {
                alias: Some(target),
                key_alias,
                ..
            }) => {
                if let Some(key_alias) = key_alias {
                    set(key_alias, format.key_index(key_alias), Cow::Borrowed(key))?;
                }
                set(target, format.key_index(target), value)?;
            }
            _ => set(key, at, value)?,
        }
    }
    Ok(read)
}

/// Parses `text` in `format`.
pub fn parse(text: &str, format: &PropFormat) -> Result<Pairs, PropError> {
    let read = read(text, format)?;
    let known = format
        .keys
        .iter()
        .zip(read.known)
        .filter_map(|(key, value)| Some((key.key.to_owned(), value?.into_owned())))
        .collect();
    let unknown = read
        .unknown
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value.into_owned()))
        .collect();
    Ok(Pairs { known, unknown })
}

/// Whether a value must be quoted to survive parsing.
fn needs_quotes(value: &str) -> bool {
    value.is_empty()
        || value.contains([',', '"', '\\'])
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace)
}

fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_quoted(&mut out, value);
    out
}

/// Writes `value`, quoted if it must be.
fn push_quoted(out: &mut String, value: &str) {
    if !needs_quotes(value) {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// A key's value to print: text, or a JSON value written as text (`true` is `1`) without
/// first making a string of it.
#[derive(Clone, Copy)]
enum Scalar<'a> {
    Text(&'a str),
    Json(&'a Value),
}

impl<'a> Scalar<'a> {
    fn of(value: &'a Value) -> Scalar<'a> {
        match value {
            Value::String(s) => Scalar::Text(s),
            Value::Bool(true) => Scalar::Text("1"),
            Value::Bool(false) => Scalar::Text("0"),
            other => Scalar::Json(other),
        }
    }

    fn contains_equals(self) -> bool {
        match self {
            Scalar::Text(s) => s.contains('='),
            Scalar::Json(v) => v.to_string().contains('='),
        }
    }

    fn push(self, out: &mut String) {
        match self {
            Scalar::Text(s) => push_quoted(out, s),
            Scalar::Json(v) => push_quoted(out, &v.to_string()),
        }
    }
}

/// Prints `pairs` in `format` as PVE prints a property string: the `keyAlias` form first
/// (`virtio=MAC`), then the default key's value bare, then the required keys and then the
/// others, each in schema (name) order, then unknown keys.
pub fn print(pairs: &Pairs, format: &PropFormat) -> String {
    let mut out = String::new();
    print_into(
        &mut out,
        format,
        |at| {
            let key = format.keys.get(at)?.key;
            pairs.known.get(key).map(|v| Scalar::Text(v))
        },
        pairs.unknown.iter(),
    );
    out
}

/// A few positions in a format: the keys a printed text has written already (at most the
/// two of a `keyAlias` form and the default key, as PVE's formats go), the alias entries to
/// write.
type Positions = SmallVec<[usize; 4]>;

/// Writes the keys `known` gives (by position in `format`) and the `unknown` ones into
/// `out`, in the order of [`print`], with no string made on the way.
fn print_into<'a>(
    out: &mut String,
    format: &'a PropFormat,
    known: impl Fn(usize) -> Option<Scalar<'a>>,
    unknown: impl Iterator<Item = (&'a String, &'a String)>,
) {
    let mut done = Positions::new();
    let part = |out: &mut String, key: Option<&str>, value: Scalar<'_>| {
        if !out.is_empty() {
            out.push(',');
        }
        if let Some(key) = key {
            out.push_str(key);
            out.push('=');
        }
        value.push(out);
    };
    let named = |key: &str| {
        let at = format.key_index(key)?;
        known(at).map(|value| (at, value))
    };
    // The `keyAlias` forms (`virtio=MAC`): the value of each key an alias entry sets (a NIC's
    // `model`) names that entry, whose target (`macaddr`) is written under the entry's name;
    // in the order of the entries, as PVE prints them.
    let mut forms = Positions::new();
    for key_alias_at in format.key_alias_positions() {
        let key_alias = &format.keys[key_alias_at];
        let Some(Scalar::Text(text)) = known(key_alias_at) else {
            continue;
        };
        let Some(entry_at) = format.key_index(text) else {
            continue;
        };
        let entry = &format.keys[entry_at];
        let sets_this = entry.alias.is_some() && entry.key_alias == Some(key_alias.key);
        if sets_this {
            forms.push(entry_at);
        }
    }
    forms.sort_unstable();
    for &entry_at in &forms {
        let entry = &format.keys[entry_at];
        let (Some(target), Some(key_alias)) = (entry.alias, entry.key_alias) else {
            continue;
        };
        if let Some((target_at, target_value)) = named(target) {
            part(out, Some(entry.key), target_value);
            if let Some(key_alias_at) = format.key_index(key_alias) {
                done.push(key_alias_at);
            }
            done.push(target_at);
        }
    }
    if let Some((at, value)) = format.default_key.and_then(named) {
        if !done.contains(&at) {
            // A bare value holding `=` would read as a key: write it out then.
            let with_key = value.contains_equals().then_some(format.keys[at].key);
            part(out, with_key, value);
            done.push(at);
        }
    }
    // As PVE's `print_property_string` (pve-common `PVE/JSONSchema.pm`): the required keys,
    // then the others, each in name order (the schema's).
    for required in [true, false] {
        for (at, entry) in format.keys.iter().enumerate() {
            if entry.alias.is_some() || done.contains(&at) || entry.rule.optional == required {
                continue;
            }
            if let Some(value) = known(at) {
                part(out, Some(entry.key), value);
            }
        }
    }
    for (key, value) in unknown {
        part(out, Some(key), Scalar::Text(value));
    }
}

/// The text of a property string PVE sent that could not be read, and why. The typed
/// fields of its value are empty; printing gives the text back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparsed {
    /// The text as received.
    pub raw: String,
    /// Why it could not be read.
    pub error: String,
}

/// A generated property-string type (`QemuNet`, `LxcMountPoint`, ...).
pub trait PropertyString: Default + Sized {
    /// Its format: keys, aliases, default key, rules.
    fn format() -> &'static PropFormat;
    /// Reads the typed keys out of `keys` (the known keys of a parsed text).
    #[doc(hidden)]
    fn take_keys(keys: &mut BTreeMap<String, String>) -> Result<Self, PropError>;
    /// Writes the typed keys into `out`.
    #[doc(hidden)]
    fn put_keys(&self, out: &mut KeySlots);
    /// Keys the schema does not list.
    fn extra(&self) -> &BTreeMap<String, String>;
    #[doc(hidden)]
    fn extra_mut(&mut self) -> &mut BTreeMap<String, String>;
    /// The text PVE sent, when it could not be read.
    fn unparsed(&self) -> Option<&Unparsed>;
    #[doc(hidden)]
    fn set_unparsed(&mut self, unparsed: Unparsed);
}

/// Parses a property string strictly: any key that does not fit is an error.
pub fn from_text<T: PropertyString>(text: &str) -> Result<T, PropError> {
    let mut pairs = parse(text, T::format())?;
    let mut value = T::take_keys(&mut pairs.known)?;
    *value.extra_mut() = pairs.unknown;
    Ok(value)
}

/// The key `key` of a parsed text, read as a `T` (the text `1` as `true`, `16` as 16, ...).
#[doc(hidden)]
pub fn prop_key<T: for<'de> Lenient<'de>>(
    keys: &mut BTreeMap<String, String>,
    key: &str,
) -> Result<Option<T>, PropError> {
    let Some(text) = keys.remove(key) else {
        return Ok(None);
    };
    let read = T::lenient(serde_core::de::value::StringDeserializer::<
        serde_core::de::value::Error,
    >::new(text));
    read.map(Some)
        .map_err(|e| PropError::new(Some(key), e.to_string()))
}

/// A scalar as property-string text (`true` is `1`).
fn scalar_text(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Bool(b) => if b { "1" } else { "0" }.to_owned(),
        other => other.to_string(),
    }
}

/// The text of a property string PVE answered as a JSON object (`/cluster/options` does):
/// its keys written `key=value` and read the same way as the text form, so aliases stand for
/// their keys (`virtio` for `model` and `macaddr`), unknown keys are kept, and a bad value
/// or a key given twice (by an alias) is kept as [`Unparsed`] rather than failing the answer
/// or being dropped. The canonical text when it reads; else the written text, kept as it is.
fn object_text(map: Map<String, Value>, format: &PropFormat) -> String {
    let written = map
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| format!("{key}={}", quote(&scalar_text(value))))
        .collect::<Vec<_>>()
        .join(",");
    match parse(&written, format) {
        Ok(pairs) => print(&pairs, format),
        Err(_) => written,
    }
}

/// Reads a property string as an answer gives it, leniently: PVE's text (or a number or
/// boolean standing for one), or a JSON object of its keys (`/cluster/options` answers so).
/// Text that cannot be read is kept as it came ([`PropertyString::unparsed`]) instead of
/// failing the whole answer.
pub fn deserialize<'de, T: PropertyString, D: serde_core::Deserializer<'de>>(
    d: D,
) -> Result<T, D::Error> {
    struct Visit<T>(std::marker::PhantomData<fn() -> T>);
    impl<'de, T: PropertyString> serde_core::de::Visitor<'de> for Visit<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a property string")
        }
        fn visit_str<E: serde_core::de::Error>(self, v: &str) -> Result<T, E> {
            Ok(from_answer(v.to_owned()))
        }
        fn visit_string<E: serde_core::de::Error>(self, v: String) -> Result<T, E> {
            Ok(from_answer(v))
        }
        fn visit_i64<E: serde_core::de::Error>(self, v: i64) -> Result<T, E> {
            Ok(from_answer(v.to_string()))
        }
        fn visit_u64<E: serde_core::de::Error>(self, v: u64) -> Result<T, E> {
            Ok(from_answer(v.to_string()))
        }
        fn visit_f64<E: serde_core::de::Error>(self, v: f64) -> Result<T, E> {
            Ok(from_answer(scalar_text(Value::from(v))))
        }
        fn visit_bool<E: serde_core::de::Error>(self, v: bool) -> Result<T, E> {
            Ok(from_answer(scalar_text(Value::Bool(v))))
        }
        fn visit_map<A: serde_core::de::MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut keys = Map::new();
            while let Some((key, value)) = map.next_entry::<String, Value>()? {
                keys.insert(key, value);
            }
            Ok(from_answer(object_text(keys, T::format())))
        }
    }
    d.deserialize_any(Visit(std::marker::PhantomData))
}

/// The value of a property string's text from an answer; kept unread when it does not fit.
fn from_answer<T: PropertyString>(text: String) -> T {
    match from_text::<T>(&text) {
        Ok(value) => value,
        Err(e) => {
            let mut value = T::default();
            value.set_unparsed(Unparsed {
                raw: text,
                error: e.to_string(),
            });
            value
        }
    }
}

/// Prints a property string; an unparsed one is printed as it came.
pub fn to_text<T: PropertyString>(value: &T) -> String {
    if let Some(unparsed) = value.unparsed() {
        return unparsed.raw.clone();
    }
    print_keys(&KeySlots::of(value), value.extra())
}

/// The text of typed `keys` and `extra` ones.
fn print_keys(keys: &KeySlots, extra: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(64);
    print_into(
        &mut out,
        keys.format,
        |at| keys.get(at).map(Scalar::of),
        extra.iter(),
    );
    out
}

/// A property string's typed keys by their position in its format (`None`: not set), as its
/// `put_keys` writes them: printing then walks the format without looking each key up by
/// name, and no key is copied.
#[doc(hidden)]
pub struct KeySlots {
    format: &'static PropFormat,
    values: Vec<Option<Value>>,
}

impl fmt::Debug for KeySlots {
    // Values may be secrets: only the names of the keys set are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = self.format.keys.iter().zip(&self.values);
        f.debug_list()
            .entries(set.filter(|(_, v)| v.is_some()).map(|(k, _)| &k.key))
            .finish()
    }
}

impl KeySlots {
    /// The typed keys of `value`.
    fn of<T: PropertyString>(value: &T) -> KeySlots {
        let format = T::format();
        let mut slots = KeySlots {
            format,
            values: vec![None; format.keys.len()],
        };
        value.put_keys(&mut slots);
        slots
    }

    /// Sets key `key` of the format to `value`, unless it is absent (the table holds no
    /// `null`).
    #[inline]
    pub fn put<V: Encode>(&mut self, key: &str, value: &V) {
        if value.is_absent() {
            return;
        }
        let value = value.encode();
        if value.is_null() {
            return;
        }
        if let Some(slot) = self
            .format
            .key_index(key)
            .and_then(|at| self.values.get_mut(at))
        {
            *slot = Some(value);
        }
    }

    /// The value of the key at position `at` in the format, if set.
    fn get(&self, at: usize) -> Option<&Value> {
        self.values.get(at)?.as_ref()
    }
}

/// One generated property-string type, for code that goes over all of them
/// (`crate::api::formats::ALL`): tests, documentation, tooling.
#[derive(Debug, Clone, Copy)]
pub struct FormatEntry {
    /// The Rust type's name (`QemuNet`).
    pub name: &'static str,
    /// Its format.
    pub format: fn() -> &'static PropFormat,
    /// Reads a text strictly and prints it back.
    pub reprint: fn(&str) -> Result<String, PropError>,
    /// [`reread`] of the type, for the fuzz targets.
    #[doc(hidden)]
    pub reread: fn(&str) -> Result<Option<String>, String>,
}

/// Reads `text` as a `T` and prints it back: `parse` then `to_string`.
pub fn reprint<T: PropertyString>(text: &str) -> Result<String, PropError> {
    from_text::<T>(text).map(|value| to_text(&value))
}

/// Reads `text` as a `T`, prints it and reads the print, for the fuzz targets (which can
/// only reach the types through [`FormatEntry`]): `Ok(None)` when `text` does not read,
/// `Ok(Some(printed))` when the print reads back as the same value and is its own print,
/// `Err` saying what differs otherwise. Also checks that the answer decoder keeps what it
/// cannot read as it came.
#[doc(hidden)]
pub fn reread<T: PropertyString + PartialEq + fmt::Debug>(
    text: &str,
) -> Result<Option<String>, String> {
    let answered = from_answer::<T>(text.to_owned());
    let value = match from_text::<T>(text) {
        Ok(value) => value,
        Err(_) if answered.unparsed().is_some() && to_text(&answered) == text => return Ok(None),
        Err(e) => {
            return Err(format!(
                "{text:?} does not read ({e}) but the answer kept {answered:?}"
            ));
        }
    };
    if answered != value {
        return Err(format!(
            "{text:?}: the answer read {answered:?}, the text {value:?}"
        ));
    }
    let printed = to_text(&value);
    let again = from_text::<T>(&printed)
        .map_err(|e| format!("{text:?} printed as {printed:?}, which does not read: {e}"))?;
    if again != value {
        return Err(format!(
            "{text:?} printed as {printed:?}, which reads as {again:?}, not {value:?}"
        ));
    }
    let reprinted = to_text(&again);
    if reprinted != printed {
        return Err(format!(
            "{text:?} printed as {printed:?}, then as {reprinted:?}"
        ));
    }
    Ok(Some(printed))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::catalog::{PropKey, Rule, Ty};

    static OPTIONAL: Rule = Rule::new(Ty::Str, true);
    static REQUIRED: Rule = Rule::new(Ty::Str, false);
    static FLAG: Rule = Rule::new(Ty::Bool, true);
    static NUMBER: Rule = Rule::new(Ty::Int, true);
    static NET: PropFormat = PropFormat::new(
        "Net",
        Some("model"),
        &[
            PropKey::new("bridge", &OPTIONAL),
            PropKey::alias("e1000", "macaddr", Some("model")),
            PropKey::new("firewall", &FLAG),
            PropKey::new("macaddr", &OPTIONAL),
            PropKey::new("model", &REQUIRED),
            PropKey::new("tag", &NUMBER),
            PropKey::alias("virtio", "macaddr", Some("model")),
        ],
    );
    static NO_DEFAULT: PropFormat = PropFormat::new("X", None, &[]);

    fn net() -> &'static PropFormat {
        &NET
    }

    fn known(p: &Pairs) -> Vec<(&str, &str)> {
        p.known
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn key_alias_sets_model_and_mac() {
        let p = parse("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1", net()).unwrap();
        assert_eq!(
            known(&p),
            [
                ("bridge", "vmbr0"),
                ("firewall", "1"),
                ("macaddr", "BC:24:11:00:00:01"),
                ("model", "virtio")
            ]
        );
        assert_eq!(
            print(&p, net()),
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1"
        );
    }

    #[test]
    fn bare_value_is_the_default_key() {
        let p = parse("virtio,bridge=vmbr0", net()).unwrap();
        assert_eq!(known(&p), [("bridge", "vmbr0"), ("model", "virtio")]);
        assert_eq!(print(&p, net()), "virtio,bridge=vmbr0");
    }

    #[test]
    fn quoted_values_hold_commas_and_quotes() {
        let p = parse(r#"model=virtio,bridge="a,b \"c\" \\d""#, net()).unwrap();
        assert_eq!(p.known["bridge"], r#"a,b "c" \d"#);
        assert_eq!(parse(&print(&p, net()), net()).unwrap(), p);
    }

    #[test]
    fn unknown_keys_are_kept_and_printed_last() {
        let p = parse("virtio,newkey=x", net()).unwrap();
        assert_eq!(p.unknown["newkey"], "x");
        assert_eq!(print(&p, net()), "virtio,newkey=x");
    }

    #[test]
    fn errors_are_values_not_panics() {
        for bad in ["bridge=\"x", "model=a,model=b", "virtio=A,e1000=B", "\"a"] {
            assert!(parse(bad, net()).is_err(), "{bad}");
        }
        let no_default = &NO_DEFAULT;
        let err = parse("bare", no_default).unwrap_err();
        assert!(err.message.contains("default key"), "{err}");
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn objects_read_as_the_text_form() {
        let keys = object(serde_json::json!({"model": "virtio", "bridge": "vmbr0",
            "firewall": true, "tag": 10, "newkey": "a,b", "gone": null}));
        assert_eq!(
            object_text(keys, net()),
            "virtio,bridge=vmbr0,firewall=1,tag=10,newkey=\"a,b\""
        );
        // An alias stands for its keys, as in the text form: nothing is dropped.
        let keys = object(serde_json::json!({"virtio": "BC:24:11:00:00:01", "bridge": "vmbr0"}));
        assert_eq!(
            object_text(keys, net()),
            "virtio=BC:24:11:00:00:01,bridge=vmbr0"
        );
        // A key set twice (`e1000` sets `model`) does not read: the written text is kept, for
        // the caller to keep as unparsed.
        let keys = object(serde_json::json!({"model": "virtio", "e1000": "BC:24:11:00:00:01"}));
        let text = object_text(keys, net());
        assert_eq!(text, "e1000=BC:24:11:00:00:01,model=virtio");
        assert!(parse(&text, net()).is_err());
    }

    #[test]
    fn a_quote_before_the_equals_sign_makes_a_bare_value_not_a_key() {
        // Found by an outside probe: `x"\"` was read as an unknown key, printed unquoted
        // (keys cannot be quoted), and the print no longer read.
        let text = r#"x"\"=,""#;
        let p = parse(text, net()).unwrap();
        assert_eq!(known(&p), [("model", text)]);
        assert!(p.unknown.is_empty());
        let printed = print(&p, net());
        assert_eq!(printed, r#"model="x\"\\\"=,\"""#);
        assert_eq!(parse(&printed, net()).unwrap(), p);
        // Without a default key it is an error, not an unknown key.
        let no_default = &NO_DEFAULT;
        assert!(parse(text, no_default).is_err());
    }

    #[test]
    fn bare_default_value_with_equals_is_written_with_its_key() {
        let mut p = Pairs::default();
        p.known.insert("model".into(), "a=b".into());
        let text = print(&p, net());
        assert_eq!(text, "model=a=b");
        assert_eq!(parse(&text, net()).unwrap(), p);
    }
}
