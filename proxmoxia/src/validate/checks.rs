//! The catalogue's checks ([`Method::check`], [`Rule::check`], ...): written here, beside
//! the checking, so that the catalogue stays data that validation reads.

use serde_json::{Map, Value};

use super::{At, Scope};
use crate::catalog::{Format, Method, Rule};
use crate::error::Result;

impl Method {
    /// Checks parameters given as PVE reads them (the path's among them, by name; values as
    /// JSON or as text) against the widest rules: what a call of any vendored version would
    /// be refused for, the first failure in PVE's order, as [`crate::Error::Validation`].
    /// Names the method does not know are left alone.
    pub fn check(&self, params: &Map<String, Value>) -> Result<()> {
        super::params(params, self.params, At::WIDEST, Scope::All)
    }

    /// Checks the parameters of the query or body (the path's come from the path: check
    /// them with [`check_path`](Method::check_path)) against the widest rules, as a typed
    /// request does before sending.
    pub fn check_body(&self, params: &Map<String, Value>) -> Result<()> {
        super::params(params, self.params, At::WIDEST, Scope::Body)
    }

    /// [`check`](Method::check) against the rules of the vendored version at `index` of
    /// [`versions()`](crate::catalog::versions): its own enum values, keys and ranges;
    /// parameters it lacks are left alone.
    pub fn check_at(&self, params: &Map<String, Value>, index: usize) -> Result<()> {
        super::params(params, self.params, At::version(index), Scope::All)
    }

    /// Checks the path parameters of a concrete path (relative to the API root, escaped, as
    /// [`Request::api_path`](crate::typed::Request::api_path) gives it) against the rules of
    /// this method's path template.
    pub fn check_path(&self, path: &str) -> Result<()> {
        super::path_params(self.path, path, self.params, At::WIDEST)
    }
}

impl Rule {
    /// Checks one value (as JSON, or as text as PVE reads it) as PVE checks it: its type,
    /// format, pattern, length, range and enumeration; errors name it `name`.
    pub fn check(&self, name: &str, value: &Value) -> Result<()> {
        super::value(name, value, self, At::WIDEST)
    }
}

impl Format {
    /// Why `text` is not of PVE's named format `format` (`pve-vmid`, `mac-addr`, a `-list`
    /// of one), in PVE's words; `None` when it is, or when the client does not check that
    /// format.
    pub fn check_named(format: &str, text: &str) -> Option<String> {
        super::formats::check(format, text)
    }
}
