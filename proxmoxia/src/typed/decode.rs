//! Lenient decoding of PVE answers into typed values.
//!
//! PVE is loose on the wire: a boolean may arrive as `true`, `1`, `"1"` or `"yes"`; integers
//! and numbers as strings (`"memory": "2048"`). [`Decode`] accepts all of these so one odd
//! field never fails a whole answer, while a value that really does not fit (`"abc"` for an
//! integer) is an error naming its JSON path.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use crate::auth::Secret;

/// Where in an answer a value sits, for error messages. Built on the stack while decoding
/// and only turned into text when something fails.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    parent: Option<&'a Location<'a>>,
    step: Step<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Root(&'a str),
    Key(&'a str),
    Index(usize),
}

impl<'a> Location<'a> {
    /// The top of a value, called `name` in messages (`data`).
    pub fn root(name: &'a str) -> Location<'a> {
        Location {
            parent: None,
            step: Step::Root(name),
        }
    }

    /// A field of the value here.
    pub fn key(&'a self, key: &'a str) -> Location<'a> {
        Location {
            parent: Some(self),
            step: Step::Key(key),
        }
    }

    /// An element of the array here.
    pub fn index(&'a self, index: usize) -> Location<'a> {
        Location {
            parent: Some(self),
            step: Step::Index(index),
        }
    }
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.step {
            Step::Root(name) => f.write_str(name),
            Step::Key(key) => write!(f, ".{key}"),
            Step::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A value that does not fit its type, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// JSON path (`data[2].maxmem`).
    pub path: String,
    /// What was expected and what came.
    pub message: String,
}

impl DecodeFailure {
    /// A failure at `at`.
    pub fn new(at: &Location<'_>, message: impl Into<String>) -> DecodeFailure {
        DecodeFailure {
            path: at.to_string(),
            message: message.into(),
        }
    }

    fn expected(at: &Location<'_>, what: &str, got: &Value) -> DecodeFailure {
        DecodeFailure::new(at, format!("expected {what}, got {}", short(got)))
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for DecodeFailure {}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// A type that can be read from a PVE JSON value, leniently.
pub trait Decode: Sized {
    /// Reads `value`, found at `at`.
    fn decode(value: Value, at: &Location<'_>) -> Result<Self, DecodeFailure>;

    /// The value of a field PVE left out. Only optional types have one.
    fn missing(at: &Location<'_>) -> Result<Self, DecodeFailure> {
        Err(DecodeFailure::new(at, "required field is missing"))
    }
}

impl Decode for Value {
    fn decode(value: Value, _: &Location<'_>) -> Result<Value, DecodeFailure> {
        Ok(value)
    }
    fn missing(_: &Location<'_>) -> Result<Value, DecodeFailure> {
        Ok(Value::Null)
    }
}

impl Decode for () {
    fn decode(_: Value, _: &Location<'_>) -> Result<(), DecodeFailure> {
        Ok(())
    }
    fn missing(_: &Location<'_>) -> Result<(), DecodeFailure> {
        Ok(())
    }
}

/// `true`, `1`, `"1"`, `"yes"`, `"on"`, `"true"` and their opposites.
pub fn lenient_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "yes" | "on" | "true" => Some(true),
            "0" | "no" | "off" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl Decode for bool {
    fn decode(value: Value, at: &Location<'_>) -> Result<bool, DecodeFailure> {
        lenient_bool(&value).ok_or_else(|| DecodeFailure::expected(at, "a boolean", &value))
    }
}

impl Decode for i64 {
    fn decode(value: Value, at: &Location<'_>) -> Result<i64, DecodeFailure> {
        let parsed = match &value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            }),
            Value::String(s) => {
                let s = s.trim();
                s.parse::<i64>().ok().or_else(|| {
                    s.parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                        .map(|f| f as i64)
                })
            }
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        };
        parsed.ok_or_else(|| DecodeFailure::expected(at, "an integer", &value))
    }
}

impl Decode for f64 {
    fn decode(value: Value, at: &Location<'_>) -> Result<f64, DecodeFailure> {
        let parsed = match &value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        };
        parsed.ok_or_else(|| DecodeFailure::expected(at, "a number", &value))
    }
}

impl Decode for String {
    fn decode(value: Value, at: &Location<'_>) -> Result<String, DecodeFailure> {
        match value {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(if b { "1" } else { "0" }.to_owned()),
            other => Err(DecodeFailure::expected(at, "a string", &other)),
        }
    }
}

impl Decode for Secret {
    fn decode(value: Value, at: &Location<'_>) -> Result<Secret, DecodeFailure> {
        String::decode(value, at).map(Secret::new)
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(value: Value, at: &Location<'_>) -> Result<Option<T>, DecodeFailure> {
        match value {
            Value::Null => Ok(None),
            other => T::decode(other, at).map(Some),
        }
    }
    fn missing(_: &Location<'_>) -> Result<Option<T>, DecodeFailure> {
        Ok(None)
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(value: Value, at: &Location<'_>) -> Result<Box<T>, DecodeFailure> {
        T::decode(value, at).map(Box::new)
    }
    fn missing(at: &Location<'_>) -> Result<Box<T>, DecodeFailure> {
        T::missing(at).map(Box::new)
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(value: Value, at: &Location<'_>) -> Result<Vec<T>, DecodeFailure> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| T::decode(v, &at.index(i)))
                .collect(),
            // PVE sends null (or nothing) for an empty list now and then.
            Value::Null => Ok(Vec::new()),
            other => Err(DecodeFailure::expected(at, "an array", &other)),
        }
    }
}

impl<T: Decode> Decode for BTreeMap<String, T> {
    fn decode(value: Value, at: &Location<'_>) -> Result<BTreeMap<String, T>, DecodeFailure> {
        match value {
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let item = T::decode(v, &at.key(&k))?;
                    Ok((k, item))
                })
                .collect(),
            Value::Null => Ok(BTreeMap::new()),
            other => Err(DecodeFailure::expected(at, "an object", &other)),
        }
    }
}

/// The fields of an object, for a struct's decoder.
pub fn object(value: Value, at: &Location<'_>) -> Result<Map<String, Value>, DecodeFailure> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(DecodeFailure::expected(at, "an object", &other)),
    }
}

/// Takes field `key` out of `map` and decodes it.
pub fn field<T: Decode>(
    map: &mut Map<String, Value>,
    key: &str,
    at: &Location<'_>,
) -> Result<T, DecodeFailure> {
    let here = at.key(key);
    match map.remove(key) {
        Some(value) => T::decode(value, &here),
        None => T::missing(&here),
    }
}

/// Takes the family `prefix0`, `prefix1`, ... out of `map`, keyed by index.
pub fn indexed<T: Decode>(
    map: &mut Map<String, Value>,
    prefix: &str,
    at: &Location<'_>,
) -> Result<BTreeMap<u32, T>, DecodeFailure> {
    let keys: Vec<(String, u32)> = map
        .keys()
        .filter_map(|k| Some((k.clone(), family_index(k, prefix)?)))
        .collect();
    let mut out = BTreeMap::new();
    for (key, index) in keys {
        if let Some(value) = map.remove(&key) {
            out.insert(index, T::decode(value, &at.key(&key))?);
        }
    }
    Ok(out)
}

/// The fields of one object, taken one by one into a generated struct.
///
/// Each field comes out as an `Option` (`None` after a failure, the first failure kept), so
/// a generated decoder is straight-line code that checks once at the end instead of
/// returning early after every field: the same result, far cheaper to compile for the
/// hundreds of generated structs.
#[derive(Debug)]
pub struct Fields<'a> {
    map: &'a mut Map<String, Value>,
    at: &'a Location<'a>,
    failure: Option<DecodeFailure>,
}

impl<'a> Fields<'a> {
    /// Takes fields out of `map`, the object at `at`.
    #[inline]
    pub fn new(map: &'a mut Map<String, Value>, at: &'a Location<'a>) -> Fields<'a> {
        Fields {
            map,
            at,
            failure: None,
        }
    }

    /// Field `key` (see [`field`]).
    pub fn field<T: Decode>(&mut self, key: &str) -> Option<T> {
        let taken = field(self.map, key, self.at);
        self.keep(taken)
    }

    /// The family `prefix0`, `prefix1`, ... (see [`indexed`]).
    pub fn indexed<T: Decode>(&mut self, prefix: &str) -> Option<BTreeMap<u32, T>> {
        let taken = indexed(self.map, prefix, self.at);
        self.keep(taken)
    }

    fn keep<T>(&mut self, taken: Result<T, DecodeFailure>) -> Option<T> {
        match taken {
            Ok(value) => Some(value),
            Err(failure) => {
                self.failure.get_or_insert(failure);
                None
            }
        }
    }

    /// The first failure, once a field came out as `None`.
    pub fn into_failure(self) -> DecodeFailure {
        self.failure
            .unwrap_or_else(|| DecodeFailure::new(self.at, "a field could not be read"))
    }
}

/// The index of `key` in the family `prefix` (`net3` -> 3), if it belongs to it.
pub fn family_index(key: &str, prefix: &str) -> Option<u32> {
    let digits = key.strip_prefix(prefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// Rejects keys left over after a params struct took its fields.
pub fn no_unknown_fields(map: Map<String, Value>, at: &Location<'_>) -> Result<(), DecodeFailure> {
    match map.keys().next() {
        None => Ok(()),
        Some(key) => Err(DecodeFailure::new(
            &at.key(key),
            "unknown parameter for this endpoint",
        )),
    }
}

/// Decodes a whole answer's `data`.
pub fn decode_data<T: Decode>(data: Value) -> Result<T, DecodeFailure> {
    T::decode(data, &Location::root("data"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d<T: Decode>(v: Value) -> Result<T, DecodeFailure> {
        decode_data(v)
    }

    #[test]
    fn fields_keep_the_first_failure_and_read_on() {
        let mut map = json!({"a": "x", "b": 2, "c": "y"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let at = Location::root("data");
        let mut fields = Fields::new(&mut map, &at);
        assert_eq!(fields.field::<i64>("a"), None);
        assert_eq!(fields.field::<i64>("b"), Some(2));
        assert_eq!(fields.field::<i64>("c"), None);
        assert_eq!(fields.field::<Option<i64>>("absent"), Some(None));
        let failure = fields.into_failure();
        assert_eq!(failure.path, "data.a");
        assert!(map.is_empty(), "every field was taken: {map:?}");
    }

    #[test]
    fn booleans_in_every_pve_spelling() {
        for v in [
            json!(true),
            json!(1),
            json!("1"),
            json!("yes"),
            json!("on"),
            json!("TRUE"),
        ] {
            assert!(d::<bool>(v).unwrap());
        }
        for v in [
            json!(false),
            json!(0),
            json!("0"),
            json!("no"),
            json!("off"),
        ] {
            assert!(!d::<bool>(v).unwrap());
        }
        assert!(d::<bool>(json!("maybe")).is_err());
    }

    #[test]
    fn numbers_from_strings() {
        assert_eq!(d::<i64>(json!("2048")).unwrap(), 2048);
        assert_eq!(d::<i64>(json!(" 103 ")).unwrap(), 103);
        assert_eq!(d::<i64>(json!(4.0)).unwrap(), 4);
        assert_eq!(d::<f64>(json!("0.25")).unwrap(), 0.25);
        let err = d::<i64>(json!("abc")).unwrap_err();
        assert_eq!(err.path, "data");
        assert!(d::<i64>(json!(1.5)).is_err());
        assert!(d::<f64>(json!("NaN")).is_err());
    }

    #[test]
    fn paths_name_the_failing_value() {
        let mut map = object(json!({"a": [1, "x"]}), &Location::root("data")).unwrap();
        let err = field::<Vec<i64>>(&mut map, "a", &Location::root("data")).unwrap_err();
        assert_eq!(err.path, "data.a[1]");
    }

    #[test]
    fn indexed_families_collect_by_number() {
        let mut map = object(
            json!({"net0": "a", "net10": "b", "netx": "c", "net01": "d", "name": "vm"}),
            &Location::root("data"),
        )
        .unwrap();
        let nets = indexed::<String>(&mut map, "net", &Location::root("data")).unwrap();
        assert_eq!(nets.len(), 2);
        assert_eq!(nets[&10], "b");
        assert!(map.contains_key("netx") && map.contains_key("net01") && map.contains_key("name"));
    }

    #[test]
    fn missing_optional_is_none_missing_required_is_an_error() {
        let mut map = Map::new();
        let at = Location::root("data");
        assert_eq!(field::<Option<i64>>(&mut map, "x", &at).unwrap(), None);
        assert_eq!(field::<i64>(&mut map, "x", &at).unwrap_err().path, "data.x");
    }
}
