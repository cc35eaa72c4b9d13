//! Whether repeating a failed request is safe: one rule for every [`Error`], and its words.

use super::{AuthError, ConsoleError, Error, ErrorKind, TransportErrorKind};

/// Why a retry is safe, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Safety {
    /// Nothing reached PVE.
    NothingSent,
    /// The request was a read.
    Read,
    /// PVE refused before acting.
    Refused,
    /// A write that may have been carried out, in part or whole.
    Unknown,
    /// PVE carried out the write (its successful answer could not be used).
    Done,
    /// A task failed after it started to work.
    TaskFailed,
    /// A task still runs.
    StillRunning,
}

impl Safety {
    pub(crate) fn is_safe(self) -> bool {
        matches!(self, Safety::NothingSent | Safety::Read | Safety::Refused)
    }
}

/// The retry safety of an error (the rule is documented on [`Error::is_retry_safe`]).
pub(crate) fn safety(err: &Error) -> Safety {
    match err {
        Error::Validation(_)
        | Error::Encode { .. }
        | Error::Config(_)
        | Error::Unsupported(_)
        | Error::Blocking(_)
        | Error::Tls { .. } => Safety::NothingSent,
        // A local file failed while an upload or a download was under way: what reached PVE
        // is not known here.
        Error::Io { .. } => Safety::Unknown,
        // Logins change nothing, and a refused ticket is refused before anything runs.
        Error::Auth(AuthError::NotLoggedIn) => Safety::NothingSent,
        Error::Auth(_) => Safety::Refused,
        // Only a connection that never opened, or a failed TLS handshake (`Error::Tls`), is
        // known to have sent nothing; once the request may have been written, a TLS failure
        // is a broken connection like any other.
        Error::Transport(t) => match t.kind {
            TransportErrorKind::Connect | TransportErrorKind::ConnectTimeout => Safety::NothingSent,
            _ if is_read(&t.method) => Safety::Read,
            // A successful answer began: PVE did it.
            TransportErrorKind::BodyTooLarge => Safety::Done,
            _ => Safety::Unknown,
        },
        Error::Api(e) if is_read(&e.method) => Safety::Read,
        Error::Api(e) if e.kind().is_refusal() => Safety::Refused,
        Error::Api(_) => Safety::Unknown,
        // No request: parameters or a UPID read from text.
        Error::Decode(d) if d.method.is_empty() => Safety::NothingSent,
        Error::Decode(d) if is_read(&d.method) => Safety::Read,
        Error::Decode(_) => Safety::Done,
        // A task takes its lock, and needs quorum, before it does anything.
        Error::Task(t) if matches!(t.kind(), ErrorKind::Locked | ErrorKind::NoQuorum) => {
            Safety::Refused
        }
        Error::Task(_) => Safety::TaskFailed,
        Error::TaskTimeout { .. } => Safety::StillRunning,
        // A console changes nothing PVE keeps (its session ends with its socket): open another.
        Error::Console(e) if matches!(**e, ConsoleError::TokenRefused { .. }) => {
            Safety::NothingSent
        }
        Error::Console(_) => Safety::Refused,
    }
}

fn is_read(method: &str) -> bool {
    matches!(method, "GET" | "HEAD")
}

/// The retry safety in words, as the error's message ends.
pub(crate) fn advice(err: &Error) -> &'static str {
    match safety(err) {
        Safety::NothingSent => "nothing reached PVE: safe to retry",
        Safety::Read => "a read: safe to retry",
        Safety::Refused => "PVE refused before acting: safe to retry",
        Safety::Unknown => "the write may have been carried out: not safe to retry blindly",
        Safety::Done => "PVE carried out the write: not safe to retry",
        Safety::TaskFailed => {
            "the task may have changed things before it failed: not safe to retry blindly"
        }
        Safety::StillRunning => {
            "the task goes on: wait for it again rather than repeat the request"
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::super::{ApiError, TaskFailed, TransportErrorKind, Unsupported, ValidationError};
    use super::*;
    use crate::upid::Upid;

    const UPID: &str = "UPID:pve1:00001234:00005678:65F0A1B2:qmstart:101:root@pam:";

    fn api(method: &str, status: u16, message: &str) -> Error {
        Error::Api(Box::new(ApiError {
            method: method.into(),
            path: "nodes/pve1/qemu/101/config".into(),
            status,
            reason: message.into(),
            message: message.into(),
            errors: BTreeMap::new(),
            body: String::new(),
        }))
    }

    fn transport(kind: TransportErrorKind, method: &str) -> Error {
        Error::transport(
            kind,
            method,
            "https://pve1:8006/api2/json/x",
            "boom".into(),
            None,
        )
    }

    fn decode(method: &str) -> Error {
        Error::decode("x", "data", "{}").answering(method)
    }

    fn task(exit: &str) -> Error {
        Error::Task(Box::new(TaskFailed {
            upid: Upid::parse(UPID).unwrap(),
            exitstatus: exit.into(),
        }))
    }

    /// One case per variant (and per branch of the rule): the error, its kind, whether it is
    /// retry-safe, and the words its message ends with.
    #[test]
    fn every_variant_states_its_retry_safety_in_words() {
        let lock = "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout";
        let cases: Vec<(Error, ErrorKind, bool, &str)> = vec![
            // Nothing reached PVE.
            (
                Error::Validation(Box::new(ValidationError {
                    param: "memory".into(),
                    rule: "minimum".into(),
                    message: "below 16".into(),
                })),
                ErrorKind::Validation,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                Error::Encode {
                    name: "net0".into(),
                    reason: "nested".into(),
                },
                ErrorKind::Validation,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                Error::Config("no host".into()),
                ErrorKind::Other,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                Error::Tls {
                    url: "https://pve1:8006".into(),
                    message: "bad cert".into(),
                    source: None,
                },
                ErrorKind::Tls,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                transport(TransportErrorKind::Connect, "POST"),
                ErrorKind::Connect,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                transport(TransportErrorKind::ConnectTimeout, "POST"),
                ErrorKind::Connect,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                AuthError::NotLoggedIn.into(),
                ErrorKind::AuthExpired,
                true,
                "nothing reached PVE: safe to retry",
            ),
            (
                decode(""),
                ErrorKind::Decode,
                true,
                "nothing reached PVE: safe to retry",
            ),
            // Reads, whatever happened.
            (
                api("GET", 500, "internal error"),
                ErrorKind::Other,
                true,
                "a read: safe to retry",
            ),
            (
                api("GET", 502, "Bad Gateway"),
                ErrorKind::ProxyTimeout,
                true,
                "a read: safe to retry",
            ),
            (
                transport(TransportErrorKind::Timeout, "GET"),
                ErrorKind::Timeout,
                true,
                "a read: safe to retry",
            ),
            (
                transport(TransportErrorKind::Io, "GET"),
                ErrorKind::Disconnected,
                true,
                "a read: safe to retry",
            ),
            (
                transport(TransportErrorKind::Tls, "GET"),
                ErrorKind::Tls,
                true,
                "a read: safe to retry",
            ),
            (
                transport(TransportErrorKind::BodyTooLarge, "GET"),
                ErrorKind::Decode,
                true,
                "a read: safe to retry",
            ),
            (
                decode("GET"),
                ErrorKind::Decode,
                true,
                "a read: safe to retry",
            ),
            // Refused before acting.
            (
                api("PUT", 500, lock),
                ErrorKind::Locked,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                api("POST", 500, "cluster not ready - no quorum?"),
                ErrorKind::NoQuorum,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                api("POST", 400, "Parameter verification failed."),
                ErrorKind::Validation,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                api("POST", 595, "No route to host"),
                ErrorKind::NodeOffline,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                api("POST", 403, "Permission check failed"),
                ErrorKind::PermissionDenied,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                api(
                    "POST",
                    500,
                    "unable to create VM 102 - VM 102 already exists on node 'pve1'",
                ),
                ErrorKind::AlreadyExists,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                AuthError::Rejected {
                    user: "root@pam".into(),
                    message: "authentication failure".into(),
                }
                .into(),
                ErrorKind::AuthFailed,
                true,
                "PVE refused before acting: safe to retry",
            ),
            (
                task(lock),
                ErrorKind::Locked,
                true,
                "PVE refused before acting: safe to retry",
            ),
            // Writes whose fate is unknown.
            (
                transport(TransportErrorKind::Timeout, "POST"),
                ErrorKind::Timeout,
                false,
                "the write may have been carried out: not safe to retry blindly",
            ),
            (
                transport(TransportErrorKind::Io, "POST"),
                ErrorKind::Disconnected,
                false,
                "the write may have been carried out: not safe to retry blindly",
            ),
            (
                api("POST", 596, "Connection timed out"),
                ErrorKind::ProxyTimeout,
                false,
                "the write may have been carried out: not safe to retry blindly",
            ),
            (
                api("DELETE", 500, "internal error"),
                ErrorKind::Other,
                false,
                "the write may have been carried out: not safe to retry blindly",
            ),
            (
                decode("POST"),
                ErrorKind::Decode,
                false,
                "PVE carried out the write: not safe to retry",
            ),
            (
                transport(TransportErrorKind::BodyTooLarge, "PUT"),
                ErrorKind::Decode,
                false,
                "PVE carried out the write: not safe to retry",
            ),
            (
                transport(TransportErrorKind::Tls, "POST"),
                ErrorKind::Tls,
                false,
                "the write may have been carried out: not safe to retry blindly",
            ),
            (
                task("VM quit/powerdown failed - got timeout"),
                ErrorKind::Timeout,
                false,
                "the task may have changed things before it failed: not safe to retry blindly",
            ),
            (
                task("command 'qm' failed: exit code 1"),
                ErrorKind::TaskFailed,
                false,
                "the task may have changed things before it failed: not safe to retry blindly",
            ),
            (
                Error::TaskTimeout {
                    upid: Box::new(Upid::parse(UPID).unwrap()),
                    waited: Duration::from_secs(1),
                },
                ErrorKind::Timeout,
                false,
                "the task goes on: wait for it again rather than repeat the request",
            ),
        ];
        for (err, kind, safe, words) in cases {
            assert_eq!(err.kind(), kind, "{err}");
            assert_eq!(err.is_retry_safe(), safe, "{err}");
            if let Error::Transport(t) = &err {
                assert_eq!(t.retry_safe, safe, "{err}");
            }
            let shown = err.to_string();
            assert!(shown.ends_with(&format!(" ({words})")), "{shown}");
        }
        // Unsupported says it in its own words.
        let unsupported = Error::Unsupported(Box::new(Unsupported {
            item: "POST /cluster/bulk-action/guest/start".into(),
            versions: vec!["9.1.11".into()],
            cluster: "8.4.17".into(),
            checked_against: "8.4.17".into(),
        }));
        assert!(unsupported.is_retry_safe());
        assert_eq!(unsupported.kind(), ErrorKind::Unsupported);
        assert!(
            unsupported.to_string().ends_with("Nothing was sent."),
            "{unsupported}"
        );
    }
}
