//! What the schema says of a method: its facts ([`EndpointInfo`]: HTTP method, path,
//! versions), its parameters' [`Validate`] rules, and the types every endpoint shares. No
//! client here: requests, the version guard and the mock all read this.

use std::fmt;

use serde_json::Value;

use crate::error::Result;
use crate::typed::encode::Encode;

/// An HTTP method of the PVE API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`: reads; parameters in the query string.
    Get,
    /// `POST`: creates or acts; parameters in the body.
    Post,
    /// `PUT`: changes; parameters in the body.
    Put,
    /// `DELETE`: removes; parameters in the query string.
    Delete,
}

impl HttpMethod {
    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }

    /// `GET`, `POST`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    /// The rules of the parameters, as the generator writes them.
    #[doc(hidden)]
    const RULES: &'static str = "[]";

    /// The parameters typed [`Secret`](crate::Secret), by wire name, each with whether it
    /// names an indexed family (`name0`, `name1`, ...): hidden wherever a form is shown.
    #[doc(hidden)]
    const SECRETS: &'static [(&'static str, bool)] = &[];

    /// `Ok` when every rule of the schema the client can decide holds.
    fn validate(&self) -> Result<()> {
        crate::validate::params_json(&self.encode(), Self::RULES)
    }
}

/// The facts of one endpoint ([`Endpoint::INFO`]).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct EndpointInfo {
    pub method: HttpMethod,
    pub path: &'static str,
    pub name: &'static str,
    pub suffix: &'static str,
    pub path_rules: &'static str,
    /// The versions that have the method: bit `i` is `labels[i]`.
    pub versions: u32,
    /// The vendored PVE versions (`crate::api::PVE_VERSIONS`), oldest first.
    pub labels: &'static [&'static str],
}

/// One method of the API, in `crate::api::ENDPOINTS`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct EndpointEntry {
    pub info: EndpointInfo,
    /// The rules of its parameters (`Validate::RULES`).
    pub rules: &'static str,
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
