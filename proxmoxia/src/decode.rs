//! Answer decoding: PVE's `{"data": ...}` envelope, then JSON or a typed value.

use serde_core::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};

/// The `data` of an answer body. A body without `data` (PVE sends none for some writes) is
/// `null`.
pub(crate) fn envelope_value(body: &[u8]) -> Result<Value> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        Error::decode(
            format!("answer is not JSON: {e}"),
            "body",
            String::from_utf8_lossy(body),
        )
    })?;
    match value {
        Value::Object(mut map) => Ok(map.remove("data").unwrap_or(Value::Null)),
        _ => Err(Error::decode(
            "answer is not a JSON object with `data`",
            "body",
            String::from_utf8_lossy(body),
        )),
    }
}

/// The `data` of an answer as `T`; a mismatch names the JSON path that failed.
pub(crate) fn envelope_typed<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    // Checked as JSON first, so a body that is not JSON gets its own message.
    envelope_value(body)?;
    let decoded: std::result::Result<Envelope<T>, _> = serde_json::from_slice(body);
    let fail = |e: serde_json::Error| {
        let offset = line_column_offset(body, e.line(), e.column());
        Error::decode(
            e.to_string(),
            json_path_at(body, offset),
            String::from_utf8_lossy(body),
        )
    };
    match decoded.map_err(fail)?.0 {
        Some(data) => Ok(data),
        // `data` absent or null: let T say whether that is acceptable.
        None => serde_json::from_value(Value::Null)
            .map_err(|e| Error::decode(e.to_string(), "data", String::from_utf8_lossy(body))),
    }
}

/// `{"data": T, ...}`: the envelope, read in one pass so errors keep their position.
struct Envelope<T>(Option<T>);

impl<'de, T: serde_core::Deserialize<'de>> serde_core::Deserialize<'de> for Envelope<T> {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde_core::Deserialize<'de>> serde_core::de::Visitor<'de> for Visit<T> {
            type Value = Envelope<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object with `data`")
            }
            fn visit_map<A: serde_core::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Envelope<T>, A::Error> {
                let mut data = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "data" {
                        data = map.next_value::<Option<T>>()?;
                    } else {
                        map.next_value::<serde_core::de::IgnoredAny>()?;
                    }
                }
                Ok(Envelope(data))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
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

    #[test]
    fn envelope_is_unwrapped() {
        assert_eq!(
            envelope_value(br#"{"data":[1,2]}"#).unwrap(),
            serde_json::json!([1, 2])
        );
        assert_eq!(envelope_value(br#"{}"#).unwrap(), Value::Null);
    }

    #[test]
    fn decode_error_names_the_path_and_keeps_the_body() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Node {
            node: String,
            maxcpu: u32,
        }
        let body = br#"{"data":[{"node":"pve1","maxcpu":4},{"node":"pve2","maxcpu":"x"}]}"#;
        let Err(Error::Decode(e)) = envelope_typed::<Vec<Node>>(body) else {
            panic!("expected a decode error")
        };
        assert_eq!(e.path, "data[1].maxcpu");
        let body = br#"{"data": {"a": [1, {"b": "x"}]}}"#;
        let Err(Error::Decode(nested)) =
            envelope_typed::<std::collections::HashMap<String, Vec<u32>>>(body)
        else {
            panic!("expected a decode error")
        };
        assert_eq!(nested.path, "data.a[1]");
        assert!(e.body.contains("pve2"));
        assert!(matches!(envelope_value(b"<html>"), Err(Error::Decode(_))));
    }
}
