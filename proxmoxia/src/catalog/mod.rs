//! The catalogue of the API: every method of every path with its parameters, their rules
//! and PVE's texts, and every property-string format, as the vendored PVE schemas (their
//! union) state them.
//!
//! This is the one definition of the schema's rules: the typed API validates with it, the
//! embedded fake (`mock`) refuses bad parameters with it and the `proxmoxia` command line
//! reads and checks its arguments with it. The generator writes it as constant tables of the
//! types here; nothing is parsed at run time (a pattern is compiled when first matched).
//!
//! ```
//! use proxmoxia::catalog;
//! use proxmoxia::typed::HttpMethod;
//!
//! let create = catalog::method(HttpMethod::Post, "/nodes/{node}/qemu").unwrap();
//! assert_eq!(create.name, "create_vm");
//! let memory = create.param("memory").unwrap();
//! assert!(memory.rule.optional);
//! // `net3` is a member of the family `net[n]`, a property string.
//! let net = create.param("net3").unwrap();
//! assert_eq!(net.display_name(), "net[n]");
//! assert!(matches!(net.rule.format, catalog::Format::Prop(f) if f.name == "QemuNet"));
//!
//! // Parameters as PVE reads them (the path's too), checked before anything is sent.
//! let params = serde_json::json!({"node": "pve1", "vmid": "99"});
//! let refused = create.check(params.as_object().unwrap()).unwrap_err();
//! assert_eq!(
//!     refused.to_string(),
//!     "invalid parameter vmid: invalid format - value does not look like a valid VM ID \
//!      (format pve-vmid) (nothing reached PVE: safe to retry)"
//! );
//! ```
//!
//! Versions: every item that not every vendored version has carries a mask over
//! [`versions()`] (bit `i` stands for `versions()[i]`); [`Method::check_at`] checks as one
//! version does.
//!
//! With the `schemas` feature, the vendored schemas themselves are here too (`schemas()`),
//! and each method's answer schema (`Method::answer_schema`): the answers' shapes, which the
//! catalogue's rules leave out.

mod method;
mod rule;
#[cfg(feature = "schemas")]
mod vendored;

pub use method::{HttpMethod, Method, Param, Permissions};
pub use rule::{Format, Pattern, PropFormat, PropKey, Rule, Ty};
#[cfg(feature = "schemas")]
pub use vendored::schemas;

pub(crate) use method::{bit, lookup};

/// Every method of the API, path by path (a path's methods in GET, POST, PUT, DELETE order).
pub fn methods() -> &'static [Method] {
    &crate::api::__catalog::METHODS
}

/// The method `method` of the path template `path` (`/nodes/{node}/qemu`).
pub fn method(method: HttpMethod, path: &str) -> Option<&'static Method> {
    methods()
        .iter()
        .find(|m| m.method == method && m.path == path)
}

/// The vendored PVE versions, oldest first: bit `i` of a version mask stands for
/// `versions()[i]`.
pub fn versions() -> &'static [&'static str] {
    crate::api::PVE_VERSIONS
}

/// Every property-string type of the typed API (`crate::api::formats`) by name, with its
/// format (names that are one type share one format).
pub fn formats() -> impl Iterator<Item = (&'static str, &'static PropFormat)> {
    crate::api::formats::ALL
        .iter()
        .map(|entry| (entry.name, (entry.format)()))
}
