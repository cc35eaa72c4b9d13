//! Opt-in retries ([`RetryPolicy`], set with [`ClientBuilder::retry`]).
//!
//! [`ClientBuilder::retry`]: crate::ClientBuilder::retry

use std::future::Future;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// The kinds retried by default: transient, and (with [`Error::is_retry_safe`]) repeated
/// only when repeating cannot do harm.
pub const DEFAULT_RETRY_KINDS: &[ErrorKind] = &[
    ErrorKind::Locked,
    ErrorKind::NoQuorum,
    ErrorKind::NodeOffline,
    ErrorKind::ProxyTimeout,
    ErrorKind::Timeout,
    ErrorKind::Connect,
    ErrorKind::Disconnected,
];

/// When and how often a client sends a failed request again.
///
/// A request is sent again only if its error is of one of the [kinds](RetryPolicy::retry_on)
/// **and** [retry-safe](Error::is_retry_safe): a write whose fate is unknown (it timed out or
/// its connection dropped after it was sent) is never repeated, whatever the kinds. A lock
/// timeout or lost quorum on a write is repeated: PVE refused before it changed anything.
///
/// Between attempts the client waits with exponential backoff (the first wait, doubling up
/// to a ceiling), each wait drawn at random from its upper half (jitter) so that many
/// clients do not retry in step. No attempt starts after the [deadline](RetryPolicy::deadline):
/// when the next wait would end past it, the last error is returned at once. An attempt in
/// flight is bounded by the request timeout, not cut by the deadline (cutting a write would
/// leave its fate unknown). Each retry is a tracing event (`INFO`, target
/// `proxmoxia::retry`) with the attempt, the error's kind and message, and the wait.
///
/// ```
/// use std::time::Duration;
/// use proxmoxia::{Client, ErrorKind, RetryPolicy};
///
/// let policy = RetryPolicy::new()
///     .attempts(6)
///     .backoff(Duration::from_millis(200), Duration::from_secs(5))
///     .deadline(Some(Duration::from_secs(30)))
///     .retry_on([ErrorKind::Locked, ErrorKind::NoQuorum]);
/// let client = Client::builder("pve1.example.com").retry(policy).build();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    attempts: u32,
    first_wait: Duration,
    max_wait: Duration,
    jitter: bool,
    deadline: Option<Duration>,
    kinds: Vec<ErrorKind>,
}

impl Default for RetryPolicy {
    /// 4 attempts, waits from 250 ms doubling up to 8 s with jitter, a 60 s deadline, the
    /// [default kinds](DEFAULT_RETRY_KINDS).
    fn default() -> RetryPolicy {
        RetryPolicy {
            attempts: 4,
            first_wait: Duration::from_millis(250),
            max_wait: Duration::from_secs(8),
            jitter: true,
            deadline: Some(Duration::from_secs(60)),
            kinds: DEFAULT_RETRY_KINDS.to_vec(),
        }
    }
}

impl RetryPolicy {
    /// The [default](RetryPolicy::default) policy.
    pub fn new() -> RetryPolicy {
        RetryPolicy::default()
    }

    /// How many times a request is sent at most, the first included (at least 1).
    #[must_use]
    pub fn attempts(mut self, attempts: u32) -> RetryPolicy {
        self.attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry, and the ceiling the doubling waits stop at.
    #[must_use]
    pub fn backoff(mut self, first: Duration, max: Duration) -> RetryPolicy {
        self.first_wait = first;
        self.max_wait = max.max(first);
        self
    }

    /// Whether each wait is drawn from its upper half at random (default `true`); `false`
    /// waits exactly the backoff.
    #[must_use]
    pub fn jitter(mut self, jitter: bool) -> RetryPolicy {
        self.jitter = jitter;
        self
    }

    /// No retry starts later than this after the first attempt started (default 60 s);
    /// `None`: only the number of attempts bounds the retries.
    #[must_use]
    pub fn deadline(mut self, deadline: Option<Duration>) -> RetryPolicy {
        self.deadline = deadline;
        self
    }

    /// The kinds of error to retry (default [`DEFAULT_RETRY_KINDS`]). Errors that are not
    /// [retry-safe](Error::is_retry_safe) are never retried, whatever is listed here.
    #[must_use]
    pub fn retry_on(mut self, kinds: impl IntoIterator<Item = ErrorKind>) -> RetryPolicy {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// True when this policy sends a request that failed with `err` again (attempts and
    /// deadline aside).
    pub fn retries(&self, err: &Error) -> bool {
        err.is_retry_safe() && self.kinds.contains(&err.kind())
    }

    /// The wait before retry `n` (1 for the first), before jitter.
    fn backoff_for(&self, n: u32) -> Duration {
        let factor = 2u32.saturating_pow(n.saturating_sub(1));
        self.first_wait.saturating_mul(factor).min(self.max_wait)
    }

    fn wait_for(&self, n: u32) -> Duration {
        let wait = self.backoff_for(n);
        if self.jitter {
            let half = wait / 2;
            half + half.mul_f64(fastrand::f64())
        } else {
            wait
        }
    }
}

/// Runs `attempt` until it succeeds, fails in a way `policy` does not retry, or the attempts
/// or the deadline are used up. Without a policy, once.
pub(crate) async fn run<T, F, Fut>(
    policy: Option<&RetryPolicy>,
    method: &str,
    path: &str,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Some(policy) = policy else {
        return attempt().await;
    };
    let started = tokio::time::Instant::now();
    let mut n = 1;
    loop {
        let err = match attempt().await {
            Err(err) if n < policy.attempts && policy.retries(&err) => err,
            other => return other,
        };
        let wait = policy.wait_for(n);
        if let Some(deadline) = policy.deadline
            && started.elapsed() + wait > deadline
        {
            tracing::debug!(target: "proxmoxia::retry", method, path, attempt = n, "no retry: past the deadline");
            return Err(err);
        }
        tracing::info!(
            target: "proxmoxia::retry",
            method,
            path,
            attempt = n,
            kind = %err.kind(),
            error = %err,
            wait_ms = wait.as_millis() as u64,
            "retrying PVE request"
        );
        tokio::time::sleep(wait).await;
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::error::{AuthError, TransportError, TransportErrorKind};

    fn locked(method: &str) -> Error {
        let message = "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout";
        Error::Api(Box::new(crate::error::ApiError {
            method: method.into(),
            path: "nodes/pve1/qemu/101/config".into(),
            status: 500,
            reason: message.into(),
            message: message.into(),
            errors: Default::default(),
            body: String::new(),
        }))
    }

    fn transport(kind: TransportErrorKind, method: &str) -> Error {
        Error::Transport(Box::new(TransportError {
            kind,
            method: method.into(),
            url: "https://pve1:8006/api2/json/x".into(),
            message: "boom".into(),
            retry_safe: false,
            source: None,
        }))
    }

    fn fixed(attempts: u32, wait_ms: u64) -> RetryPolicy {
        let wait = Duration::from_millis(wait_ms);
        RetryPolicy::new()
            .attempts(attempts)
            .backoff(wait, wait)
            .jitter(false)
            .deadline(None)
    }

    /// Runs a scripted sequence of outcomes; returns the result and the attempts made.
    async fn script(policy: &RetryPolicy, outcomes: Vec<Result<u32>>) -> (Result<u32>, u32) {
        let calls = AtomicU32::new(0);
        let outcomes = std::sync::Mutex::new(outcomes.into_iter());
        let result = run(Some(policy), "PUT", "x", || {
            calls.fetch_add(1, Ordering::SeqCst);
            let next = outcomes.lock().unwrap().next().unwrap_or(Ok(0));
            async move { next }
        })
        .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling_and_jitter_stays_in_the_upper_half() {
        let policy = RetryPolicy::new()
            .backoff(Duration::from_millis(100), Duration::from_millis(500))
            .jitter(false);
        let waits: Vec<u64> = (1..=5)
            .map(|n| policy.wait_for(n).as_millis() as u64)
            .collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        let jittered = policy.jitter(true);
        for n in 1..=5 {
            let full = jittered.backoff_for(n);
            for _ in 0..50 {
                let wait = jittered.wait_for(n);
                assert!(wait >= full / 2 && wait <= full, "{wait:?} for {full:?}");
            }
        }
        assert_eq!(RetryPolicy::new().attempts(0).attempts, 1);
    }

    #[test]
    fn only_retry_safe_errors_of_the_listed_kinds_are_retried() {
        let policy = RetryPolicy::new();
        assert!(policy.retries(&locked("PUT")), "a lock timeout on a write");
        assert!(policy.retries(&transport(TransportErrorKind::Io, "GET")));
        assert!(policy.retries(&transport(TransportErrorKind::Connect, "POST")));
        // The fate of these writes is unknown.
        assert!(!policy.retries(&transport(TransportErrorKind::Io, "POST")));
        assert!(!policy.retries(&transport(TransportErrorKind::Timeout, "PUT")));
        // Even when asked for.
        let eager = RetryPolicy::new().retry_on([
            ErrorKind::Timeout,
            ErrorKind::Disconnected,
            ErrorKind::Tls,
        ]);
        assert!(!eager.retries(&transport(TransportErrorKind::Io, "POST")));
        // A TLS failure after the handshake: the POST may have gone out.
        assert!(!eager.retries(&transport(TransportErrorKind::Tls, "POST")));
        assert!(eager.retries(&transport(TransportErrorKind::Tls, "GET")));
        // Safe, but not transient.
        assert!(!policy.retries(&AuthError::NotLoggedIn.into()));
        let only_locks = RetryPolicy::new().retry_on([ErrorKind::Locked]);
        assert!(!only_locks.retries(&transport(TransportErrorKind::Connect, "GET")));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retried_error_is_sent_again_until_it_succeeds() {
        let policy = fixed(5, 1000);
        let started = tokio::time::Instant::now();
        let (result, calls) =
            script(&policy, vec![Err(locked("PUT")), Err(locked("PUT")), Ok(7)]).await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls, 3);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_bound_the_retries() {
        let (result, calls) =
            script(&fixed(3, 10), (0..10).map(|_| Err(locked("PUT"))).collect()).await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Locked);
        assert_eq!(calls, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_starts_after_the_deadline() {
        // Waits of 1 s and a 2.5 s deadline: attempts at 0, 1 and 2 s; a fourth would start
        // at 3 s, past the deadline, so the third error comes back at once, at 2 s.
        let policy = fixed(100, 1000).deadline(Some(Duration::from_millis(2500)));
        let started = tokio::time::Instant::now();
        let (result, calls) = script(&policy, (0..10).map(|_| Err(locked("PUT"))).collect()).await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Locked);
        assert_eq!(calls, 3);
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unsafe_error_is_returned_at_once() {
        let started = tokio::time::Instant::now();
        let dropped = transport(TransportErrorKind::Io, "POST");
        let (result, calls) = script(&fixed(5, 1000), vec![Err(dropped), Ok(1)]).await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Disconnected);
        assert_eq!(calls, 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test]
    async fn without_a_policy_a_request_is_sent_once() {
        let calls = AtomicU32::new(0);
        let result: Result<()> = run(None, "PUT", "x", || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(locked("PUT")) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
