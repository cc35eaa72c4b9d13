//! The one error type of the crate, and the detail types it carries.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::upid::{InvalidUpid, Upid};

/// Everything that can go wrong talking to PVE.
///
/// Variants carry enough to act on: the HTTP status and PVE's per-parameter messages, whether
/// a retry is safe, the raw body that failed to decode. Nothing here ever holds a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PVE answered with an HTTP error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Logging in failed, or the client has no usable credentials.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The TLS handshake failed: certificate not trusted, fingerprint mismatch, ...
    #[error("TLS error talking to {url}: {message}")]
    Tls {
        /// The URL being requested (secret parameters shown as `***`).
        url: String,
        /// What the TLS layer said (the deepest cause).
        message: String,
        /// The error chain down to the TLS layer's own error (without the URL).
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The request did not get an answer: connection refused or reset, DNS, timeout.
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// The answer arrived but is not what was expected.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// A parameter broke a rule of the schema; nothing was sent.
    #[error(transparent)]
    Validation(Box<ValidationError>),
    /// A PVE task ended with an error.
    #[error(transparent)]
    Task(Box<TaskFailed>),
    /// Waiting for a task took longer than allowed. The task may still be running.
    #[error("task {upid} still running after {waited:?}")]
    TaskTimeout {
        /// The task waited for.
        upid: Box<Upid>,
        /// How long the client waited.
        waited: Duration,
    },
    /// The call uses a method, parameter, value or key that the cluster's PVE version lacks;
    /// nothing was sent. See [`Unsupported`].
    #[error(transparent)]
    Unsupported(Box<Unsupported>),
    /// The client was configured with something unusable (bad URL, CA file, fingerprint, ...).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// Parameters could not be turned into a request (e.g. a nested object where PVE wants a
    /// scalar).
    #[error("cannot encode parameter {name}: {reason}")]
    Encode {
        /// The parameter (empty when the whole value is at fault).
        name: String,
        /// Why it cannot be sent.
        reason: String,
    },
}

impl Error {
    /// The HTTP status PVE answered with, if this is an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            _ => None,
        }
    }

    /// PVE's message for one parameter, if this is an API error naming it.
    pub fn param_error(&self, name: &str) -> Option<&str> {
        match self {
            Error::Api(e) => e.errors.get(name).map(String::as_str),
            _ => None,
        }
    }

    /// True when repeating the same request cannot do harm: nothing reached PVE, or the
    /// request was a read.
    pub fn is_retry_safe(&self) -> bool {
        match self {
            Error::Transport(t) => t.retry_safe,
            Error::Tls { .. } => false,
            Error::Api(e) => matches!(e.status, 502..=504 | 595..=596) && e.method == "GET",
            _ => false,
        }
    }

    pub(crate) fn decode(
        message: impl Into<String>,
        path: impl Into<String>,
        body: impl Into<String>,
    ) -> Error {
        Error::Decode(Box::new(DecodeError {
            message: message.into(),
            path: path.into(),
            body: body.into(),
        }))
    }
}

/// Something a typed call uses that the cluster's PVE version does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{item} is not in PVE {cluster} (the cluster's version, checked against the schema of PVE {checked_against}); PVE {} {} it. Nothing was sent.",
    versions.join(", "),
    if versions.len() == 1 { "has" } else { "have" }
)]
#[non_exhaustive]
pub struct Unsupported {
    /// What is missing: `POST /cluster/bulk-action/guest/start`, `` parameter `audiences` of
    /// POST /access/domains ``, `` value `x` of parameter `y` of ... ``.
    pub item: String,
    /// The vendored versions that have it.
    pub versions: Vec<String>,
    /// The cluster's version.
    pub cluster: String,
    /// The vendored version whose schema the cluster's was checked against.
    pub checked_against: String,
}

/// An HTTP error answer from PVE.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP method of the request.
    pub method: String,
    /// API path of the request (relative to `/api2/json`).
    pub path: String,
    /// HTTP status code (PVE uses 595/596 for unreachable nodes).
    pub status: u16,
    /// Reason phrase from the status line (PVE puts its message there).
    pub reason: String,
    /// PVE's `message`, trimmed; falls back to the reason phrase.
    pub message: String,
    /// PVE's per-parameter `errors` map (`net0` -> `invalid format - ...`).
    pub errors: BTreeMap<String, String>,
    /// The raw response body, as text: its first 64 KiB at most, secret values of the
    /// request shown as `***`.
    pub body: String,
}

impl ApiError {
    /// True when PVE says the addressed object does not exist. PVE answers that with a 500
    /// and a message such as `Configuration file 'nodes/pve1/qemu-server/100.conf' does not
    /// exist`; this recognises the common forms so callers need not parse messages.
    pub fn is_not_found(&self) -> bool {
        if self.status == 404 {
            return true;
        }
        let m = self.message.to_ascii_lowercase();
        self.status == 500
            && (m.contains("does not exist")
                || m.contains("no such")
                || m.contains("not found")
                || m.contains("unable to find"))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self.message.trim_end().trim_end_matches('.');
        if self.errors.is_empty() {
            write!(f, "{message}")?;
        } else {
            write!(f, "{message}:")?;
            for (i, (name, text)) in self.errors.iter().enumerate() {
                let sep = if i == 0 { " " } else { "; " };
                write!(f, "{sep}{name}: {}", text.trim_end())?;
            }
        }
        write!(
            f,
            " (HTTP {} on {} {})",
            self.status, self.method, self.path
        )
    }
}

impl std::error::Error for ApiError {}

/// Why logging in or staying logged in failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// PVE refused the user name, password, second factor or API token.
    #[error("authentication failed for {user}: {message}")]
    Rejected {
        /// The user (or token id) that was refused.
        user: String,
        /// PVE's message.
        message: String,
    },
    /// The account needs a second factor: use [`Client::start_login`](crate::Client::start_login)
    /// and [`Client::finish_tfa`](crate::Client::finish_tfa).
    #[error("{user} needs a second factor (TFA): use start_login and finish_tfa")]
    TfaRequired {
        /// The user logging in.
        user: String,
    },
    /// The ticket expired or was revoked, and the client holds no password to log in again.
    #[error("the PVE ticket of {user} is no longer valid and cannot be renewed: {message}")]
    TicketExpired {
        /// The ticket's user.
        user: String,
        /// What happened.
        message: String,
    },
    /// A request needs authentication but the client has neither a ticket nor an API token.
    #[error("not logged in: call Client::login or configure an API token")]
    NotLoggedIn,
    /// The answer to a login request was not understood.
    #[error("unexpected login answer: {0}")]
    BadAnswer(String),
}

/// A request that did not get an answer.
#[derive(Debug, thiserror::Error)]
#[error("{kind} on {method} {url}: {message}{}", if *retry_safe { " (safe to retry)" } else { "" })]
#[non_exhaustive]
pub struct TransportError {
    /// What failed.
    pub kind: TransportErrorKind,
    /// HTTP method.
    pub method: String,
    /// Full URL, secret parameters of the query shown as `***`.
    pub url: String,
    /// The underlying error, flattened to text.
    pub message: String,
    /// True when the request certainly did not reach PVE, or is a read.
    pub retry_safe: bool,
    #[source]
    pub(crate) source: Option<reqwest::Error>,
}

/// The kind of a [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect (refused, unreachable, DNS).
    Connect,
    /// Connecting took longer than the connect timeout.
    ConnectTimeout,
    /// The whole request took longer than the request timeout.
    Timeout,
    /// The connection broke while sending or receiving.
    Io,
    /// The answer is larger than [`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)
    /// allows; the rest was not read.
    BodyTooLarge,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::ConnectTimeout => "connect timed out",
            TransportErrorKind::Timeout => "request timed out",
            TransportErrorKind::Io => "connection error",
            TransportErrorKind::BodyTooLarge => "answer too large",
        })
    }
}

/// An answer that could not be decoded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot decode answer at {path}: {message}")]
#[non_exhaustive]
pub struct DecodeError {
    /// What was wrong.
    pub message: String,
    /// JSON path of the offending value (`data[3].vmid`), or `body` for the whole body.
    pub path: String,
    /// The raw response body.
    pub body: String,
}

/// A parameter that broke a schema rule; the request was not sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid parameter {param}: {message} ({rule})")]
#[non_exhaustive]
pub struct ValidationError {
    /// The parameter, with the sub-key for property strings (`net0.bridge`).
    pub param: String,
    /// The rule broken (`maximum`, `enum`, `pattern`, `format pve-vmid`, ...).
    pub rule: String,
    /// A human-readable explanation.
    pub message: String,
}

/// A task that ended with something other than `OK` or `WARNINGS`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("task {upid} failed: {exitstatus}")]
#[non_exhaustive]
pub struct TaskFailed {
    /// The task.
    pub upid: Upid,
    /// PVE's exit status (the text after `TASK ERROR:` in the log).
    pub exitstatus: String,
}

impl From<InvalidUpid> for Error {
    fn from(e: InvalidUpid) -> Error {
        Error::decode(format!("invalid UPID ({})", e.reason()), "upid", e.text())
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
