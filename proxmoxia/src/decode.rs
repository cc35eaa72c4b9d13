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
    let data = envelope_value(body)?;
    serde_path_to_error::deserialize(data).map_err(|e| {
        let path = e.path().to_string();
        let path = match path.as_str() {
            "." => "data".to_owned(),
            p if p.starts_with('[') => format!("data{p}"),
            p => format!("data.{p}"),
        };
        Error::decode(
            e.into_inner().to_string(),
            path,
            String::from_utf8_lossy(body),
        )
    })
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
        assert!(e.body.contains("pve2"));
        assert!(matches!(envelope_value(b"<html>"), Err(Error::Decode(_))));
    }
}
