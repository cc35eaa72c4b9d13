//! Decoding answers: PVE's `{"data": ...}` envelope, read straight from the body's bytes in
//! one pass, into typed values; every decode of the crate goes through here.
//!
//! PVE is loose on the wire: a boolean may arrive as `true`, `1`, `"1"` or `"yes"`; integers
//! and numbers as strings (`"memory": "2048"`); an empty list as `null`. [`Lenient`] reads
//! all of these, so one odd field never fails a whole answer, while a value that really does
//! not fit (`"abc"` for an integer) is an error naming its JSON path (`data[2].maxmem`). The
//! generated types' `Deserialize` is lenient in this way; a caller's own type (in
//! `raw(..).decode::<T>()`) is read by its own `Deserialize`, as strict as it is written.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde_core::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::secret::Secret;

// ------------------------------------------------------------------------------------------
// Where a decode failed.
//
// An error names its place in its own message: `field `[2].maxmem`: expected an integer`.
// Each level it passes on the way out adds its step, so the message names the field for
// every caller — a user's `serde_json::from_str` of a generated type too — and the crate's
// own decoding reads the path back out of it ([`split_path`]).

/// The prefix of a message that names its place.
const AT: &str = "field `";

/// One step on the way out of a failed value: a key or an index.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `message` with `step` added in front of the place it names (or a place begun).
fn placed(step: Step<'_>, message: &str) -> String {
    let message = without_position(message);
    let (inner, rest) = match message.strip_prefix(AT).and_then(|m| m.split_once("`: ")) {
        Some((inner, rest)) => (Some(inner), rest),
        None => (None, message),
    };
    let mut path = match step {
        Step::Key(key) => key.to_owned(),
        Step::Index(i) => format!("[{i}]"),
    };
    match inner {
        Some(inner) if inner.starts_with('[') => path.push_str(inner),
        Some(inner) => {
            path.push('.');
            path.push_str(inner);
        }
        None => {}
    }
    format!("{AT}{path}`: {rest}")
}

/// serde_json ends a message with where it stopped (` at line 1 column 17`); a message
/// passed on is placed by its path instead (the outermost error gets the position again).
fn without_position(message: &str) -> &str {
    match message.rsplit_once(" at line ") {
        Some((text, at))
            if at.split_once(" column ").is_some_and(|(l, c)| {
                !l.is_empty()
                    && !c.is_empty()
                    && l.bytes().all(|b| b.is_ascii_digit())
                    && c.bytes().all(|b| b.is_ascii_digit())
            }) =>
        {
            text
        }
        _ => message,
    }
}

/// An error that left the value of `key`, named there.
#[cold]
#[doc(hidden)]
pub fn at_key<E: de::Error>(key: &str, e: E) -> E {
    E::custom(placed(Step::Key(key), &e.to_string()))
}

/// An error that left item `index` of an array, named there.
#[cold]
#[doc(hidden)]
pub fn at_index<E: de::Error>(index: usize, e: E) -> E {
    E::custom(placed(Step::Index(index), &e.to_string()))
}

/// The path a message names below `root` (`data[2].maxmem`), and the rest of the message;
/// `root` and the message as they are when it names none.
fn split_path(root: &str, message: &str) -> (String, String) {
    let message = without_position(message);
    match message.strip_prefix(AT).and_then(|m| m.split_once("`: ")) {
        Some((path, rest)) if path.starts_with('[') => (format!("{root}{path}"), rest.to_owned()),
        Some((path, rest)) => (format!("{root}.{path}"), rest.to_owned()),
        None => (root.to_owned(), message.to_owned()),
    }
}

// ------------------------------------------------------------------------------------------
// Lenient values.

/// A value read the way PVE writes it, leniently (see the module docs). Implemented for the
/// scalars, containers and every generated type.
#[doc(hidden)]
pub trait Lenient<'de>: Sized {
    /// Reads the value.
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error>;

    /// The value of a field PVE left out; `None` when the field is required.
    fn missing() -> Option<Self> {
        None
    }

    /// Reads the value of a field of an answer object: as [`Lenient::lenient`]; a boolean
    /// also takes `""` (Perl's false).
    fn lenient_field<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Self::lenient(d)
    }

    /// Reads the value of an optional field: as [`Lenient::lenient`], but `""` (Perl's false
    /// and its empty value, which PVE sends for a field it has no value for) is absent for
    /// every type that is not text.
    fn lenient_in_option<D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<Self>, D::Error> {
        Self::lenient(d).map(Some)
    }
}

/// `V`'s reading of a value, with `""` read as absent (see [`Lenient::lenient_in_option`]).
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct EmptyIsAbsent<V>(pub V);

impl<'de, V: Visitor<'de>> Visitor<'de> for EmptyIsAbsent<V> {
    type Value = Option<V::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Self::Value, E> {
        self.0.visit_bool(v).map(Some)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
        self.0.visit_i64(v).map(Some)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
        self.0.visit_u64(v).map(Some)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
        self.0.visit_f64(v).map(Some)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        if v.is_empty() {
            return Ok(None);
        }
        self.0.visit_str(v).map(Some)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Self::Value, A::Error> {
        self.0.visit_seq(seq).map(Some)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<Self::Value, A::Error> {
        self.0.visit_map(map).map(Some)
    }
}

/// A generated type (answer struct, enum, property string): its own `Deserialize` is
/// already lenient, so that is its [`Lenient`] reading (one blanket impl, no body per type).
#[doc(hidden)]
pub trait Generated {
    /// As [`Lenient::lenient_in_option`]; enums read `""` as absent.
    #[inline]
    fn deserialize_in_option<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<Self>, D::Error>
    where
        Self: serde_core::Deserialize<'de>,
    {
        Self::deserialize(d).map(Some)
    }
}

impl<'de, T: Generated + serde_core::Deserialize<'de>> Lenient<'de> for T {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<T, D::Error> {
        T::deserialize(d)
    }
    #[inline]
    fn lenient_in_option<D: Deserializer<'de>>(d: D) -> std::result::Result<Option<T>, D::Error> {
        T::deserialize_in_option(d)
    }
}

/// [`Lenient::lenient`] as a seed, for `next_value_seed` and friends.
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct Seed<T>(PhantomData<fn() -> T>);

impl<T> Seed<T> {
    #[inline]
    pub fn new() -> Seed<T> {
        Seed(PhantomData)
    }
}

impl<T> Default for Seed<T> {
    fn default() -> Seed<T> {
        Seed::new()
    }
}

impl<'de, T: Lenient<'de>> DeserializeSeed<'de> for Seed<T> {
    type Value = T;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        T::lenient(d)
    }
}

/// A short description of an unexpected value, for messages.
fn shown(v: impl fmt::Display) -> String {
    let text = v.to_string();
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

/// `true`, `1`, `"1"`, `"yes"`, `"on"`, `"true"` and their opposites.
#[doc(hidden)]
pub fn bool_text(text: &str) -> Option<bool> {
    let text = text.trim();
    let any = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(text));
    if any(&["1", "yes", "on", "true"]) {
        Some(true)
    } else if any(&["0", "no", "off", "false"]) {
        Some(false)
    } else {
        None
    }
}

/// The integer a number or text stands for, if it is a whole number in range.
fn whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean (true, 1, \"1\", \"yes\", ...)")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<bool, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<bool, E> {
        Ok(v != 0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<bool, E> {
        Ok(v != 0)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<bool, E> {
        Ok(v != 0.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<bool, E> {
        bool_text(v).ok_or_else(|| E::custom(format!("expected a boolean, got {:?}", shown(v))))
    }
}

/// A boolean field of an answer: also `""`, how Perl's false reaches JSON (`"template": ""`
/// from PVE 6 and 7). Not in property strings, where PVE refuses `key=` for a boolean.
struct AnswerBool;

impl<'de> Visitor<'de> for AnswerBool {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        BoolVisitor.expecting(f)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<bool, E> {
        BoolVisitor.visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<bool, E> {
        BoolVisitor.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<bool, E> {
        BoolVisitor.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<bool, E> {
        BoolVisitor.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<bool, E> {
        if v.is_empty() {
            return Ok(false);
        }
        BoolVisitor.visit_str(v)
    }
}

impl<'de> Lenient<'de> for bool {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
    fn lenient_field<D: Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
        d.deserialize_any(AnswerBool)
    }
    fn lenient_in_option<D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<bool>, D::Error> {
        d.deserialize_any(AnswerBool).map(Some)
    }
}

struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<i64, E> {
        Ok(i64::from(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("expected an integer, got {v} (too large)")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<i64, E> {
        whole(v).ok_or_else(|| E::custom(format!("expected an integer, got {v}")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<i64, E> {
        let t = v.trim();
        t.parse::<i64>()
            .ok()
            .or_else(|| t.parse::<f64>().ok().and_then(whole))
            .ok_or_else(|| E::custom(format!("expected an integer, got {:?}", shown(v))))
    }
}

impl<'de> Lenient<'de> for i64 {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
        d.deserialize_any(IntVisitor)
    }
    fn lenient_in_option<D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
        d.deserialize_any(EmptyIsAbsent(IntVisitor))
    }
}

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<f64, E> {
        Ok(if v { 1.0 } else { 0.0 })
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<f64, E> {
        Ok(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<f64, E> {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| E::custom(format!("expected a number, got {:?}", shown(v))))
    }
}

impl<'de> Lenient<'de> for f64 {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
        d.deserialize_any(NumVisitor)
    }
    fn lenient_in_option<D: Deserializer<'de>>(d: D) -> std::result::Result<Option<f64>, D::Error> {
        d.deserialize_any(EmptyIsAbsent(NumVisitor))
    }
}

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<String, E> {
        Ok(if v { "1" } else { "0" }.to_owned())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<String, E> {
        Ok(serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<String, E> {
        Ok(v)
    }
}

impl<'de> Lenient<'de> for String {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

impl<'de> Lenient<'de> for Secret {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<Secret, D::Error> {
        String::lenient(d).map(Secret::new)
    }
}

impl<'de> Lenient<'de> for Value {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<Value, D::Error> {
        serde_core::Deserialize::deserialize(d)
    }
    fn missing() -> Option<Value> {
        Some(Value::Null)
    }
}

impl<'de> Lenient<'de> for () {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_ignored_any(IgnoredAny).map(|_| ())
    }
    fn missing() -> Option<()> {
        Some(())
    }
}

struct OptionVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Option<T>, D::Error> {
        T::lenient_in_option(d)
    }
}

impl<'de, T: Lenient<'de>> Lenient<'de> for Option<T> {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<Option<T>, D::Error> {
        d.deserialize_option(OptionVisitor(PhantomData))
    }
    fn missing() -> Option<Option<T>> {
        Some(None)
    }
}

struct VecVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for VecVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    // PVE sends null for an empty list now and then, and Perl's empty value `""`.
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Vec<T>, E> {
        if v.is_empty() {
            Ok(Vec::new())
        } else {
            Err(E::invalid_type(de::Unexpected::Str(v), &self))
        }
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Vec<T>, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            match seq.next_element_seed(Seed::<T>::new()) {
                Ok(Some(item)) => out.push(item),
                Ok(None) => return Ok(out),
                Err(e) => return Err(at_index(out.len(), e)),
            }
        }
    }
}

impl<'de, T: Lenient<'de>> Lenient<'de> for Vec<T> {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<T>, D::Error> {
        d.deserialize_any(VecVisitor(PhantomData))
    }
}

struct MapVisitor<T>(PhantomData<fn() -> T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for MapVisitor<T> {
    type Value = BTreeMap<String, T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }
    // `null`, `""` and `[]` for an empty object: PVE's Perl sends each now and then.
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
        if v.is_empty() {
            Ok(BTreeMap::new())
        } else {
            Err(E::invalid_type(de::Unexpected::Str(v), &self))
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        match seq.next_element::<IgnoredAny>()? {
            None => Ok(BTreeMap::new()),
            Some(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &self)),
        }
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            match map.next_value_seed(Seed::<T>::new()) {
                Ok(value) => {
                    out.insert(key, value);
                }
                Err(e) => return Err(at_key(&key, e)),
            }
        }
        Ok(out)
    }
}

impl<'de, T: Lenient<'de>> Lenient<'de> for BTreeMap<String, T> {
    #[inline]
    fn lenient<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(MapVisitor(PhantomData))
    }
}

// ------------------------------------------------------------------------------------------
// The pieces generated decoders are made of.

/// An object's key, borrowed from the body when it can be (no allocation per field).
#[doc(hidden)]
#[derive(Debug)]
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

impl<'de> serde_core::Deserialize<'de> for Key<'de> {
    #[inline]
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Key<'de>, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

/// [`Lenient::lenient_field`] as a seed.
struct FieldSeed<T>(PhantomData<fn() -> T>);

impl<'de, T: Lenient<'de>> DeserializeSeed<'de> for FieldSeed<T> {
    type Value = T;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        T::lenient_field(d)
    }
}

/// Reads the value of field `key` into `slot`; an error is named there.
#[doc(hidden)]
#[inline]
pub fn field<'de, T: Lenient<'de>, A: MapAccess<'de>>(
    map: &mut A,
    key: &str,
    slot: &mut Option<T>,
) -> std::result::Result<(), A::Error> {
    match map.next_value_seed(FieldSeed::<T>(PhantomData)) {
        Ok(value) => {
            *slot = Some(value);
            Ok(())
        }
        Err(e) => Err(at_key(key, e)),
    }
}

/// Reads the value of member `key` (`net3`) of an indexed family into `family` at `index`.
#[doc(hidden)]
#[inline]
pub fn member<'de, T: Lenient<'de>, A: MapAccess<'de>>(
    map: &mut A,
    key: &str,
    index: u32,
    family: &mut BTreeMap<u32, T>,
) -> std::result::Result<(), A::Error> {
    match map.next_value_seed(FieldSeed::<T>(PhantomData)) {
        Ok(value) => {
            family.insert(index, value);
            Ok(())
        }
        Err(e) => Err(at_key(key, e)),
    }
}

/// A field's value once the object is read: as read, or the type's value for a field PVE
/// left out (`None` for an optional one). `None` for a required field that is missing: the
/// first such field goes to `missing`, for [`missing_field`].
#[doc(hidden)]
#[inline]
pub fn finish<'de, T: Lenient<'de>>(
    slot: Option<T>,
    key: &'static str,
    missing: &mut Option<&'static str>,
) -> Option<T> {
    match slot {
        Some(value) => Some(value),
        None => {
            let value = T::missing();
            if value.is_none() && missing.is_none() {
                *missing = Some(key);
            }
            value
        }
    }
}

/// The error of an object that lacks required field `key` (see [`finish`]).
#[doc(hidden)]
#[cold]
pub fn missing_field<E: de::Error>(key: Option<&'static str>) -> E {
    match key {
        Some(key) => E::custom(placed(Step::Key(key), MISSING)),
        None => E::custom(MISSING),
    }
}

/// What a required field that is not there is called.
const MISSING: &str = "required field is missing";

/// An unknown key of an answer: kept, as JSON.
#[doc(hidden)]
#[inline]
pub fn keep_unknown<'de, A: MapAccess<'de>>(
    map: &mut A,
    key: &str,
    extra: &mut serde_json::Map<String, Value>,
) -> std::result::Result<(), A::Error> {
    let value = map.next_value()?;
    extra.insert(key.to_owned(), value);
    Ok(())
}

/// The index of `key` in the family `prefix` (`net3` -> 3), if it belongs to it.
#[doc(hidden)]
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

// ------------------------------------------------------------------------------------------
// Parameters: small objects already in memory (a file, a queue), taken field by field.

/// The fields of a parameter object, taken out one by one by a generated
/// [`FromFields::from_fields`]: straight-line code, the first failure kept for the end.
#[doc(hidden)]
#[allow(missing_debug_implementations)]
pub struct Fields {
    map: serde_json::Map<String, Value>,
    failure: Option<String>,
}

impl Fields {
    /// Field `key`: its value, the type's value for a field left out, or `None` (the failure
    /// kept) when it does not read or is required and missing.
    pub fn field<T: for<'de> Lenient<'de>>(&mut self, key: &'static str) -> Option<T> {
        if self.failure.is_some() {
            return None;
        }
        let read = match self.map.remove(key) {
            Some(value) => T::lenient(value).map_err(|e| e.to_string()),
            None => T::missing().ok_or_else(|| MISSING.to_owned()),
        };
        match read {
            Ok(value) => Some(value),
            Err(message) => {
                self.failure = Some(placed(Step::Key(key), &message));
                None
            }
        }
    }

    /// The family `prefix0`, `prefix1`, ...: every key of it, by index.
    pub fn family<T: for<'de> Lenient<'de>>(
        &mut self,
        prefix: &'static str,
    ) -> Option<BTreeMap<u32, T>> {
        if self.failure.is_some() {
            return None;
        }
        let keys: Vec<(String, u32)> = self
            .map
            .keys()
            .filter_map(|key| Some((key.clone(), family_index(key, prefix)?)))
            .collect();
        let mut family = BTreeMap::new();
        for (key, index) in keys {
            let Some(value) = self.map.remove(&key) else {
                continue;
            };
            match T::lenient(value) {
                Ok(member) => {
                    family.insert(index, member);
                }
                Err(e) => {
                    self.failure = Some(placed(Step::Key(&key), &e.to_string()));
                    return None;
                }
            }
        }
        Some(family)
    }
}

/// Parameters decoded from a JSON object by [`Fields`]; unknown names are refused.
#[doc(hidden)]
pub trait FromFields: Sized {
    /// The value, or `None` once a field failed (the failure is in `fields`).
    fn from_fields(fields: &mut Fields) -> Option<Self>;
}

/// Parameters `P` from `value` (an object, or `null` for none); errors name the path below
/// `root` and the rule: a value that does not read, a required one missing, an unknown name.
pub(crate) fn params<P: FromFields>(value: Value, root: &str) -> Result<P> {
    let map = match value {
        Value::Object(map) => map,
        Value::Null => serde_json::Map::new(),
        other => {
            let message = format!(
                "expected an object of parameters, found {}",
                crate::encode::json_kind(&other)
            );
            return Err(Error::decode(message, root, String::new()));
        }
    };
    let mut fields = Fields { map, failure: None };
    let decoded = P::from_fields(&mut fields);
    let failure = match (decoded, fields.failure) {
        (Some(params), None) => match fields.map.keys().next() {
            None => return Ok(params),
            Some(key) => placed(Step::Key(key), "unknown parameter for this endpoint"),
        },
        (_, Some(message)) => message,
        (None, None) => "the parameters could not be read".to_owned(),
    };
    let (path, message) = split_path(root, &failure);
    Err(Error::decode(message, path, String::new()))
}

/// `Deserialize` of generated parameters: the object read as JSON, then [`params`].
#[doc(hidden)]
pub fn params_deserialize<'de, P: FromFields, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<P, D::Error> {
    let value = <Value as serde_core::Deserialize>::deserialize(d)?;
    params(value, "params").map_err(|e| de::Error::custom(e.to_string()))
}

// ------------------------------------------------------------------------------------------
// Entry points.

/// `{"data": ...}`, read in one pass; `data` by `seed`, every other key skipped.
struct Envelope<S>(S);

impl<'de, S: DeserializeSeed<'de> + Clone> DeserializeSeed<'de> for Envelope<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: DeserializeSeed<'de> + Clone> Visitor<'de> for Envelope<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PVE's answer object, with `data`")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut data = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.as_str() == "data" {
                data = map.next_value_seed(OptionSeed(self.0.clone()))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(data)
    }
}

/// `null` as `None`, anything else by the seed.
#[derive(Clone)]
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// Reads a `T` with its own `Deserialize` (a caller's type, strict as it is written).
struct Strict<T>(PhantomData<fn() -> T>);

impl<T> Clone for Strict<T> {
    fn clone(&self) -> Strict<T> {
        Strict(PhantomData)
    }
}

impl<'de, T: serde_core::Deserialize<'de>> DeserializeSeed<'de> for Strict<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        T::deserialize(d)
    }
}

impl<T> Clone for Seed<T> {
    fn clone(&self) -> Seed<T> {
        Seed::new()
    }
}

/// The `data` of an answer body, leniently (the generated types); `data` absent is read as
/// `null`. Public only through `__private`, for the decode benchmark.
pub fn data<T: for<'de> Lenient<'de>>(body: &[u8]) -> Result<T> {
    match read_envelope(body, Seed::<T>::new()) {
        Ok(Some(value)) => Ok(value),
        // `data` absent or `null`: read as `null` (nothing, an empty list, or an error).
        Ok(None) => T::lenient(Value::Null).map_err(|e| {
            let (path, message) = split_path("data", &e.to_string());
            fail(body, &path, &message)
        }),
        Err(e) => Err(failure(body, &e)),
    }
}

/// The `data` of an answer body as a caller's type, with its own `Deserialize`; `data`
/// absent or `null` is read as `null`.
pub(crate) fn data_as<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    match read_envelope(body, Strict::<T>(PhantomData)) {
        Ok(Some(value)) => Ok(value),
        Ok(None) => T::deserialize(Value::Null).map_err(|e| fail(body, "data", &e.to_string())),
        Err(e) => Err(failure(body, &e)),
    }
}

/// The envelope of `body`, `data` read by `seed`; nothing may follow it.
fn read_envelope<'de, S: DeserializeSeed<'de> + Clone>(
    body: &'de [u8],
    seed: S,
) -> std::result::Result<Option<S::Value>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let data = Envelope(seed).deserialize(&mut de)?;
    de.end()?;
    Ok(data)
}

/// Counts the JSON values of an answer's text as it arrives, for the budget of
/// `ClientBuilder::max_answer_values`: one per `{`, `[` and `,` outside strings, plus one, so
/// that every object, array, member and element counts (an empty object or array twice).
/// Decoded, each takes memory whatever its text's length; counting them bounds it.
#[derive(Debug)]
pub(crate) struct ValueCount {
    limit: u64,
    count: u64,
    /// How much of the text is counted.
    seen: usize,
    in_string: bool,
    escaped: bool,
}

impl ValueCount {
    pub(crate) fn new(limit: u64) -> ValueCount {
        ValueCount {
            limit,
            count: 1,
            seen: 0,
            in_string: false,
            escaped: false,
        }
    }

    /// Whether `text` (the answer so far, which grows between calls) holds more values than
    /// the limit. A text has at most one value more than it has bytes: shorter ones are not
    /// read at all.
    pub(crate) fn over(&mut self, text: &[u8]) -> bool {
        if self.seen == 0 && (text.len() as u64) < self.limit {
            return false;
        }
        for &b in &text[self.seen.min(text.len())..] {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if b == b'"' {
                self.in_string = true;
            } else if matches!(b, b'{' | b'[' | b',') {
                self.count += 1;
            }
        }
        self.seen = text.len();
        self.count > self.limit
    }
}

/// The `data` of an answer body as JSON.
pub(crate) fn data_json(body: &[u8]) -> Result<Value> {
    data_as::<Value>(body)
}

/// A value of a generated type from JSON already in memory; errors name the path below
/// `value`.
#[cfg(test)]
pub(crate) fn from_value<T: for<'de> Lenient<'de>>(value: Value) -> Result<T> {
    T::lenient(value).map_err(|e| {
        let (path, message) = split_path("value", &e.to_string());
        Error::decode(message, path, String::new())
    })
}

fn fail(body: &[u8], path: &str, message: &str) -> Error {
    Error::decode(message, path, String::from_utf8_lossy(body))
}

/// A decode error: where (the path the decoders recorded, else the position's), and what.
fn failure(body: &[u8], e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            fail(body, "body", &format!("answer is not JSON: {e}"))
        }
        Category::Data if !body.trim_ascii_start().starts_with(b"{") => fail(
            body,
            "body",
            &format!("answer is not a JSON object with `data`: {e}"),
        ),
        Category::Data => match split_path("data", &e.to_string()) {
            // A caller's type names no place: where serde stopped tells.
            (path, message) if path == "data" => {
                let at = json_path_at(body, line_column_offset(body, e.line(), e.column()));
                fail(body, &at, &message)
            }
            (path, message) => fail(body, &path, &message),
        },
    }
}

/// The byte offset of a 1-based line and column.
fn line_column_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match body[offset..].iter().position(|b| *b == b'\n') {
            Some(i) => offset += i + 1,
            None => return body.len(),
        }
    }
    (offset + column).min(body.len())
}

/// The JSON path (`data[2].maxmem`) of the value being read at byte `offset` of `body`.
fn json_path_at(body: &[u8], offset: usize) -> String {
    enum Frame {
        Object { key: Option<String>, in_key: bool },
        Array { index: usize },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut text = Vec::new();
    for &b in &body[..offset.min(body.len())] {
        if in_string {
            if escaped {
                escaped = false;
                text.push(b);
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if let Some(Frame::Object { key, in_key: true }) = stack.last_mut() {
                    *key = Some(String::from_utf8_lossy(&text).into_owned());
                }
            } else {
                text.push(b);
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                text.clear();
            }
            b'{' => stack.push(Frame::Object {
                key: None,
                in_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Frame::Object { in_key, .. }) = stack.last_mut() {
                    *in_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { in_key, .. }) => *in_key = true,
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() { "data".into() } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_written_back_read_as_the_same_value() {
        // Found by fuzzing: without serde_json's float_roundtrip, 234334880233567805440 read
        // as an f64 whose shortest text read back as its neighbour.
        for body in [
            r#"{"data":234334880233567805440}"#,
            r#"{"data":2.3433488023356778e+20}"#,
            r#"{"data":0.30000000000000004}"#,
        ] {
            let value = data::<f64>(body.as_bytes()).unwrap();
            let again = data::<f64>(json!({ "data": value }).to_string().as_bytes()).unwrap();
            assert_eq!(again.to_bits(), value.to_bits(), "{body}");
        }
    }

    #[test]
    fn envelope_is_unwrapped() {
        assert_eq!(data_json(br#"{"data":[1,2]}"#).unwrap(), json!([1, 2]));
        assert_eq!(data_json(br#"{}"#).unwrap(), Value::Null);
        assert_eq!(data::<Option<i64>>(br#"{"data":null}"#).unwrap(), None);
        assert_eq!(
            data::<Vec<i64>>(br#"{"data":null}"#).unwrap(),
            Vec::<i64>::new()
        );
        assert!(matches!(data::<i64>(br#"{}"#), Err(Error::Decode(_))));
    }

    #[test]
    fn a_callers_type_names_the_path_by_position() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Node {
            node: String,
            maxcpu: u32,
        }
        let body = br#"{"data":[{"node":"pve1","maxcpu":4},{"node":"pve2","maxcpu":"x"}]}"#;
        let Err(Error::Decode(e)) = data_as::<Vec<Node>>(body) else {
            panic!("expected a decode error")
        };
        assert_eq!(e.path, "data[1].maxcpu");
        assert!(e.body.contains("pve2"));
        let body = br#"{"data": {"a": [1, {"b": "x"}]}}"#;
        let Err(Error::Decode(nested)) =
            data_as::<std::collections::HashMap<String, Vec<u32>>>(body)
        else {
            panic!("expected a decode error")
        };
        assert_eq!(nested.path, "data.a[1]");
        let Err(Error::Decode(e)) = data_json(b"<html>") else {
            panic!("expected a decode error")
        };
        assert!(e.message.starts_with("answer is not JSON"), "{}", e.message);
    }

    #[test]
    fn lenient_values_in_every_pve_spelling() {
        for v in [
            json!(true),
            json!(1),
            json!("1"),
            json!("yes"),
            json!(" on "),
            json!("TRUE"),
        ] {
            assert!(bool::lenient(v).unwrap());
        }
        for v in [
            json!(false),
            json!(0),
            json!("0"),
            json!("no"),
            json!("off"),
        ] {
            assert!(!bool::lenient(v).unwrap());
        }
        assert!(bool::lenient(json!("maybe")).is_err());
        assert_eq!(i64::lenient(json!("2048")).unwrap(), 2048);
        assert_eq!(i64::lenient(json!(" 103 ")).unwrap(), 103);
        assert_eq!(i64::lenient(json!(4.0)).unwrap(), 4);
        assert!(i64::lenient(json!(1.5)).is_err());
        assert!(i64::lenient(json!("abc")).is_err());
        assert_eq!(f64::lenient(json!("0.25")).unwrap(), 0.25);
        assert!(f64::lenient(json!("NaN")).is_err());
        assert_eq!(String::lenient(json!(3)).unwrap(), "3");
        assert_eq!(String::lenient(json!(true)).unwrap(), "1");
        assert_eq!(Vec::<i64>::lenient(json!(null)).unwrap(), Vec::<i64>::new());
        assert_eq!(Option::<i64>::lenient(json!(null)).unwrap(), None);
    }

    #[test]
    fn generated_decoders_record_the_path_of_a_failure() {
        let body = br#"{"data":[{"a":{"b":[1,"x"]}}]}"#;
        let Err(Error::Decode(e)) = data::<Vec<BTreeMap<String, BTreeMap<String, Vec<i64>>>>>(body)
        else {
            panic!("expected a decode error")
        };
        assert_eq!(e.path, "data[0].a.b[1]");
        assert_eq!(e.message, "expected an integer, got \"x\"");
        // The next decode starts afresh.
        let Err(Error::Decode(e)) = data::<Vec<i64>>(br#"{"data":["y"]}"#) else {
            panic!("expected a decode error")
        };
        assert_eq!(e.path, "data[0]");
    }

    /// What real servers send where the schema says otherwise reads (PVE 6/7's `""` for
    /// false, `""` and `null` for nothing, numbers in text, `[]` for an empty object).
    #[test]
    fn perl_quirks_of_real_answers_read() {
        use crate::api::nodes::node::qemu::get::{ResponseItem, ResponseItemStatus};
        let vm: ResponseItem = serde_json::from_str(
            r#"{"vmid": "100", "status": "running", "template": "", "cpus": "", "lock": "",
                "maxmem": "2048", "tags": null, "pid": null}"#,
        )
        .unwrap();
        assert_eq!((vm.vmid, vm.status), (100, ResponseItemStatus::Running));
        assert_eq!(
            (vm.template, vm.cpus, vm.maxmem),
            (Some(false), None, Some(2048))
        );
        assert_eq!((vm.lock, vm.pid), (Some(String::new()), None));
        // A map answered as `[]`, `""` or `null`: empty.
        for empty in ["[]", r#""""#, "null"] {
            let map: BTreeMap<String, BTreeMap<String, bool>> =
                data(format!(r#"{{"data": {empty}}}"#).as_bytes()).unwrap();
            assert!(map.is_empty(), "{empty}");
        }
        // A property string's boolean key stays strict: PVE refuses `firewall=`.
        assert!(
            "virtio,firewall="
                .parse::<crate::api::formats::QemuNet>()
                .is_err()
        );
    }

    /// A field that cannot be read is named in the error's message, so a caller decoding a
    /// generated type with plain serde_json sees where; the crate's errors split it off.
    #[test]
    fn errors_name_the_field_for_plain_serde_too() {
        use crate::api::nodes::get::Response;
        let text = r#"[{"node": "pve1", "status": "online"}, {"node": "pve2", "maxmem": "x"}]"#;
        // serde's own `Vec` does not name the item; the field is named, the position follows.
        let e = serde_json::from_str::<Response>(text).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"field `maxmem`: expected an integer, got "x" at line 1 column 70"#
        );
        let e = serde_json::from_value::<Response>(json!([{"status": "online"}])).unwrap_err();
        assert_eq!(e.to_string(), "field `node`: required field is missing");
        let Err(Error::Decode(e)) = data::<Response>(format!(r#"{{"data": {text}}}"#).as_bytes())
        else {
            panic!("expected a decode error")
        };
        assert_eq!(
            (e.path.as_str(), e.message.as_str()),
            ("data[1].maxmem", r#"expected an integer, got "x""#)
        );
    }

    /// The values of `text` by the budget's count, read in pieces of `step` bytes.
    fn values(text: &str, step: usize) -> u64 {
        let mut count = ValueCount::new(0);
        let bytes = text.as_bytes();
        let mut end = 0;
        while end < bytes.len() {
            end = (end + step).min(bytes.len());
            count.over(&bytes[..end]);
        }
        count.count
    }

    #[test]
    fn json_values_are_counted_outside_strings_whatever_the_pieces() {
        let cases = [
            ("0", 1),
            (r#"{"data":[0,1,2]}"#, 5),
            // Each object, its two members: 3 values; the envelope and its `data`: 2.
            (
                r#"{"data":[{"id":"a","type":"node"},{"id":"b","type":"qemu"}]}"#,
                8,
            ),
            // Separators inside strings, escaped quotes and backslashes included.
            (r#"{"data":["a,b[{", "\",{", "\\"]}"#, 5),
            // An empty object or array counts twice.
            (r#"[{},[]]"#, 5),
        ];
        for (text, expected) in cases {
            for step in [1, 2, 3, 7, text.len()] {
                assert_eq!(values(text, step), expected, "{text} by {step}");
            }
        }
    }

    #[test]
    fn the_value_budget_is_exact_and_skips_short_texts() {
        let text = br#"{"data":[0,1,2]}"#; // 5 values, 16 bytes
        assert!(!ValueCount::new(5).over(text));
        assert!(ValueCount::new(4).over(text));
        // Shorter than the limit: not read at all.
        let mut budget = ValueCount::new(17);
        assert!(!budget.over(text));
        assert_eq!(budget.seen, 0);
    }

    #[test]
    fn families_collect_by_number() {
        assert_eq!(family_index("net10", "net"), Some(10));
        assert_eq!(family_index("net01", "net"), None);
        assert_eq!(family_index("netx", "net"), None);
        assert_eq!(family_index("net", "net"), None);
    }
}
