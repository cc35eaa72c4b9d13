//! Request encoding: parameters as PVE reads them, and path segments.
//!
//! PVE takes GET/DELETE parameters in the query string and POST/PUT parameters as an
//! `application/x-www-form-urlencoded` body. Booleans travel as `1`/`0`, arrays as repeated
//! keys, and `null` means "not given".

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde_core::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};

/// Characters escaped inside one path segment: everything that would end or split it.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// Characters escaped in form and query values: all but unreserved ones.
const FORM: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Escapes one path segment; a `/` inside it is escaped too, so a volume id such as
/// `local:iso/x.iso` stays one segment.
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// Writes what is written to it into a path as one escaped segment (see
/// [`encode_segment`]), with no string made on the way.
pub(crate) struct SegmentWriter<'a>(pub(crate) &'a mut String);

impl std::fmt::Write for SegmentWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend(utf8_percent_encode(s, SEGMENT));
        Ok(())
    }
}

/// Normalises a user-written API path: leading/trailing and doubled slashes dropped, `.`
/// and `..` resolved inside the API root (never above it), each segment escaped (but `/`
/// kept as the separator).
pub(crate) fn encode_path(path: &str) -> String {
    // Written into one string: an escaped segment has no `/`, so `..` drops what follows
    // the last one.
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => out.truncate(out.rfind('/').unwrap_or(0)),
            other => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.extend(utf8_percent_encode(other, SEGMENT));
            }
        }
    }
    out
}

const DOT: &str = "`.` is not allowed as a path segment (it would address another path)";
const DOTDOT: &str = "`..` is not allowed as a path segment (it would climb out of the path)";

/// Why an escaped path segment would not stay one: `.` and `..`, also percent-encoded
/// (`%2e%2E`), which URL parsers resolve against the path.
pub(crate) fn dot_segment(escaped: &str) -> Option<&'static str> {
    // At most `%2e%2e`, of nothing but those bytes: most segments are refused here, unread.
    if escaped.len() > 6
        || !escaped
            .bytes()
            .all(|b| matches!(b, b'.' | b'%' | b'2' | b'e' | b'E'))
    {
        return None;
    }
    let decoded = escaped.to_ascii_lowercase().replace("%2e", ".");
    match decoded.as_str() {
        "." => Some(DOT),
        ".." => Some(DOTDOT),
        _ => None,
    }
}

/// A form value or name as it goes on the wire.
pub(crate) fn form_encode(text: &str) -> String {
    utf8_percent_encode(text, FORM).to_string()
}

/// Ordered name/value pairs, as they go on the wire.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
    /// Names marked secret beyond those that look it (see [`Form::is_secret`]).
    secret: Vec<String>,
}

impl std::fmt::Debug for Form {
    // Values may be passwords: only names are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Form {
    /// An empty form.
    pub fn new() -> Form {
        Form::default()
    }

    /// Adds one pair.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// True when no parameter is set.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pairs in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of the first pair with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `a=1&b=x%20y`.
    pub fn to_urlencoded(&self) -> String {
        self.urlencoded(false)
    }

    /// Marks parameter `name` as secret: its value is hidden wherever the form is shown.
    pub fn mark_secret(&mut self, name: impl Into<String>) {
        self.secret.push(name.into());
    }

    /// True when the value of `name` is hidden wherever the form is shown: marked by
    /// [`mark_secret`](Form::mark_secret) (typed calls mark what their schema calls secret),
    /// or named like a credential (`password`, `*ticket`, `*token*`, `*key*`, ...).
    pub fn is_secret(&self, name: &str) -> bool {
        self.secret.iter().any(|s| s == name) || crate::secret::looks_secret(name)
    }

    /// Like [`to_urlencoded`](Form::to_urlencoded) with secret values as `***`: for errors
    /// and logs.
    pub fn to_redacted_urlencoded(&self) -> String {
        self.urlencoded(true)
    }

    /// The values of the secret parameters, to scrub from what a server echoes.
    pub(crate) fn secret_values(&self) -> impl Iterator<Item = &str> {
        self.pairs
            .iter()
            .filter(|(k, _)| self.is_secret(k))
            .map(|(_, v)| v.as_str())
    }

    fn urlencoded(&self, redact: bool) -> String {
        let mut out = String::new();
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.extend(utf8_percent_encode(k, FORM));
            out.push('=');
            if redact && self.is_secret(k) {
                out.push_str(crate::secret::REDACTED);
            } else {
                out.extend(utf8_percent_encode(v, FORM));
            }
        }
        out
    }

    /// Pairs from any serialisable value: a struct or map (fields become parameters), or
    /// `()`/`None` for no parameters.
    pub fn from_serialize<T: Serialize + ?Sized>(params: &T) -> Result<Form> {
        let value = serde_json::to_value(params).map_err(|e| Error::Encode {
            name: String::new(),
            reason: e.to_string(),
        })?;
        Form::from_value(value)
    }

    /// Pairs from a JSON object (or `null` for none).
    pub fn from_value(value: Value) -> Result<Form> {
        let mut form = Form::new();
        match value {
            Value::Null => {}
            Value::Object(map) => {
                for (name, value) in map {
                    form.push_value(&name, value)?;
                }
            }
            other => {
                return Err(Error::Encode {
                    name: String::new(),
                    reason: format!(
                        "parameters must be a struct or map, not {}",
                        json_kind(&other)
                    ),
                });
            }
        }
        Ok(form)
    }

    fn push_value(&mut self, name: &str, value: Value) -> Result<()> {
        match value {
            Value::Null => {}
            Value::Bool(b) => self.push(name, if b { "1" } else { "0" }),
            Value::Number(n) => self.push(name, n.to_string()),
            Value::String(s) => self.push(name, s),
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Array(_) | Value::Object(_) => {
                            return Err(Error::Encode {
                                name: name.into(),
                                reason: "an array parameter holds scalars only".into(),
                            });
                        }
                        scalar => self.push_value(name, scalar)?,
                    }
                }
            }
            Value::Object(_) => {
                return Err(Error::Encode {
                    name: name.into(),
                    reason: "PVE takes no nested objects; format it as a property string".into(),
                });
            }
        }
        Ok(())
    }
}

/// What kind of JSON value `v` is, for messages (`a string`, `an object`).
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn booleans_become_one_and_zero_and_null_is_skipped() {
        let form = Form::from_value(json!({"a": true, "b": false, "c": null, "d": 3, "e": "x y"}))
            .unwrap();
        assert_eq!(form.to_urlencoded(), "a=1&b=0&d=3&e=x%20y");
    }

    #[test]
    fn redacted_form_hides_marked_and_credential_like_values() {
        let mut form =
            Form::from_value(json!({"node": "pve1", "password": "pw", "totp": "otpauth://x"}))
                .unwrap();
        form.mark_secret("totp");
        assert_eq!(
            form.to_redacted_urlencoded(),
            "node=pve1&password=***&totp=***"
        );
        assert_eq!(
            form.to_urlencoded(),
            "node=pve1&password=pw&totp=otpauth%3A%2F%2Fx"
        );
        assert_eq!(
            form.secret_values().collect::<Vec<_>>(),
            ["pw", "otpauth://x"]
        );
    }

    #[test]
    fn arrays_repeat_the_key() {
        let form = Form::from_value(json!({"ids": [1, 2]})).unwrap();
        assert_eq!(form.to_urlencoded(), "ids=1&ids=2");
    }

    #[test]
    fn nested_objects_are_refused_with_the_name() {
        let err = Form::from_value(json!({"net0": {"bridge": "vmbr0"}})).unwrap_err();
        assert!(err.to_string().contains("net0"), "{err}");
    }

    #[test]
    fn special_characters_are_escaped() {
        let form = Form::from_value(json!({"net0": "virtio=AA:BB,bridge=vmbr0&x=1"})).unwrap();
        assert_eq!(
            form.to_urlencoded(),
            "net0=virtio%3DAA%3ABB%2Cbridge%3Dvmbr0%26x%3D1"
        );
    }

    #[test]
    fn path_segments_keep_pve_characters_and_escape_separators() {
        assert_eq!(
            encode_path("/nodes/pve1/tasks/UPID:pve1:0001:root@pam!tok:/status/"),
            "nodes/pve1/tasks/UPID:pve1:0001:root@pam!tok:/status"
        );
        assert_eq!(encode_segment("local:iso/a b.iso"), "local:iso%2Fa%20b.iso");
    }

    #[test]
    fn raw_paths_never_climb_above_the_api_root() {
        assert_eq!(encode_path("nodes/../../x"), "x");
        assert_eq!(encode_path("/nodes/./pve1//qemu/"), "nodes/pve1/qemu");
        // `%` is escaped: a literal `%2e%2e` stays a segment of its own.
        assert_eq!(encode_path("nodes/%2e%2E/x"), "nodes/%252e%252E/x");
        assert_eq!(encode_path("../../../version"), "version");
        assert_eq!(encode_path("nodes/..."), "nodes/...");
        assert_eq!(encode_path("a/b/c/../../d"), "a/d");
        assert_eq!(encode_path("a/b/../c/.."), "a");
        assert_eq!(encode_path("a b/c?d/.."), "a%20b");
    }

    #[test]
    fn dot_segments_are_recognised_escaped_or_not() {
        assert!(dot_segment(".").is_some());
        assert!(dot_segment("..").is_some());
        assert!(dot_segment("%2E%2e").is_some());
        assert!(dot_segment(".%2e").is_some());
        assert!(dot_segment("...").is_none());
        assert!(dot_segment("a..b").is_none());
        assert!(dot_segment("%2e%2E").is_some());
        assert!(dot_segment("%2e%2e%2e").is_none());
        assert!(dot_segment("%2").is_none());
        assert!(dot_segment("e").is_none());
        assert!(dot_segment("pve1").is_none());
    }
}
