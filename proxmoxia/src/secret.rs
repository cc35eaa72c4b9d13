//! [`Secret`]: a string that never shows itself.

use std::fmt;

/// A secret string: never shown by `Debug`, never logged. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself; use it only to put it on the wire or into protected storage.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Serialises as the plain string: only for deliberate export (e.g. a session cache).
impl serde_core::Serialize for Secret {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde_core::Deserialize<'de> for Secret {
    fn deserialize<D: serde_core::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Secret, D::Error> {
        <String as serde_core::Deserialize>::deserialize(d).map(Secret)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_owned())
    }
}
