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

/// True when a parameter name looks like it carries a credential. Used for parameters no
/// schema describes (raw calls, extras); typed calls also mark the ones their schema types as
/// [`Secret`]. Errs on the side of hiding: a hidden harmless value costs little.
pub(crate) fn looks_secret(name: &str) -> bool {
    const PARTS: &[&str] = &[
        "password", "passwd", "secret", "ticket", "token", "csrf", "otp", "key", "hmac", "recovery",
    ];
    let name = name.to_ascii_lowercase();
    PARTS.iter().any(|part| name.contains(part))
}

/// What stands in for a secret value in URLs, forms and errors.
pub(crate) const REDACTED: &str = "***";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }

    #[test]
    fn names_that_look_secret() {
        for name in [
            "password",
            "cipassword",
            "vncticket",
            "CSRFPreventionToken",
            "eab-hmac-key",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["node", "vmid", "server", "username"] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}
