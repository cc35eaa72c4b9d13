//! serde round trips of typed answers, and how the JSON they serialise to compares with the
//! JSON PVE sent.
//!
//! [`round_trip`]: a value, serialised (`serde_json::to_value`) and deserialised again by its
//! own `Deserialize`, must come back equal, and serialise to the identical JSON again.
//!
//! [`compare_with_answer`]: the serialised JSON must be PVE's answer, key for key, item for
//! item (unknown fields included), except for the [`Respelling`]s: the ways the typed
//! value writes what PVE sent in its own canonical spelling. Anything else (a key lost or
//! invented, a value changed) is a difference, named by its JSON path. [`add_unknown`] puts
//! a field no schema has into an answer first, so that every answer of objects shows its
//! unknown fields coming back out.

use std::collections::BTreeMap;
use std::fmt::{self, Debug};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A way the serialised JSON of an answer may legitimately differ from what PVE sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Respelling {
    /// A number PVE sent as text (`"2048"`, `" 4 "`) for an integer or number: written as
    /// the JSON number.
    NumberFromText,
    /// A whole number PVE sent with a fraction (`4.0`) for an integer, or a number field's
    /// whole value: written without the fraction (`4`).
    WholeNumber,
    /// A boolean PVE sent as `"1"`, `"yes"`, `"off"`, `""` (Perl's false), ...: written
    /// `1`/`0`, as PVE's handlers send booleans.
    BoolFromSpelling,
    /// A JSON `true`/`false` PVE sent (for a boolean or an integer): written `1`/`0`.
    NumberFromBool,
    /// `""` PVE sent for a number or an enum it has no value for: left out (read as absent).
    EmptyTextLeftOut,
    /// A boolean outside any generated struct (a bare boolean answer, the values of
    /// `/access/permissions`' map): serde's own `bool`, written `true`/`false`.
    BoolAsJson,
    /// A number or boolean PVE sent for a string (or an enum's value): written as its text
    /// (`true` as `"1"`).
    TextFromScalar,
    /// A field PVE sent as `null`: left out (reading it back gives the same value).
    NullLeftOut,
    /// `null` PVE sent for an array or map: written `[]` / `{}`.
    EmptyFromNull,
    /// A property string PVE sent as a JSON object of its keys (`/cluster/options` and
    /// `vzdump/defaults` do): written as its text, every key of the object in it (checked
    /// by `text_holds_object`).
    PropertyTextFromObject,
}

impl Respelling {
    /// Its name in the committed outcome lists.
    pub fn name(self) -> &'static str {
        match self {
            Respelling::NumberFromText => "number-from-text",
            Respelling::WholeNumber => "whole-number",
            Respelling::BoolFromSpelling => "bool-from-spelling",
            Respelling::NumberFromBool => "number-from-bool",
            Respelling::EmptyTextLeftOut => "empty-text-left-out",
            Respelling::BoolAsJson => "bool-as-json",
            Respelling::TextFromScalar => "text-from-scalar",
            Respelling::NullLeftOut => "null-left-out",
            Respelling::EmptyFromNull => "empty-from-null",
            Respelling::PropertyTextFromObject => "property-text-from-object",
        }
    }
}

impl fmt::Display for Respelling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed round trip: what went wrong.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong, with the JSON (or, for equal JSON, the value) difference.
    pub message: String,
}

impl Failure {
    fn new(message: String) -> Failure {
        Failure { message }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The serde round trip of `value`: its JSON, or what went wrong (with the JSON difference).
pub fn round_trip<T>(value: &T) -> Result<Value, Failure>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let (json, back) = round_trip_json(value).map_err(Failure::new)?;
    if back == *value {
        return Ok(json);
    }
    // Same JSON (checked by `round_trip_json`), different values: the JSON does not hold
    // what tells them apart.
    Err(Failure {
        message: format!(
            "reads back as a different value, with the same JSON {}:\n{}",
            shorten(&json.to_string(), 2000),
            debug_difference(value, &back)
        ),
    })
}

/// `value`'s JSON and the value read back from it, checked: `to_string` writes the same JSON
/// as `to_value`, and the value read back serialises to the identical JSON again.
fn round_trip_json<T>(value: &T) -> Result<(Value, T), String>
where
    T: Serialize + DeserializeOwned,
{
    let json = serde_json::to_value(value).map_err(|e| format!("does not serialise: {e}"))?;
    // The writer path gives the same JSON as the `Value` path.
    let text = serde_json::to_string(value).map_err(|e| format!("to_string fails: {e}"))?;
    let parsed: Value = serde_json::from_str(&text).map_err(|e| format!("{text}: {e}"))?;
    if parsed != json {
        return Err(format!(
            "to_string and to_value differ:\n{}",
            differences(&json, &parsed).join("\n")
        ));
    }
    let back: T = serde_json::from_value(json.clone()).map_err(|e| {
        format!(
            "its JSON does not deserialise: {e}\n    json: {}",
            shorten(&json.to_string(), 2000)
        )
    })?;
    let again = serde_json::to_value(&back).map_err(|e| format!("does not serialise: {e}"))?;
    if again != json {
        return Err(format!(
            "serialising the value read back gives other JSON (first <> again):\n{}",
            differences(&json, &again).join("\n")
        ));
    }
    Ok((json, back))
}

/// `text`, cut to `max` characters.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}...")
    }
}

/// The pretty `Debug` lines of `first` and `second` that differ, as a line diff (`-` first,
/// `+` back), with one line of context.
fn debug_difference<T: Debug>(first: &T, second: &T) -> String {
    let first = format!("{first:#?}");
    let second = format!("{second:#?}");
    let a: Vec<&str> = first.lines().collect();
    let b: Vec<&str> = second.lines().collect();
    line_diff(&a, &b).join("\n")
}

/// A line diff of `a` and `b` (longest common subsequence of the part between their common
/// head and tail); too large a middle is shown whole.
fn line_diff(a: &[&str], b: &[&str]) -> Vec<String> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (x, y) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut out = Vec::new();
    if head > 0 {
        out.push(format!("      {}", a[head - 1]));
    }
    if x.len() * y.len() > 4_000_000 {
        out.extend(x.iter().map(|l| format!("    - {l}")));
        out.extend(y.iter().map(|l| format!("    + {l}")));
        return out;
    }
    // lcs[i][j]: the length of the longest common subsequence of x[i..] and y[j..].
    let mut lcs = vec![vec![0u32; y.len() + 1]; x.len() + 1];
    for i in (0..x.len()).rev() {
        for j in (0..y.len()).rev() {
            lcs[i][j] = if x[i] == y[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < x.len() || j < y.len() {
        if i < x.len() && j < y.len() && x[i] == y[j] {
            out.push(format!("      {}", x[i]));
            i += 1;
            j += 1;
        } else if j == y.len() || (i < x.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(format!("    - {}", x[i]));
            i += 1;
        } else {
            out.push(format!("    + {}", y[j]));
            j += 1;
        }
    }
    out
}

/// Every difference between two JSON values, by path: `path: first <> second`.
pub fn differences(first: &Value, second: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(first, second, "", &mut out);
    out
}

fn diff(first: &Value, second: &Value, path: &str, out: &mut Vec<String>) {
    match (first, second) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let at = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => diff(value, other, &at, out),
                    None => out.push(format!("    {at}: {value} <> (absent)")),
                }
            }
            for (key, value) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(format!("    {path}.{key}: (absent) <> {value}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                diff(x, y, &format!("{path}[{i}]"), out);
            }
        }
        _ if first == second => {}
        _ => out.push(format!("    {}: {first} <> {second}", or_root(path))),
    }
}

fn or_root(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

/// The field [`add_unknown`] adds: no PVE version has it.
pub const UNKNOWN_KEY: &str = "x-proxmoxia-roundtrip";

/// Adds [`UNKNOWN_KEY`] (a nested value) to `answer` if it is an object, or to each object
/// item if it is an array: how many objects got it.
pub fn add_unknown(answer: &mut Value) -> usize {
    let unknown = || serde_json::json!({"kept": [1, "two", null, true, 2.5]});
    match answer {
        Value::Object(map) => {
            map.insert(UNKNOWN_KEY.to_owned(), unknown());
            1
        }
        Value::Array(items) => items
            .iter_mut()
            .filter_map(Value::as_object_mut)
            .map(|map| map.insert(UNKNOWN_KEY.to_owned(), unknown()))
            .count(),
        _ => 0,
    }
}

/// The respellings found in an answer, each with its first place (`.data[0].cpu: 0.0 -> 0`).
pub type Respellings = BTreeMap<Respelling, String>;

/// Compares `serialised` (a typed answer's JSON) with `answer` (the JSON PVE sent, which the
/// typed value was read from): the respellings found, or the differences that are none.
pub fn compare_with_answer(answer: &Value, serialised: &Value) -> Result<Respellings, Vec<String>> {
    let mut found = Respellings::new();
    let mut wrong = Vec::new();
    walk(answer, serialised, "", &mut found, &mut wrong);
    if wrong.is_empty() {
        Ok(found)
    } else {
        Err(wrong)
    }
}

fn walk(
    answer: &Value,
    serialised: &Value,
    path: &str,
    found: &mut Respellings,
    wrong: &mut Vec<String>,
) {
    if answer == serialised {
        return;
    }
    let respelling = match (answer, serialised) {
        (Value::Object(a), Value::Object(s)) => {
            for (key, value) in a {
                let at = format!("{path}.{key}");
                match (s.get(key), value) {
                    (Some(other), _) => walk(value, other, &at, found, wrong),
                    (None, Value::Null) => {
                        let place = format!("{at}: null left out");
                        found.entry(Respelling::NullLeftOut).or_insert(place);
                    }
                    (None, Value::String(text)) if text.is_empty() => {
                        let place = format!("{at}: \"\" left out");
                        found.entry(Respelling::EmptyTextLeftOut).or_insert(place);
                    }
                    (None, _) => wrong.push(format!("    {at}: {value} is lost")),
                }
            }
            for (key, value) in s.iter().filter(|(k, _)| !a.contains_key(*k)) {
                wrong.push(format!("    {path}.{key}: {value} is invented"));
            }
            return;
        }
        (Value::Array(a), Value::Array(s)) if a.len() == s.len() => {
            for (i, (x, y)) in a.iter().zip(s).enumerate() {
                walk(x, y, &format!("{path}[{i}]"), found, wrong);
            }
            return;
        }
        (Value::Null, Value::Array(s)) if s.is_empty() => Some(Respelling::EmptyFromNull),
        (Value::Null, Value::Object(s)) if s.is_empty() => Some(Respelling::EmptyFromNull),
        (Value::String(text), Value::Number(n)) => match text.trim().parse::<f64>() {
            Ok(v) => (Some(v) == n.as_f64()).then_some(Respelling::NumberFromText),
            // A boolean's spelling (`"yes"`, `""`), written 1/0.
            Err(_) => {
                let spelled = if text.is_empty() {
                    Some(false)
                } else {
                    bool_text(text)
                };
                (spelled.map(i64::from) == n.as_i64()).then_some(Respelling::BoolFromSpelling)
            }
        },
        (Value::Number(a), Value::Number(s)) => {
            (a.as_f64() == s.as_f64()).then_some(Respelling::WholeNumber)
        }
        (Value::Number(n), Value::Bool(b)) => {
            (n.as_i64() == Some(i64::from(*b))).then_some(Respelling::BoolAsJson)
        }
        (Value::Bool(b), Value::Number(n)) => {
            (n.as_i64() == Some(i64::from(*b))).then_some(Respelling::NumberFromBool)
        }
        (Value::Number(n), Value::String(text)) => {
            (*text == n.to_string()).then_some(Respelling::TextFromScalar)
        }
        (Value::Bool(b), Value::String(text)) => {
            (text == if *b { "1" } else { "0" }).then_some(Respelling::TextFromScalar)
        }
        (Value::Object(keys), Value::String(text)) => {
            text_holds_object(text, keys).then_some(Respelling::PropertyTextFromObject)
        }
        _ => None,
    };
    match respelling {
        Some(r) => {
            let place = format!("{}: {answer} -> {serialised}", or_root(path));
            found.entry(r).or_insert(place);
        }
        None => wrong.push(format!(
            "    {}: PVE sent {answer}, serialised {serialised}",
            or_root(path)
        )),
    }
}

/// Whether property-string `text` says what the object `keys` says: each part is one key's
/// `key=value`, or a key's value bare (the default key), or `alias=value` standing for two
/// keys (`virtio=MAC`: `model=virtio`, `macaddr=MAC`); each non-null key is in exactly one
/// part. Values compare as text (`1` for `true`). Quoted values are not taken apart: the
/// objects PVE sends hold none.
fn text_holds_object(text: &str, keys: &serde_json::Map<String, Value>) -> bool {
    let mut left: Vec<(&str, String)> = keys
        .iter()
        .filter(|(_, v)| !v.is_null())
        .filter_map(|(k, v)| Some((k.as_str(), scalar_text(v)?)))
        .collect();
    if left.len() != keys.values().filter(|v| !v.is_null()).count() {
        return false;
    }
    let mut take = |pick: &dyn Fn(&(&str, String)) -> bool| -> bool {
        match left.iter().position(pick) {
            Some(i) => {
                left.remove(i);
                true
            }
            None => false,
        }
    };
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let found = match part.split_once('=') {
            Some((key, value)) => {
                take(&|(k, v)| *k == key && v == value)
                    || (take(&|(_, v)| v == key) && take(&|(_, v)| v == value))
            }
            None => take(&|(_, v)| v == part),
        };
        if !found {
            return false;
        }
    }
    left.is_empty()
}

/// A scalar as property-string text (`true` as `1`); `None` for an array or object.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// PVE's boolean spellings, as the lenient decoder reads them.
fn bool_text(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" => Some(true),
        "0" | "no" | "off" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[test]
    fn respellings_are_named_and_anything_else_is_a_difference() {
        let answer = json!({"a": "2", "b": "yes", "c": null, "d": [null], "e": 4.0, "f": 3,
            "g": {"enabled": 0}, "k": "kept", "l": ""});
        let serialised = json!({"a": 2, "b": 1, "d": [[]], "e": 4, "f": "3",
            "g": "0", "k": "kept"});
        let found = compare_with_answer(&answer, &serialised).unwrap();
        let names: Vec<&str> = found.keys().map(|r| r.name()).collect();
        assert_eq!(
            names,
            [
                "number-from-text",
                "whole-number",
                "bool-from-spelling",
                "empty-text-left-out",
                "text-from-scalar",
                "null-left-out",
                "empty-from-null",
                "property-text-from-object"
            ]
        );
        assert_eq!(found[&Respelling::NumberFromText], ".a: \"2\" -> 2");

        let wrong = compare_with_answer(
            &json!([{"a": 1, "b": "x", "c": 2}]),
            &json!([{"a": 1, "b": "y", "d": 3}]),
        )
        .unwrap_err();
        assert_eq!(
            wrong,
            [
                "    [0].b: PVE sent \"x\", serialised \"y\"",
                "    [0].c: 2 is lost",
                "    [0].d: 3 is invented"
            ]
        );
        // A number text that is another number, a boolean spelling that is the other one.
        assert!(compare_with_answer(&json!({"a": "2"}), &json!({"a": 3})).is_err());
        assert!(compare_with_answer(&json!({"a": "no"}), &json!({"a": 1})).is_err());
    }

    #[test]
    fn property_text_must_hold_every_key_of_the_object() {
        let object = |v: Value| v.as_object().cloned().unwrap();
        let net = object(json!({"model": "virtio", "macaddr": "BC:24:11:00:00:01",
            "bridge": "vmbr0", "firewall": true}));
        assert!(text_holds_object(
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
            &net
        ));
        assert!(text_holds_object(
            "model=virtio,macaddr=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
            &net
        ));
        assert!(!text_holds_object(
            "virtio=BC:24:11:00:00:01,bridge=vmbr0",
            &net
        ));
        assert!(!text_holds_object(
            "virtio=BC:24:11:00:00:01,bridge=vmbr1,firewall=1",
            &net
        ));
        assert!(text_holds_object("0", &object(json!({"enabled": 0}))));
        assert!(!text_holds_object("0,x=1", &object(json!({"enabled": 0}))));
    }

    /// A type whose JSON drops a field.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Lossy {
        a: i64,
        #[serde(skip_serializing, default)]
        b: i64,
    }

    #[test]
    fn a_lossy_value_fails_with_its_difference() {
        let failure = round_trip(&Lossy { a: 1, b: 2 }).unwrap_err();
        assert_eq!(
            failure.message,
            "reads back as a different value, with the same JSON {\"a\":1}:\n          \
             a: 1,\n    -     b: 2,\n    +     b: 0,"
        );
        assert_eq!(round_trip(&Lossy { a: 1, b: 0 }).unwrap(), json!({"a": 1}));
    }

    /// An empty `-list` field PVE sent comes back out as PVE writes it, and reads back.
    #[test]
    fn an_empty_list_field_round_trips() {
        type Group = proxmoxia::api::access::groups::get::ResponseItem;
        let group: Group = serde_json::from_value(json!({"groupid": "g", "users": ""})).unwrap();
        assert_eq!(
            round_trip(&group).unwrap(),
            json!({"groupid": "g", "users": ""})
        );
    }
}
