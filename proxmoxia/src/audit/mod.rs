//! The answer audit (`audit` feature): how well the typed API reads *your* cluster's answers.
//!
//! The typed answers are generated from PVE's schema, corrected where PVE's code or recorded
//! answers show that real servers send something else (`apidoc/supplement.json`). A cluster
//! may still send what neither knows: a field of a newer PVE or of a plugin, an enum value,
//! a property-string key. [`Client::audit_answers`] finds these on a live cluster, read-only:
//!
//! * it calls every GET method that needs no parameter (beyond its path) and that the
//!   cluster's PVE version has — and, for the paths under a node, a VM, a container or a
//!   storage, the first few ids the cluster lists (`/nodes`, `/nodes/{node}/qemu`,
//!   `/nodes/{node}/lxc`, `/nodes/{node}/storage`, `/storage`; [`AuditOptions::sample`]
//!   of each); nothing but `GET` is ever sent, and GETs that do not answer JSON (console
//!   websockets, file downloads) are left out;
//! * it decodes each answer into the method's typed `Response` and reports, per path, a
//!   failure with its JSON path, or what the typed answer does not know: fields kept in a
//!   struct's `extra`, unknown property-string keys, `Unrecognized` enum values, property
//!   strings that could not be read, each at its place (`data[].uptime`, once for all items
//!   of a list); an HTTP error (a path the user may not read, 403; a method the cluster
//!   lacks, 501) is reported as such.
//!
//! The report ([`AuditReport::to_json`]) holds no secret: no answer's values, except the
//! values of unknown parts when asked for ([`AuditOptions::values`]), and never those of a
//! field named like a secret (`password`, `ticket`, `token`, `key`, `secret`, ...). It is
//! made to be attached to a bug report. The `proxmoxia audit-answers` command prints it.
//!
//! ```no_run
//! # async fn demo(client: proxmoxia::Client) -> proxmoxia::Result<()> {
//! use proxmoxia::audit::{AuditOptions, Outcome};
//!
//! let report = client.audit_answers(&AuditOptions::new().sample(1)).await?;
//! println!("{} paths, {} fields unknown", report.counts.paths_called, report.counts.unknown_fields);
//! for path in &report.paths {
//!     if let Outcome::DecodeFailure { at, message } = &path.outcome {
//!         eprintln!("{}: {at}: {message}", path.path);
//!     }
//! }
//! std::fs::write("audit.json", serde_json::to_string_pretty(&report).unwrap_or_default())
//!     .ok();
//! # Ok(()) }
//! ```
//!
//! On the embedded fake (`mock` feature) it runs without a cluster:
//!
//! ```
//! # #[cfg(feature = "mock")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> proxmoxia::Result<()> {
//! let pve = proxmoxia::mock::MockPve::start().await?;
//! let client = pve.login().await?;
//! let report = client.audit_answers(&Default::default()).await?;
//! assert_eq!(report.counts.decode_failures, 0);
//! assert!(pve.requests().iter().all(|(method, path)| method == "GET" || path == "/access/ticket"));
//! # Ok(()) }
//! # #[cfg(not(feature = "mock"))]
//! # fn main() {}
//! ```

mod report;
mod sweep;

use crate::Client;
use crate::error::Result;
use crate::typed::{Endpoint, Extras, Unknowns};

pub use crate::typed::{UnknownField, UnknownKind};
pub use report::{AuditCounts, AuditReport, Outcome, PathAudit, Skipped};

/// How to audit: how many ids of each kind, whether to show values, which paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    sample: usize,
    values: bool,
    only: Option<String>,
}

impl Default for AuditOptions {
    fn default() -> AuditOptions {
        AuditOptions {
            sample: 2,
            values: false,
            only: None,
        }
    }
}

impl AuditOptions {
    /// Two of each id, no values, every path.
    pub fn new() -> AuditOptions {
        AuditOptions::default()
    }

    /// How many nodes, and on each of them how many VMs, containers and storages, the
    /// per-node, per-guest and per-storage paths are called for (default 2; the first ones
    /// listed, online nodes first, by name or id).
    pub fn sample(mut self, ids: usize) -> AuditOptions {
        self.sample = ids;
        self
    }

    /// Shows the values of the unknown parts found (default: not), except those of parts
    /// named like a secret (see [`UnknownField::values`]). A value may still be something
    /// you would rather not share (a host name, an address): look before attaching it.
    pub fn values(mut self, show: bool) -> AuditOptions {
        self.values = show;
        self
    }

    /// Only the paths under `prefix`: a path (`/nodes/pve1/qemu/100`) or a template
    /// (`/nodes/{node}/qemu`); the last segment may be cut short (`/cluster/res`). The
    /// listings the sample needs and `/version` are called (and reported) all the same.
    pub fn only(mut self, prefix: impl Into<String>) -> AuditOptions {
        let prefix = prefix.into();
        self.only = Some(format!("/{}", prefix.trim_start_matches('/')));
        self
    }

    /// The number of ids of each kind ([`sample`](AuditOptions::sample)).
    pub fn sample_size(&self) -> usize {
        self.sample
    }

    /// Whether values are shown ([`values`](AuditOptions::values)).
    pub fn shows_values(&self) -> bool {
        self.values
    }

    /// The path prefix, if any ([`only`](AuditOptions::only)).
    pub fn prefix(&self) -> Option<&str> {
        self.only.as_deref()
    }
}

impl Client {
    /// Audits how the typed API reads this cluster's answers (see [`crate::audit`]): calls
    /// every parameter-free GET, and those of a few nodes, guests and storages, and reports
    /// per path what failed to decode and what the typed answer does not know. Only `GET`
    /// is sent. An HTTP error of one path is part of the report; `Err` only when the sweep
    /// cannot run (`GET /version` fails: no connection, no login).
    pub async fn audit_answers(&self, options: &AuditOptions) -> Result<AuditReport> {
        sweep::run(self, options).await
    }
}

/// A GET method and its answer's decoder: one per GET of the API, in
/// `crate::api::AUDIT`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The method in the catalogue.
    pub info: &'static crate::catalog::Method,
    /// Decodes an answer's body into the typed `Response` and lists what that does not know
    /// (places rooted at `data`; with their values if the flag is set).
    pub check: fn(&[u8], bool) -> Result<Vec<UnknownField>>,
}

/// The [`Entry`] of endpoint `E`.
#[doc(hidden)]
pub const fn entry<E: Endpoint>() -> Entry
where
    E::Response: Extras,
{
    Entry {
        info: E::CATALOG,
        check: check::<E>,
    }
}

/// `E`'s typed answer from `body`, and what it does not know.
fn check<E: Endpoint>(body: &[u8], values: bool) -> Result<Vec<UnknownField>>
where
    E::Response: Extras,
{
    let answer: E::Response = crate::decode::data(body)?;
    let mut found = Unknowns::new("data", values);
    found.add(&answer);
    Ok(found.into_vec())
}
