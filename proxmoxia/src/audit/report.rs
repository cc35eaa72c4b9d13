//! What an audit found, and its JSON form.

use serde_json::{Map, Value, json};

use super::AuditOptions;
use crate::typed::UnknownField;

/// The outcome of an audit ([`Client::audit_answers`](crate::Client::audit_answers)).
/// [`to_json`](AuditReport::to_json) (or `serde`) gives the report to attach to a bug
/// report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AuditReport {
    /// This crate's version.
    pub client_version: &'static str,
    /// The vendored PVE schemas the typed API is generated from.
    pub schemas: &'static [&'static str],
    /// The cluster's PVE version, as `GET /version` answers it.
    pub pve_version: String,
    /// The vendored schema the sweep went by (which methods the cluster has, which
    /// parameters they require): the client's version if it was given one
    /// ([`ClientBuilder::pve_version`](crate::ClientBuilder::pve_version)), else the cluster's.
    pub schema: &'static str,
    /// How the sweep ran.
    pub options: AuditOptions,
    /// The outcomes, counted.
    pub counts: AuditCounts,
    /// The GET methods not called, by why.
    pub skipped: Skipped,
    /// One entry per path called, sorted by path.
    pub paths: Vec<PathAudit>,
}

/// The outcomes of an audit, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditCounts {
    /// Paths called (one `GET` each).
    pub paths_called: usize,
    /// Answers that decoded.
    pub ok: usize,
    /// Answers that did not.
    pub decode_failures: usize,
    /// Paths that answered with an HTTP error.
    pub http_errors: usize,
    /// Paths that got no answer (a connection or login failure, a body over the limit).
    pub errors: usize,
    /// Unknown parts found, each place of each path once.
    pub unknown_fields: usize,
    /// Paths whose answer has any.
    pub paths_with_unknown_fields: usize,
}

/// The GET methods of the API an audit did not call, by why (one count per method).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The cluster's PVE version lacks the method.
    pub not_in_version: usize,
    /// Its answer is not JSON (a console's websocket, a file download).
    pub not_json: usize,
    /// It requires a parameter besides its path's.
    pub needs_parameters: usize,
    /// Its path has a parameter other than a node, a VM or container id, a storage.
    pub path_parameters: usize,
    /// The cluster listed no id for its path (no containers, say), or their listing failed.
    pub no_ids: usize,
    /// Outside [`AuditOptions::only`].
    pub filtered: usize,
}

/// What one path answered.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PathAudit {
    /// The path called (`/nodes/pve1/qemu/100/config`).
    pub path: String,
    /// Its template (`/nodes/{node}/qemu/{vmid}/config`).
    pub template: &'static str,
    /// What it answered.
    pub outcome: Outcome,
    /// What the typed answer does not know (with [`Outcome::Ok`]), sorted by place.
    pub unknown: Vec<UnknownField>,
}

/// What one path answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The answer decoded into the typed `Response`.
    Ok,
    /// The answer did not decode: where (`data[1].maxmem`) and why.
    DecodeFailure {
        /// The JSON path of the value that failed.
        at: String,
        /// Why (not shown for a field named like a secret).
        message: String,
    },
    /// PVE answered with an HTTP error (403 for a path the user may not read, ...).
    HttpError {
        /// The status.
        status: u16,
        /// PVE's message.
        message: String,
    },
    /// No answer: the request failed (connection, login, a body over the limit).
    Error {
        /// What happened.
        message: String,
    },
}

impl Outcome {
    /// `ok`, `decode_failure`, `http_error` or `error`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::DecodeFailure { .. } => "decode_failure",
            Outcome::HttpError { .. } => "http_error",
            Outcome::Error { .. } => "error",
        }
    }
}

impl AuditCounts {
    /// The counts of `paths`.
    pub(super) fn of(paths: &[PathAudit]) -> AuditCounts {
        let mut counts = AuditCounts {
            paths_called: paths.len(),
            ..AuditCounts::default()
        };
        for path in paths {
            match path.outcome {
                Outcome::Ok => counts.ok += 1,
                Outcome::DecodeFailure { .. } => counts.decode_failures += 1,
                Outcome::HttpError { .. } => counts.http_errors += 1,
                Outcome::Error { .. } => counts.errors += 1,
            }
            counts.unknown_fields += path.unknown.len();
            counts.paths_with_unknown_fields += usize::from(!path.unknown.is_empty());
        }
        counts
    }
}

impl AuditReport {
    /// The report as JSON: `client` (version, schemas), `cluster` (version, the schema
    /// followed), `options`, `counts`, `skipped`, and `paths`, one object per path called
    /// with its `path`, `template` and `outcome` (`ok`, `decode_failure` with `at` and
    /// `message`, `http_error` with `status` and `message`, `error` with `message`), and
    /// `unknown`: the places its answer has that the typed answer does not know (`at`,
    /// `kind`, `count`, and `values` when asked for).
    pub fn to_json(&self) -> Value {
        let c = &self.counts;
        let s = &self.skipped;
        json!({
            "client": {
                "name": "proxmoxia",
                "version": self.client_version,
                "schemas": self.schemas,
            },
            "cluster": {"version": self.pve_version, "schema": self.schema},
            "options": {
                "sample": self.options.sample,
                "values": self.options.values,
                "only": self.options.only,
            },
            "counts": {
                "paths_called": c.paths_called,
                "ok": c.ok,
                "decode_failures": c.decode_failures,
                "http_errors": c.http_errors,
                "errors": c.errors,
                "unknown_fields": c.unknown_fields,
                "paths_with_unknown_fields": c.paths_with_unknown_fields,
            },
            "skipped": {
                "not_in_version": s.not_in_version,
                "not_json": s.not_json,
                "needs_parameters": s.needs_parameters,
                "path_parameters": s.path_parameters,
                "no_ids": s.no_ids,
                "filtered": s.filtered,
            },
            "paths": self.paths.iter().map(PathAudit::to_json).collect::<Vec<_>>(),
        })
    }
}

impl PathAudit {
    /// This path's entry of [`AuditReport::to_json`].
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("path".into(), json!(self.path));
        out.insert("template".into(), json!(self.template));
        out.insert("outcome".into(), json!(self.outcome.as_str()));
        match &self.outcome {
            Outcome::Ok => {}
            Outcome::DecodeFailure { at, message } => {
                out.insert("at".into(), json!(at));
                out.insert("message".into(), json!(message));
            }
            Outcome::HttpError { status, message } => {
                out.insert("status".into(), json!(status));
                out.insert("message".into(), json!(message));
            }
            Outcome::Error { message } => {
                out.insert("message".into(), json!(message));
            }
        }
        if !self.unknown.is_empty() {
            let unknown = self.unknown.iter().map(|u| {
                let mut item = json!({"at": u.at, "kind": u.kind.as_str(), "count": u.count});
                if !u.values.is_empty() {
                    item["values"] = json!(u.values);
                }
                item
            });
            out.insert("unknown".into(), unknown.collect());
        }
        Value::Object(out)
    }
}

/// The report's JSON ([`AuditReport::to_json`]).
impl serde_core::Serialize for AuditReport {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serde_core::Serialize::serialize(&self.to_json(), s)
    }
}
