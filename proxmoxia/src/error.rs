//! The one error type of the crate, and the detail types it carries.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::upid::{InvalidUpid, Upid};

mod kind;
mod retry_safety;

pub use kind::ErrorKind;

/// Everything that can go wrong talking to PVE.
///
/// Variants carry enough to act on: the HTTP status and PVE's per-parameter messages, whether
/// a retry is safe, the raw body that failed to decode. Nothing here ever holds a secret.
/// [`kind`](Error::kind) says what the failure means whatever the variant, and the message
/// ([`Display`](std::fmt::Display)) ends by saying, in words, whether repeating the request
/// is safe ([`is_retry_safe`](Error::is_retry_safe)).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// PVE answered with an HTTP error status.
    Api(Box<ApiError>),
    /// Logging in failed, or the client has no usable credentials.
    Auth(AuthError),
    /// The TLS handshake failed (certificate not trusted, fingerprint mismatch, ...): nothing
    /// was sent. A TLS failure after the handshake, once the request may have gone out, is a
    /// [`TransportError`] of kind [`TransportErrorKind::Tls`].
    Tls {
        /// The URL being requested (secret parameters shown as `***`).
        url: String,
        /// What the TLS layer said (the deepest cause).
        message: String,
        /// The error chain down to the TLS layer's own error (without the URL).
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The request did not get an answer: connection refused or reset, DNS, timeout.
    Transport(Box<TransportError>),
    /// The answer arrived but is not what was expected.
    Decode(Box<DecodeError>),
    /// A parameter broke a rule of the schema; nothing was sent.
    Validation(Box<ValidationError>),
    /// A PVE task ended with an error.
    Task(Box<TaskFailed>),
    /// Waiting for a task took longer than allowed. The task may still be running.
    TaskTimeout {
        /// The task waited for.
        upid: Box<Upid>,
        /// How long the client waited.
        waited: Duration,
    },
    /// The call uses a method, parameter, value or key that the cluster's PVE version lacks;
    /// nothing was sent. See [`Unsupported`].
    Unsupported(Box<Unsupported>),
    /// The client was configured with something unusable (bad URL, CA file, fingerprint, ...).
    Config(String),
    /// Reading or writing a local file or stream failed: an upload's source, a download's
    /// target.
    Io {
        /// What was being done (`cannot write /tmp/x.iso`).
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A call of the blocking client (`proxmoxia::blocking`, feature `blocking`) could not
    /// block: it was made inside an async runtime (use the async [`Client`](crate::Client)
    /// there), or its runtime is gone.
    Blocking(String),
    /// A console (a terminal or a VNC tunnel, feature `console`) could not be opened, or its
    /// socket closed. See [`ConsoleError`].
    Console(Box<ConsoleError>),
    /// Parameters could not be turned into a request (e.g. a nested object where PVE wants a
    /// scalar).
    Encode {
        /// The parameter (empty when the whole value is at fault).
        name: String,
        /// Why it cannot be sent.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => write!(f, "{e}")?,
            Error::Auth(e) => write!(f, "{e}")?,
            Error::Tls { url, message, .. } => write!(f, "TLS error talking to {url}: {message}")?,
            Error::Transport(e) => write!(f, "{e}")?,
            Error::Decode(e) => write!(f, "{e}")?,
            Error::Validation(e) => write!(f, "{e}")?,
            Error::Task(e) => write!(f, "{e}")?,
            Error::TaskTimeout { upid, waited } => {
                write!(f, "task {upid} still running after {waited:?}")?
            }
            // Its message already says that nothing was sent.
            Error::Unsupported(e) => return write!(f, "{e}"),
            Error::Config(message) => write!(f, "invalid client configuration: {message}")?,
            Error::Io { context, source } => write!(f, "{context}: {source}")?,
            Error::Blocking(message) => write!(f, "blocking client: {message}")?,
            Error::Console(e) => write!(f, "{e}")?,
            Error::Encode { name, reason } => {
                write!(f, "cannot encode parameter {name}: {reason}")?
            }
        }
        write!(f, " ({})", retry_safety::advice(self))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The wrapped errors' own causes: their text is this error's text already.
        match self {
            Error::Transport(e) => std::error::Error::source(&**e),
            Error::Tls { source, .. } => source.as_deref().map(|e| e as _),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Error {
        Error::Auth(e)
    }
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

    /// What the failure means, whatever the variant: PVE's answers are classified from their
    /// HTTP status and PVE's own wording (a 500 "can't lock file ... got timeout" is
    /// [`ErrorKind::Locked`]), a failed task from its exit status the same way.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Api(e) => e.kind(),
            Error::Auth(AuthError::Rejected { .. } | AuthError::TfaRequired { .. }) => {
                ErrorKind::AuthFailed
            }
            Error::Auth(AuthError::BadAnswer(_)) => ErrorKind::Decode,
            Error::Auth(_) => ErrorKind::AuthExpired,
            Error::Tls { .. } => ErrorKind::Tls,
            Error::Transport(t) => match t.kind {
                TransportErrorKind::Connect | TransportErrorKind::ConnectTimeout => {
                    ErrorKind::Connect
                }
                TransportErrorKind::Timeout => ErrorKind::Timeout,
                TransportErrorKind::Io => ErrorKind::Disconnected,
                TransportErrorKind::Tls => ErrorKind::Tls,
                // The answer came but cannot be used.
                TransportErrorKind::BodyTooLarge => ErrorKind::Decode,
            },
            Error::Decode(_) => ErrorKind::Decode,
            Error::Validation(_) | Error::Encode { .. } => ErrorKind::Validation,
            Error::Task(t) => t.kind(),
            Error::TaskTimeout { .. } => ErrorKind::Timeout,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Console(e) => e.kind(),
            Error::Config(_) | Error::Io { .. } | Error::Blocking(_) => ErrorKind::Other,
        }
    }

    /// True when sending the same request again cannot do harm. The rule, for every variant:
    ///
    /// * **safe** when nothing reached PVE (validation, encoding, configuration, unsupported,
    ///   a failed TLS handshake, connection failures, a request refused for its credentials,
    ///   parameters that could not be read from JSON);
    /// * **safe** when the request was a read (`GET`, `HEAD`), whatever happened;
    /// * **safe** when PVE refused before acting: a 4xx, 501 or 595 answer, or a 500 that
    ///   names a held lock, lost quorum, a missing or existing object (kinds
    ///   [`Locked`](ErrorKind::Locked), [`NoQuorum`](ErrorKind::NoQuorum), ...); a task that
    ///   failed on its lock or quorum did not change anything either;
    /// * **unsafe** for a write whose fate is unknown: timed out, dropped or broken by the
    ///   TLS layer after it may have been sent, a proxy that gave up (596, 502-504), any
    ///   other 500 (PVE may have done part of it), a successful answer that could not be
    ///   used (too large, not decodable: PVE did it), any other failed task, and waiting for
    ///   a task that is still running.
    ///
    /// The message of the error says which, in words, and
    /// [`TransportError::retry_safe`] is this rule's answer too.
    pub fn is_retry_safe(&self) -> bool {
        retry_safety::safety(self).is_safe()
    }

    /// A decode error of something no request answered (parameters read from JSON, a
    /// UPID's text); [`answering`](Error::answering) says which request's answer it was.
    pub(crate) fn decode(
        message: impl Into<String>,
        path: impl Into<String>,
        body: impl Into<String>,
    ) -> Error {
        Error::Decode(Box::new(DecodeError {
            message: message.into(),
            path: path.into(),
            body: body.into(),
            method: String::new(),
        }))
    }

    /// This error, if it is a decode error of no request yet, as one of the answer to a
    /// `method` request (which decides whether repeating it is safe).
    pub(crate) fn answering(mut self, method: &str) -> Error {
        if let Error::Decode(d) = &mut self
            && d.method.is_empty()
        {
            d.method = method.to_owned();
        }
        self
    }

    /// A transport error; its `retry_safe` is the one rule's answer.
    pub(crate) fn transport(
        kind: TransportErrorKind,
        method: &str,
        url: &str,
        message: String,
        source: Option<reqwest::Error>,
    ) -> Error {
        let mut err = Error::Transport(Box::new(TransportError {
            kind,
            method: method.to_owned(),
            url: url.to_owned(),
            message,
            retry_safe: false,
            source,
        }));
        let safe = err.is_retry_safe();
        if let Error::Transport(t) = &mut err {
            t.retry_safe = safe;
        }
        err
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
        self.kind() == ErrorKind::NotFound
    }

    /// What the answer means, from its status and PVE's wording (see [`Error::kind`]).
    pub fn kind(&self) -> ErrorKind {
        kind::of_answer(self.status, &self.message)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut message = self.message.trim_end().trim_end_matches('.');
        if message.is_empty() {
            // No message and no usable reason phrase: the status's standard text.
            message = reqwest::StatusCode::from_u16(self.status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("PVE answered with an error");
        }
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
#[error("{kind} on {method} {url}: {message}")]
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
    /// What [`Error::is_retry_safe`] says of this error: true when the request certainly did
    /// not reach PVE, or is a read.
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
    /// The TLS layer failed after the handshake (a record that does not decrypt, an alert),
    /// once the request may have been sent. (A failed handshake is [`Error::Tls`].)
    Tls,
    /// The answer is larger than [`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)
    /// or holds more JSON values than
    /// [`ClientBuilder::max_answer_values`](crate::ClientBuilder::max_answer_values) allows;
    /// the rest was not read, nothing was decoded.
    BodyTooLarge,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::ConnectTimeout => "connect timed out",
            TransportErrorKind::Timeout => "request timed out",
            TransportErrorKind::Io => "connection error",
            TransportErrorKind::Tls => "TLS error",
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
    /// The HTTP method of the request whose answer this is (`GET`, `POST`, ...); empty when
    /// no request was made (parameters read from JSON, a UPID's text).
    pub method: String,
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

impl TaskFailed {
    /// What the failure means, from PVE's exit status (`can't lock file ... got timeout` is
    /// [`ErrorKind::Locked`]); [`ErrorKind::TaskFailed`] when the wording names no kind.
    pub fn kind(&self) -> ErrorKind {
        kind::of_exit_status(&self.exitstatus)
    }
}

/// Why a console (a terminal or a VNC tunnel) could not be opened, or ended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// The client authenticates with an API token, which the cluster's PVE version does not
    /// accept for terminals: its `termproxy` checks the session's ticket as a user name, and a
    /// token's id (`user@realm!token`) is none. Nothing was opened.
    #[error(
        "API token {token} cannot open a terminal on PVE {cluster}: its termproxy accepts only a user's ticket (PVE {} accept{} tokens there). Log in with a user and password for a console",
        accepted_by.join(", "),
        if accepted_by.len() == 1 { "s" } else { "" }
    )]
    TokenRefused {
        /// The token's id (`root@pam!ci`).
        token: String,
        /// The cluster's PVE version.
        cluster: String,
        /// The vendored PVE versions that accept tokens for terminals.
        accepted_by: Vec<String>,
    },
    /// PVE refused the websocket upgrade of `vncwebsocket` with an HTTP error (an invalid or
    /// expired console ticket, a missing permission, ...).
    #[error("PVE refused the console's websocket: {message} (HTTP {status} on GET {path})")]
    UpgradeRefused {
        /// The API path of the upgrade (`nodes/pve1/qemu/100/vncwebsocket`).
        path: String,
        /// The HTTP status.
        status: u16,
        /// PVE's message.
        message: String,
    },
    /// The console's socket closed: before the session was set up (`termproxy` refused the
    /// session's ticket, or its command ended at once), or while it was used.
    #[error("the console's socket closed {when}: {reason}")]
    Closed {
        /// `before the terminal was ready`, `while writing`, ...
        when: String,
        /// What is known of why.
        reason: String,
    },
    /// The VNC security handshake failed: PVE's VNC server refused the tunnel's password, or
    /// a side (PVE, or the viewer of `console::VncViewer`) did not speak
    /// RFB as expected.
    #[error("the VNC handshake with {with} failed: {reason}")]
    VncHandshake {
        /// `PVE` or `the viewer`.
        with: String,
        /// What went wrong (PVE's reason when it gives one).
        reason: String,
    },
    /// The VM has no serial port for a terminal (`serial0: socket` in its config): PVE's
    /// `qm terminal` refused with `message`.
    #[error("VM {vmid} has no serial port for a terminal: {message}")]
    NoSerialPort {
        /// The VM.
        vmid: u32,
        /// PVE's message (`unable to find a serial interface`).
        message: String,
    },
}

impl ConsoleError {
    /// What the failure means ([`Error::kind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            ConsoleError::TokenRefused { .. } => ErrorKind::Unsupported,
            ConsoleError::UpgradeRefused {
                status, message, ..
            } => kind::of_answer(*status, message),
            ConsoleError::Closed { .. } => ErrorKind::Disconnected,
            ConsoleError::VncHandshake { .. } => ErrorKind::AuthFailed,
            ConsoleError::NoSerialPort { .. } => ErrorKind::NotFound,
        }
    }
}

impl From<ConsoleError> for Error {
    fn from(e: ConsoleError) -> Error {
        Error::Console(Box::new(e))
    }
}

impl From<InvalidUpid> for Error {
    fn from(e: InvalidUpid) -> Error {
        Error::decode(format!("invalid UPID ({})", e.reason()), "upid", e.text())
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
