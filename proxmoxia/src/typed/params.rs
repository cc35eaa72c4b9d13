//! What every endpoint shares: the HTTP method, the [`Validate`] check of parameters (with
//! the rules of the catalogue, `crate::catalog`), parameters of none. No client here.

use std::fmt;

use serde_json::Value;

use crate::error::Result;
use crate::values::encode::Encode;

pub use crate::catalog::HttpMethod;

/// A string that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownVariant {
    value: String,
    allowed: &'static [&'static str],
}

impl UnknownVariant {
    #[doc(hidden)]
    pub fn new(value: &str, allowed: &'static [&'static str]) -> UnknownVariant {
        UnknownVariant {
            value: value.to_owned(),
            allowed,
        }
    }
}

impl fmt::Display for UnknownVariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not one of {}",
            self.value,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownVariant {}

/// Parameters a typed request checks before anything is sent.
pub trait Validate: Encode {
    /// The rules of the parameters: those of the method in the catalogue (path parameters,
    /// flagged, among them).
    #[doc(hidden)]
    const RULES: &'static [crate::catalog::Param] = &[];

    /// The parameters typed [`Secret`](crate::Secret), by wire name, each with whether it
    /// names an indexed family (`name0`, `name1`, ...): hidden wherever a form is shown.
    #[doc(hidden)]
    const SECRETS: &'static [(&'static str, bool)] = &[];

    /// `Ok` when every rule of the schema the client can decide holds.
    fn validate(&self) -> Result<()> {
        crate::validate::body(&self.encode(), Self::RULES)
    }
}

/// The parameters of an endpoint that takes none (beyond its path).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoParams;

impl NoParams {
    /// No parameters.
    pub fn new() -> NoParams {
        NoParams
    }
}

impl Encode for NoParams {
    fn encode(&self) -> Value {
        Value::Object(serde_json::Map::new())
    }
}

impl Validate for NoParams {}

impl serde_core::Serialize for NoParams {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        crate::__private::serialize(self, s)
    }
}

/// `{}` or `null`: any parameter is unknown.
impl<'de> serde_core::Deserialize<'de> for NoParams {
    fn deserialize<D: serde_core::Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<NoParams, D::Error> {
        crate::decode::params_deserialize(d)
    }
}

impl crate::decode::FromFields for NoParams {
    fn from_fields(_: &mut crate::decode::Fields) -> Option<NoParams> {
        Some(NoParams)
    }
}
