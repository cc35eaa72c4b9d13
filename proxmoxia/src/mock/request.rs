//! One request as the fake's server hands it over and its handlers see it ([`Incoming`],
//! [`Ctx`]), and what they answer ([`Outcome`], [`Failure`], [`body`]).

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::paths::{MethodInfo, PathNode};

/// An error answer: HTTP status, PVE's message, and per-parameter messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) errors: Map<String, Value>,
    /// Not an answer yet: the request waits for a held config lock and is tried again.
    pub(crate) wait: bool,
}

impl Failure {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            errors: Map::new(),
            wait: false,
        }
    }

    /// PVE's 400 for parameters.
    pub(crate) fn params(errors: Map<String, Value>) -> Failure {
        Failure {
            status: 400,
            message: "Parameter verification failed.".into(),
            errors,
            wait: false,
        }
    }

    /// The request waits for a held config lock (see [`Outcome::Wait`]).
    pub(crate) fn lock_wait() -> Failure {
        Failure {
            wait: true,
            ..Failure::new(500, "waiting for the config lock")
        }
    }

    pub(crate) fn param(name: &str, message: impl Into<String>) -> Failure {
        let mut errors = Map::new();
        errors.insert(name.to_owned(), Value::String(message.into()));
        Failure::params(errors)
    }
}

/// What a handler gets to work with.
pub(crate) struct Ctx<'a> {
    pub(crate) method: &'a str,
    pub(crate) template: &'a str,
    /// Path parameters, then query/body parameters (as sent: strings, arrays of strings).
    pub(crate) params: Map<String, Value>,
    /// The authenticated user (`user@realm` or `user@realm!token`).
    pub(crate) user: String,
    /// Uploaded file: name and size.
    pub(crate) upload: Option<(String, u64)>,
    pub(crate) info: &'a MethodInfo,
    /// The schema's node of the path (for directory indexes).
    pub(crate) node: &'a PathNode,
    /// When the request came in (a lock wait counts from here).
    pub(crate) since: Instant,
}

impl Ctx<'_> {
    pub(crate) fn str(&self, key: &str) -> Option<&str> {
        self.params.get(key).and_then(Value::as_str)
    }

    pub(crate) fn node(&self) -> &str {
        self.str("node").unwrap_or("pve1")
    }

    pub(crate) fn vmid(&self) -> Option<u32> {
        self.str("vmid").and_then(|v| v.parse().ok())
    }

    pub(crate) fn flag(&self, key: &str) -> bool {
        self.str(key)
            .is_some_and(|v| matches!(v, "1" | "true" | "yes" | "on"))
    }
}

/// An incoming request, already split up by the server.
pub(crate) struct Incoming {
    pub(crate) method: String,
    /// The path under `/api2/json`, still escaped.
    pub(crate) path: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) cookie_ticket: Option<String>,
    pub(crate) csrf: Option<String>,
    pub(crate) token: Option<String>,
    pub(crate) upload: Option<(String, u64)>,
    /// When it came in.
    pub(crate) since: Instant,
}

/// What to answer: data, an error, or a fault that is not an answer.
pub(crate) enum Outcome {
    Answer(Result<Value, Failure>),
    Drop,
    Delay(std::time::Duration),
    /// A `text/html` error page.
    Page(u16, String),
    /// Waiting for a held config lock: ask again a little later ([`answer_now`]).
    Wait,
}

impl From<Result<Value, Failure>> for Outcome {
    fn from(result: Result<Value, Failure>) -> Outcome {
        match result {
            Err(f) if f.wait => Outcome::Wait,
            other => Outcome::Answer(other),
        }
    }
}

/// PVE's answer about a storage that is not there.
pub(crate) fn storage_missing(name: &str) -> Failure {
    Failure::new(500, format!("storage '{name}' does not exist"))
}

/// The `{"data": ...}` body of an answer, and the error body.
pub(crate) fn body(result: &Result<Value, Failure>) -> (u16, String, Vec<u8>) {
    match result {
        Ok(data) => (
            200,
            "OK".into(),
            json!({ "data": data }).to_string().into_bytes(),
        ),
        Err(f) => {
            let mut body = json!({"data": null, "message": format!("{}\n", f.message)});
            if !f.errors.is_empty() {
                body["errors"] = Value::Object(f.errors.clone());
            }
            let reason = f
                .message
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            (f.status, reason, body.to_string().into_bytes())
        }
    }
}
