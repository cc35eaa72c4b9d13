//! What a decoded answer holds that its type does not know (`audit` feature): fields kept in
//! a generated struct's `extra`, property-string keys kept in its `extra`, `Unrecognized`
//! enum values and property strings kept unread, each by its JSON path. One trait,
//! [`Extras`]: implemented here for the scalars and containers, and for every generated
//! answer type by its `macro_rules!` (`values/macros.rs`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::list::List;
use super::propstring::Unparsed;
use crate::secret::{REDACTED, Secret, looks_secret};

/// A value whose unknown parts can be listed: every answer type, with the `audit` feature.
///
/// ```
/// use proxmoxia::api::nodes::get::Response;
/// use proxmoxia::typed::{UnknownKind, unknown_fields};
///
/// let nodes: Response = serde_json::from_str(
///     r#"[{"node": "pve1", "status": "online", "new-in-pve-10": 1}]"#,
/// )?;
/// let unknown = unknown_fields(&nodes);
/// assert_eq!(unknown[0].at, "[].new-in-pve-10");
/// assert_eq!(unknown[0].kind, UnknownKind::Field);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub trait Extras {
    /// Reports to `found` what this value holds that its type does not know.
    fn extras(&self, found: &mut Unknowns);
}

/// What an unknown part of an answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum UnknownKind {
    /// A field of an object that its type does not list (kept in the struct's `extra`).
    Field,
    /// A key of a property string that its format does not list (kept in its `extra`).
    Key,
    /// An enum value that its type does not list (`Unrecognized`).
    Value,
    /// A property string that could not be read (kept as its text: `unparsed()`).
    Unparsed,
}

impl UnknownKind {
    /// `field`, `key`, `value` or `unparsed`.
    pub fn as_str(self) -> &'static str {
        match self {
            UnknownKind::Field => "field",
            UnknownKind::Key => "key",
            UnknownKind::Value => "value",
            UnknownKind::Unparsed => "unparsed",
        }
    }
}

/// One unknown part of an answer, at one place: the items of a list are one place
/// (`data[].uptime`), so a field that every item has is found once, counted per item.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnknownField {
    /// Its place, in the notation of `apidoc/supplement.json`'s `field`: names separated by
    /// `.`, `[]` for the items of a list, `{}` for the values of a map, and `[n]` for the
    /// members of an indexed family (`net[n].newkey`).
    pub at: String,
    /// What it is.
    pub kind: UnknownKind,
    /// How often it was found.
    pub count: usize,
    /// Its first distinct values (up to three), when they were asked for; never for a place
    /// whose name marks a secret (`password`, `ticket`, `token`, `key`, `secret`, ...).
    /// Inside a value, the value of every secret-named key is `***`, and so is a text of
    /// `key=value` pairs that names a secret. An unread property string's value is
    /// `{"text": ..., "error": ...}` (none if its text names a secret).
    pub values: Vec<Value>,
}

/// How many distinct values of one place are kept.
const MAX_VALUES: usize = 3;

/// What walks of [`Extras`] values found, by place.
#[derive(Debug)]
pub struct Unknowns {
    /// The place being walked.
    at: String,
    values: bool,
    found: BTreeMap<(String, UnknownKind), UnknownField>,
}

/// Every unknown part of `value`, sorted by place, without values.
pub fn unknown_fields<T: Extras + ?Sized>(value: &T) -> Vec<UnknownField> {
    let mut found = Unknowns::new("", false);
    found.add(value);
    found.into_vec()
}

impl Unknowns {
    /// Nothing found yet; places start at `root` (`data` for an answer's body, `""` for a
    /// value); `values`: keep the values found (see [`UnknownField::values`]).
    pub fn new(root: &str, values: bool) -> Unknowns {
        Unknowns {
            at: root.to_owned(),
            values,
            found: BTreeMap::new(),
        }
    }

    /// Walks `value` at the root.
    pub fn add<T: Extras + ?Sized>(&mut self, value: &T) {
        value.extras(self);
    }

    /// What was found, sorted by place.
    pub fn into_vec(self) -> Vec<UnknownField> {
        self.found.into_values().collect()
    }

    /// Field `name` of an object.
    #[doc(hidden)]
    #[inline]
    pub fn field<T: Extras + ?Sized>(&mut self, name: &str, value: &T) {
        self.within(Some(name), "", |found| value.extras(found));
    }

    /// The members of the indexed family `prefix` (`net0`, `net1`, ...), as one place.
    #[doc(hidden)]
    #[inline]
    pub fn family<T: Extras>(&mut self, prefix: &str, members: &BTreeMap<u32, T>) {
        if members.is_empty() {
            return;
        }
        self.within(Some(prefix), "[n]", |found| {
            members.values().for_each(|m| m.extras(found))
        });
    }

    /// A generated struct's `extra`: fields its type does not list.
    #[doc(hidden)]
    pub fn extra_fields(&mut self, extra: &Map<String, Value>) {
        for (name, value) in extra {
            self.within(Some(name), "", |found| {
                found.record(UnknownKind::Field, || Some(value.clone()))
            });
        }
    }

    /// A property string's `extra`: keys its format does not list.
    #[doc(hidden)]
    pub fn extra_keys(&mut self, extra: &BTreeMap<String, String>) {
        for (key, value) in extra {
            self.within(Some(key), "", |found| {
                found.record(UnknownKind::Key, || Some(Value::String(value.clone())))
            });
        }
    }

    /// An `Unrecognized` enum value.
    #[doc(hidden)]
    pub fn enum_value(&mut self, value: &str) {
        self.record(UnknownKind::Value, || Some(Value::String(value.to_owned())));
    }

    /// A property string's text kept unread, if it is (its text and error, which may quote
    /// it, not kept when a key in it is named like a secret).
    #[doc(hidden)]
    pub fn unparsed(&mut self, unparsed: Option<&Unparsed>) {
        if let Some(u) = unparsed {
            self.record(UnknownKind::Unparsed, || {
                (!text_names_a_secret(&u.raw))
                    .then(|| serde_json::json!({"text": u.raw, "error": u.error}))
            });
        }
    }

    /// Runs `walk` one step deeper: key `name` (if any), then `suffix` (`[]`, `{}`, `[n]`).
    fn within(&mut self, name: Option<&str>, suffix: &str, walk: impl FnOnce(&mut Unknowns)) {
        let len = self.at.len();
        if let Some(name) = name {
            if !self.at.is_empty() {
                self.at.push('.');
            }
            self.at.push_str(name);
        }
        self.at.push_str(suffix);
        walk(self);
        self.at.truncate(len);
    }

    /// Something unknown at the current place, and its value (`None`: not to be kept).
    fn record(&mut self, kind: UnknownKind, value: impl FnOnce() -> Option<Value>) {
        let keep = self.values && !names_a_secret(&self.at);
        let at = &self.at;
        let entry = self
            .found
            .entry((at.clone(), kind))
            .or_insert_with(|| UnknownField {
                at: at.clone(),
                kind,
                count: 0,
                values: Vec::new(),
            });
        entry.count += 1;
        if keep && entry.values.len() < MAX_VALUES {
            if let Some(value) = value().map(redacted) {
                if !entry.values.contains(&value) {
                    entry.values.push(value);
                }
            }
        }
    }
}

/// Whether a step of the place `at` is named like a secret (`data[].token-value`).
pub(crate) fn names_a_secret(at: &str) -> bool {
    at.split('.').any(|step| {
        let name = step.split('[').next().unwrap_or(step);
        looks_secret(name.trim_end_matches("{}"))
    })
}

/// Whether a text that looks like `key=value` pairs (a property string, read or not) may
/// name a secret (`user=me,password=x`): any word of a secret's name in it is enough, as
/// text that failed to read cannot be split into its keys reliably.
fn text_names_a_secret(text: &str) -> bool {
    text.contains('=') && looks_secret(text)
}

/// `value` with the value of every secret-named key inside it replaced by `***`, and so is
/// a text that names one as a property string would.
fn redacted(value: Value) -> Value {
    match value {
        Value::String(text) if text_names_a_secret(&text) => Value::String(REDACTED.to_owned()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = if looks_secret(&key) {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redacted(value)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(redacted).collect()),
        other => other,
    }
}

/// Types that hold nothing unknown: scalars, and JSON the schema leaves untyped.
macro_rules! nothing_unknown {
    ($($ty:ty),*) => {
        $(
            impl Extras for $ty {
                #[inline]
                fn extras(&self, _: &mut Unknowns) {}
            }
        )*
    };
}

nothing_unknown!(bool, i64, f64, String, Secret, (), Value);

impl<T, const SEP: char> Extras for List<T, SEP> {
    #[inline]
    fn extras(&self, _: &mut Unknowns) {}
}

impl<T: Extras> Extras for Option<T> {
    #[inline]
    fn extras(&self, found: &mut Unknowns) {
        if let Some(value) = self {
            value.extras(found);
        }
    }
}

impl<T: Extras> Extras for Vec<T> {
    #[inline]
    fn extras(&self, found: &mut Unknowns) {
        if !self.is_empty() {
            found.within(None, "[]", |found| {
                self.iter().for_each(|i| i.extras(found))
            });
        }
    }
}

impl<T: Extras> Extras for BTreeMap<String, T> {
    #[inline]
    fn extras(&self, found: &mut Unknowns) {
        if !self.is_empty() {
            found.within(None, "{}", |found| {
                self.values().for_each(|v| v.extras(found))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A list's items are one place, counted per item; a map's values too; a family's
    /// members too; property-string keys and enum values are found where they are.
    #[test]
    fn places_are_deduplicated_over_items_and_counted() {
        use crate::api::nodes::get::Response as Nodes;
        let nodes: Nodes = serde_json::from_value(json!([
            {"node": "a", "status": "online", "uptime": 1, "new": {"x": 1}},
            {"node": "b", "status": "asleep", "new": 2},
        ]))
        .unwrap();
        let mut found = Unknowns::new("data", true);
        found.add(&nodes);
        let found = found.into_vec();
        let shown: Vec<(&str, &str, usize, &Vec<Value>)> = found
            .iter()
            .map(|u| (u.at.as_str(), u.kind.as_str(), u.count, &u.values))
            .collect();
        assert_eq!(
            shown,
            [
                ("data[].new", "field", 2, &vec![json!({"x": 1}), json!(2)]),
                ("data[].status", "value", 1, &vec![json!("asleep")]),
            ]
        );

        use crate::api::nodes::node::qemu::vmid::config::get::Response as Config;
        let config: Config = serde_json::from_value(json!({
            "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,newkey=1",
            "net1": "virtio,newkey=2",
            "digest": "0",
            "ide2": "\"unterminated",
        }))
        .unwrap();
        let found = unknown_fields(&config);
        let shown: Vec<(&str, &str, usize, usize)> = found
            .iter()
            .map(|u| (u.at.as_str(), u.kind.as_str(), u.count, u.values.len()))
            .collect();
        assert_eq!(
            shown,
            [("ide[n]", "unparsed", 1, 0), ("net[n].newkey", "key", 2, 0)]
        );
    }

    /// A value is never kept for a place named like a secret, and inside a kept value the
    /// secret-named keys are `***`.
    #[test]
    fn secret_named_values_are_never_kept() {
        let mut found = Unknowns::new("data", true);
        let extra: Map<String, Value> = serde_json::from_value(json!({
            "api-password": "hunter2",
            "auth": {"token": "abc", "user": "me", "list": [{"secret": 1, "n": 2}]},
            "note": "hello",
            "options": "user=me,password=hunter2",
        }))
        .unwrap();
        found.extra_fields(&extra);
        let found = found.into_vec();
        let values: Vec<(&str, &Vec<Value>)> =
            found.iter().map(|u| (u.at.as_str(), &u.values)).collect();
        assert_eq!(
            values,
            [
                ("data.api-password", &vec![]),
                (
                    "data.auth",
                    &vec![
                        json!({"token": "***", "user": "me", "list": [{"secret": "***", "n": 2}]})
                    ]
                ),
                ("data.note", &vec![json!("hello")]),
                ("data.options", &vec![json!("***")]),
            ]
        );
        let mut found = Unknowns::new("data", true);
        found.unparsed(Some(&Unparsed {
            raw: "\"x,password=hunter2".into(),
            error: "unterminated quoted value".into(),
        }));
        assert_eq!(found.into_vec()[0].values, Vec::<Value>::new());
        assert!(names_a_secret("data[].tokens{}.x"));
        assert!(names_a_secret("data.keyring[n]"));
        assert!(!names_a_secret("data[].uptime"));
    }
}
