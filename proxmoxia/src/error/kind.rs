//! [`ErrorKind`]: what an error means, read from the HTTP status and PVE's own wording.
//!
//! PVE answers most failures with a 500 and a sentence; the sentences below are the ones its
//! sources write (pve-manager, qemu-server, pve-container, pve-cluster, pve-common,
//! pve-guest-common, pve-access-control, pve-http-server). The table test at the end holds
//! them with the file each comes from.

/// What kind of failure an [`Error`](crate::Error) is, to act on without parsing messages.
///
/// From [`Error::kind`](crate::Error::kind). New kinds may be added: match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The guest, node, storage, volume, user, snapshot, ... does not exist.
    NotFound,
    /// The object to create exists already (e.g. a VM id another client took).
    AlreadyExists,
    /// A lock was held: a guest's config lock or a cluster (`cfs`) lock that PVE could not
    /// take in time, or a guest locked by a backup, migration or snapshot.
    Locked,
    /// The cluster has no quorum: `/etc/pve` is read-only and writes are refused.
    NoQuorum,
    /// The node serving the request could not reach the node addressed (PVE's 595, "No
    /// route to host", "Connection refused").
    NodeOffline,
    /// A proxy between the client and the node gave up: PVE's 596 ("Connection timed out",
    /// "Broken pipe") or a 502/503/504 page from a reverse proxy.
    ProxyTimeout,
    /// The user lacks a privilege (PVE's 403 "Permission check failed").
    PermissionDenied,
    /// The ticket or token is not (or no longer) accepted, or the client is not logged in:
    /// log in again.
    AuthExpired,
    /// Logging in failed: wrong credentials, or a second factor is needed.
    AuthFailed,
    /// A parameter broke a rule (the client's check, or PVE's 400).
    Validation,
    /// The cluster's PVE version lacks the method or parameter (the client's check, or
    /// PVE's 501).
    Unsupported,
    /// Something took longer than allowed: the request, waiting for a task, or work inside
    /// PVE ("got timeout").
    Timeout,
    /// No connection could be made (refused, unreachable, DNS, connect timeout).
    Connect,
    /// The connection broke after the request was sent, before the answer arrived.
    Disconnected,
    /// TLS failed: certificate not trusted, fingerprint mismatch, handshake error.
    Tls,
    /// A PVE task failed for a reason none of the other kinds names.
    TaskFailed,
    /// An answer arrived but could not be understood.
    Decode,
    /// Anything else (a PVE error none of the kinds above names, a bad client configuration).
    Other,
}

impl ErrorKind {
    /// A short name, as in logs: `locked`, `no-quorum`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not-found",
            ErrorKind::AlreadyExists => "already-exists",
            ErrorKind::Locked => "locked",
            ErrorKind::NoQuorum => "no-quorum",
            ErrorKind::NodeOffline => "node-offline",
            ErrorKind::ProxyTimeout => "proxy-timeout",
            ErrorKind::PermissionDenied => "permission-denied",
            ErrorKind::AuthExpired => "auth-expired",
            ErrorKind::AuthFailed => "auth-failed",
            ErrorKind::Validation => "validation",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Tls => "tls",
            ErrorKind::TaskFailed => "task-failed",
            ErrorKind::Decode => "decode",
            ErrorKind::Other => "other",
        }
    }

    /// True for kinds that PVE answers before it acts on a request: repeating a write that
    /// failed so changes nothing it has not already refused.
    pub(crate) fn is_refusal(self) -> bool {
        matches!(
            self,
            ErrorKind::NotFound
                | ErrorKind::AlreadyExists
                | ErrorKind::Locked
                | ErrorKind::NoQuorum
                | ErrorKind::NodeOffline
                | ErrorKind::PermissionDenied
                | ErrorKind::AuthExpired
                | ErrorKind::AuthFailed
                | ErrorKind::Validation
                | ErrorKind::Unsupported
        )
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of an HTTP error answer: its status first, then PVE's message.
pub(crate) fn of_answer(status: u16, message: &str) -> ErrorKind {
    match status {
        400 => ErrorKind::Validation,
        401 => ErrorKind::AuthExpired,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        501 => ErrorKind::Unsupported,
        // pve-http-server relays AnyEvent::HTTP's own statuses when proxying to another node:
        // 595 when the connection could not be made, 596 when it broke while talking.
        595 => ErrorKind::NodeOffline,
        596 | 502..=504 => ErrorKind::ProxyTimeout,
        _ => of_message(message).unwrap_or(ErrorKind::Other),
    }
}

/// The kind of a failed task, from its exit status.
pub(crate) fn of_exit_status(exitstatus: &str) -> ErrorKind {
    of_message(exitstatus).unwrap_or(ErrorKind::TaskFailed)
}

/// The kind PVE's wording names, if any. The order matters: a lock PVE could not take for
/// lack of quorum says both (`cfs-lock '...' error: no quorum!`), and a create that could
/// not lock says `unable to create VM 1 - can't lock file ...`.
fn of_message(message: &str) -> Option<ErrorKind> {
    let m = message.to_ascii_lowercase();
    let has = |needle: &str| m.contains(needle);
    if has("no quorum") {
        Some(ErrorKind::NoQuorum)
    } else if has("can't lock file")
        || has("got lock request timeout")
        || has("can't acquire lock")
        || has(" is locked (")
        || m.starts_with("vm is locked")
        || m.starts_with("ct is locked")
    {
        Some(ErrorKind::Locked)
    } else if has("already exists") {
        Some(ErrorKind::AlreadyExists)
    } else if has("does not exist")
        || has("no such ")
        || has("unable to find configuration file")
        || has("unable to find vm")
        || has("hostname lookup '")
    {
        Some(ErrorKind::NotFound)
    } else if has("permission check failed") {
        Some(ErrorKind::PermissionDenied)
    } else if has("parameter verification failed") {
        Some(ErrorKind::Validation)
    } else if has("got timeout") || has("timed out") {
        Some(ErrorKind::Timeout)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::*;

    /// (status, PVE's message, expected kind, where the wording comes from).
    const ANSWERS: &[(u16, &str, ErrorKind, &str)] = &[
        // Locks.
        (
            500,
            "can't lock file '/var/lock/qemu-server/lock-104.conf' - got timeout",
            Locked,
            "pve-common src/PVE/Tools.pm lock_file_full; path from qemu-server QemuConfig.pm",
        ),
        (
            500,
            "can't lock file '/run/lock/lxc/pve-config-200.lock' - got timeout",
            Locked,
            "pve-common src/PVE/Tools.pm; path from pve-container src/PVE/LXC/Config.pm",
        ),
        (
            500,
            "cfs-lock 'file-user_cfg' error: got lock request timeout",
            Locked,
            "pve-cluster src/PVE/Cluster.pm cfs_lock",
        ),
        (
            500,
            "cfs-lock 'file-replication_cfg' error: got lock request timeout",
            Locked,
            "pve-cluster src/PVE/Cluster.pm cfs_lock",
        ),
        // The lock was not the trouble: the cluster file system is down.
        (
            500,
            "cfs-lock 'file-user_cfg' error: pve cluster filesystem not online.",
            Other,
            "pve-cluster src/PVE/Cluster.pm cfs_lock",
        ),
        (
            500,
            "can't acquire lock '/var/lock/pve-manager/pve-ceph.lock' - Resource temporarily unavailable",
            Locked,
            "pve-common src/PVE/Tools.pm lock_file_full",
        ),
        (
            500,
            "unable to create VM 105 - can't lock file '/var/lock/qemu-server/lock-105.conf' - got timeout",
            Locked,
            "qemu-server src/PVE/API2/Qemu.pm create_vm ($emsg)",
        ),
        (
            500,
            "VM is locked (backup)",
            Locked,
            "pve-guest-common src/PVE/AbstractConfig.pm check_lock",
        ),
        (
            500,
            "CT is locked (snapshot)",
            Locked,
            "pve-guest-common src/PVE/AbstractConfig.pm check_lock",
        ),
        // Quorum.
        (
            500,
            "cluster not ready - no quorum?",
            NoQuorum,
            "pve-cluster src/PVE/Cluster.pm check_cfs_quorum",
        ),
        (
            500,
            "create user failed: cfs-lock 'file-user_cfg' error: no quorum!",
            NoQuorum,
            "pve-cluster src/PVE/Cluster.pm cfs_lock; prefix pve-access-control API2/User.pm",
        ),
        (
            500,
            "no quorum - unable to update files",
            NoQuorum,
            "pve-cluster src/PVE/Cluster/Setup.pm",
        ),
        // Exists already.
        (
            500,
            "VM 123 already exists on node 'pve2'",
            AlreadyExists,
            "pve-cluster src/PVE/Cluster.pm check_vmid_unused",
        ),
        (
            500,
            "CT 123 already exists on node 'pve1'",
            AlreadyExists,
            "pve-cluster src/PVE/Cluster.pm check_vmid_unused",
        ),
        (
            500,
            "unable to create VM 123 - VM 123 already exists on node 'pve1'",
            AlreadyExists,
            "qemu-server src/PVE/API2/Qemu.pm create_vm ($emsg)",
        ),
        (
            500,
            "unable to create VM 124: config file already exists",
            AlreadyExists,
            "qemu-server src/PVE/API2/Qemu.pm clone_vm",
        ),
        (
            500,
            "create user failed: user 'alice@pve' already exists",
            AlreadyExists,
            "pve-access-control src/PVE/API2/User.pm",
        ),
        (
            500,
            "ACME plugin ID 'dns1' already exists",
            AlreadyExists,
            "pve-manager PVE/API2/ACMEPlugin.pm",
        ),
        // Missing.
        (
            500,
            "Configuration file 'nodes/pve1/qemu-server/123.conf' does not exist",
            NotFound,
            "pve-guest-common src/PVE/AbstractConfig.pm load_config",
        ),
        (
            500,
            "no such VM ('123')",
            NotFound,
            "qemu-server QemuServer.pm load_config (PVE < 5)",
        ),
        (
            500,
            "unable to find configuration file for VM 123 on node 'pve1'",
            NotFound,
            "qemu-server src/PVE/QemuConfig.pm",
        ),
        (
            500,
            "snapshot 'before' does not exist",
            NotFound,
            "qemu-server src/PVE/API2/Qemu.pm",
        ),
        (
            500,
            "pool 'dev' does not exist",
            NotFound,
            "pve-manager PVE/API2/Pool.pm",
        ),
        (
            500,
            "no such user ('bob@pve')",
            NotFound,
            "pve-access-control src/PVE/AccessControl.pm",
        ),
        (
            500,
            "no such guest '300'",
            NotFound,
            "pve-manager PVE/API2/Replication.pm",
        ),
        (
            500,
            "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known",
            NotFound,
            "pve-common src/PVE/Network.pm",
        ),
        (404, "Not Found", NotFound, "HTTP"),
        // Nodes and proxies.
        (
            595,
            "No route to host",
            NodeOffline,
            "pve-http-server AnyEvent.pm proxy_request (AnyEvent::HTTP 595)",
        ),
        (
            595,
            "Connection refused",
            NodeOffline,
            "pve-http-server AnyEvent.pm proxy_request (AnyEvent::HTTP 595)",
        ),
        (
            596,
            "Connection timed out",
            ProxyTimeout,
            "pve-http-server AnyEvent.pm proxy_request (AnyEvent::HTTP 596)",
        ),
        (
            596,
            "Broken pipe",
            ProxyTimeout,
            "pve-http-server AnyEvent.pm proxy_request (AnyEvent::HTTP 596)",
        ),
        (502, "Bad Gateway", ProxyTimeout, "a reverse proxy's page"),
        (
            503,
            "Service Unavailable",
            ProxyTimeout,
            "a reverse proxy's page",
        ),
        (
            504,
            "Gateway Timeout",
            ProxyTimeout,
            "a reverse proxy's page",
        ),
        // Access.
        (
            403,
            "Permission check failed (/vms/100, VM.PowerMgmt)",
            PermissionDenied,
            "pve-common src/PVE/Exception.pm raise_perm_exc",
        ),
        (
            403,
            "Permission check failed (user != root@pam)",
            PermissionDenied,
            "pve-common src/PVE/Exception.pm raise_perm_exc",
        ),
        (
            401,
            "authentication failure",
            AuthExpired,
            "pve-access-control src/PVE/API2/AccessControl.pm",
        ),
        (
            401,
            "invalid ticket",
            AuthExpired,
            "pve-http-server src/PVE/APIServer/AnyEvent.pm",
        ),
        (
            401,
            "permission denied - invalid PVE ticket",
            AuthExpired,
            "PVE < 8 pve-http-server; both peers",
        ),
        (
            401,
            "Permission denied - invalid csrf token",
            AuthExpired,
            "pve-common src/PVE/Ticket.pm",
        ),
        // Requests PVE refuses to run.
        (
            400,
            "Parameter verification failed.",
            Validation,
            "pve-common src/PVE/JSONSchema.pm, Exception.pm",
        ),
        (
            501,
            "Method 'GET /cluster/bulk-action' not implemented",
            Unsupported,
            "pve-http-server src/PVE/APIServer/AnyEvent.pm",
        ),
        // Everything else.
        (
            500,
            "VM 100 not running",
            Other,
            "qemu-server src/PVE/API2/Qemu.pm",
        ),
        (
            500,
            "can't upload to storage type 'lvmthin'",
            Other,
            "pve-manager / pve-storage upload",
        ),
        (500, "internal error", Other, "fakepve"),
    ];

    #[test]
    fn answers_are_classified_from_status_and_wording() {
        for (status, message, kind, source) in ANSWERS {
            assert_eq!(
                of_answer(*status, message),
                *kind,
                "{status} {message:?} ({source})"
            );
        }
    }

    /// (exit status, expected kind, where it comes from).
    const EXIT_STATUSES: &[(&str, ErrorKind, &str)] = &[
        (
            "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout",
            Locked,
            "pve-common Tools.pm lock_file_full, in a qemu-server worker",
        ),
        (
            "VM is locked (backup)",
            Locked,
            "pve-guest-common AbstractConfig.pm check_lock",
        ),
        (
            "cluster not ready - no quorum?",
            NoQuorum,
            "pve-cluster Cluster.pm",
        ),
        (
            "unable to create VM 102 - VM 102 already exists on node 'pve1'",
            AlreadyExists,
            "qemu-server API2/Qemu.pm create_vm worker",
        ),
        (
            "CT 200 already exists on node 'pve1'",
            AlreadyExists,
            "pve-cluster Cluster.pm, pve-container worker",
        ),
        (
            "Configuration file 'nodes/pve1/lxc/201.conf' does not exist",
            NotFound,
            "pve-guest-common AbstractConfig.pm",
        ),
        (
            "VM quit/powerdown failed - got timeout",
            Timeout,
            "qemu-server src/PVE/QemuServer.pm vm_stop",
        ),
        (
            "command 'lxc-start -F -n 200' failed: exit code 1",
            TaskFailed,
            "pve-common src/PVE/Cmd.pm run_command",
        ),
        ("job errors", TaskFailed, "pve-manager PVE/VZDump.pm"),
        (
            "unexpected status",
            TaskFailed,
            "pve-common src/PVE/UPID.pm (the worker vanished)",
        ),
        (
            "interrupted by signal",
            TaskFailed,
            "qemu-server src/PVE/API2/Qemu.pm, pve-manager PVE/API2/VZDump.pm",
        ),
    ];

    #[test]
    fn task_exit_statuses_are_classified_from_wording() {
        for (exit, kind, source) in EXIT_STATUSES {
            assert_eq!(of_exit_status(exit), *kind, "{exit:?} ({source})");
        }
    }

    #[test]
    fn refusals_are_the_kinds_pve_answers_before_acting() {
        for kind in [Locked, NoQuorum, Validation, NotFound, AlreadyExists] {
            assert!(kind.is_refusal(), "{kind}");
        }
        for kind in [
            Timeout,
            Disconnected,
            ProxyTimeout,
            TaskFailed,
            Decode,
            Other,
        ] {
            assert!(!kind.is_refusal(), "{kind}");
        }
    }
}
