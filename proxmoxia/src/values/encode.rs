//! Encoding typed values back into PVE's JSON shapes (parameters, and serde output).

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use crate::secret::Secret;

/// A type that can be written as a PVE JSON value.
pub trait Encode {
    /// The value; `Null` means "leave the field out".
    fn encode(&self) -> Value;

    /// The value with secrets replaced by `***`, for `Debug` output.
    fn encode_redacted(&self) -> Value {
        self.encode()
    }

    /// Whether the value is certainly left out (an unset optional value), known without
    /// encoding it: most of a method's parameters are unset, and are skipped this cheaply.
    #[doc(hidden)]
    #[inline]
    fn is_absent(&self) -> bool {
        false
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

/// `1` or `0`: what PVE's Perl handlers send for a boolean and what PVE reads back.
impl Encode for bool {
    fn encode(&self) -> Value {
        Value::Number(u8::from(*self).into())
    }
}

impl Encode for i64 {
    fn encode(&self) -> Value {
        Value::Number((*self).into())
    }
}

impl Encode for f64 {
    fn encode(&self) -> Value {
        // PVE writes whole numbers without a fraction (`rate=10`, `cpulimit=2`); so do we, as
        // far as an f64 holds integers exactly (2^53).
        const EXACT: f64 = 9_007_199_254_740_992.0;
        if self.fract() == 0.0 && self.abs() <= EXACT {
            return Value::Number((*self as i64).into());
        }
        // Not finite: sent as text, so validation refuses it by name instead of dropping it.
        Number::from_f64(*self).map_or_else(|| Value::String(self.to_string()), Value::Number)
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
    #[inline]
    fn is_absent(&self) -> bool {
        self.is_none()
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
#[inline]
pub fn field<T: Encode>(out: &mut Map<String, Value>, key: &str, value: &T, redact: bool) {
    if value.is_absent() {
        return;
    }
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
pub fn family<T: Encode>(
    out: &mut Map<String, Value>,
    prefix: &str,
    values: &BTreeMap<u32, T>,
    redact: bool,
) {
    for (index, value) in values {
        field(out, &member_name(prefix, *index), value, redact);
    }
}

/// `prefix` and `index` (`net3`), without the formatting machinery: every member of a
/// family set is named on every encoding.
fn member_name(prefix: &str, index: u32) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(index);
    let mut name = String::with_capacity(prefix.len() + digits.len());
    name.push_str(prefix);
    name.push_str(digits);
    name
}

#[cfg(test)]
mod tests {
    use super::Encode;
    use serde_json::json;

    #[test]
    fn members_are_named_by_their_index() {
        assert_eq!(super::member_name("net", 0), "net0");
        assert_eq!(super::member_name("scsi", 30), "scsi30");
        assert_eq!(super::member_name("", 1_000_000), "1000000");
        assert_eq!(super::member_name("x", u32::MAX), format!("x{}", u32::MAX));
    }

    #[test]
    fn whole_numbers_encode_without_a_fraction() {
        assert_eq!(2.0f64.encode(), json!(2));
        assert_eq!((-3.0f64).encode(), json!(-3));
        assert_eq!(0.5f64.encode(), json!(0.5));
        assert_eq!(1e300f64.encode(), json!(1e300));
        assert_eq!(f64::NAN.encode(), json!("NaN"));
        assert_eq!(f64::INFINITY.encode(), json!("inf"));
    }
}
