//! Encoding typed values back into PVE's JSON shapes (parameters, and serde output).

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use crate::auth::Secret;

/// A type that can be written as a PVE JSON value.
pub trait Encode {
    /// The value; `Null` means "leave the field out".
    fn encode(&self) -> Value;

    /// The value with secrets replaced by `***`, for `Debug` output.
    fn encode_redacted(&self) -> Value {
        self.encode()
    }
}

impl Encode for Value {
    fn encode(&self) -> Value {
        self.clone()
    }
}

impl Encode for () {
    fn encode(&self) -> Value {
        Value::Null
    }
}

impl Encode for bool {
    fn encode(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Encode for i64 {
    fn encode(&self) -> Value {
        Value::Number((*self).into())
    }
}

impl Encode for f64 {
    fn encode(&self) -> Value {
        Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}

impl Encode for String {
    fn encode(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Encode for Secret {
    fn encode(&self) -> Value {
        Value::String(self.expose().to_owned())
    }
    fn encode_redacted(&self) -> Value {
        Value::String("***".to_owned())
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::encode)
    }
    fn encode_redacted(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::encode_redacted)
    }
}

impl<T: Encode> Encode for Box<T> {
    fn encode(&self) -> Value {
        (**self).encode()
    }
    fn encode_redacted(&self) -> Value {
        (**self).encode_redacted()
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self) -> Value {
        Value::Array(self.iter().map(T::encode).collect())
    }
    fn encode_redacted(&self) -> Value {
        Value::Array(self.iter().map(T::encode_redacted).collect())
    }
}

impl<T: Encode> Encode for BTreeMap<String, T> {
    fn encode(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.clone(), v.encode())).collect())
    }
}

/// Writes field `key` unless it is absent (secrets as `***` when `redact`).
pub fn field<T: Encode>(out: &mut Map<String, Value>, key: &str, value: &T, redact: bool) {
    let value = if redact {
        value.encode_redacted()
    } else {
        value.encode()
    };
    if !value.is_null() {
        out.insert(key.to_owned(), value);
    }
}

/// Writes an indexed family as `prefix0`, `prefix3`, ...
pub fn indexed<T: Encode>(
    out: &mut Map<String, Value>,
    prefix: &str,
    values: &BTreeMap<u32, T>,
    redact: bool,
) {
    for (index, value) in values {
        field(out, &format!("{prefix}{index}"), value, redact);
    }
}
