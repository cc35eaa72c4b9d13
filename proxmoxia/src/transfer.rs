//! What uploads and downloads share: progress reports, and the inactivity timeout that ends
//! a transfer that stalled (`ClientBuilder::transfer_inactivity_timeout`).

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result, TransportErrorKind};

/// How far a transfer is: bytes done, of the total when known. Given to the progress
/// callback of a [`Download`](crate::Download) or an [`Upload`](crate::Upload) after each
/// chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferProgress {
    /// Bytes sent or received so far.
    pub done: u64,
    /// The whole size: an upload's length, a download's `Content-Length` (`None` without one).
    pub total: Option<u64>,
}

/// A progress callback.
pub(crate) type ProgressFn = Box<dyn FnMut(TransferProgress) + Send>;

/// The error of a transfer that made no progress for `limit`.
pub(crate) fn stalled(method: &str, url: &str, limit: Duration) -> Error {
    Error::transport(
        TransportErrorKind::Timeout,
        method,
        url,
        format!(
            "the transfer made no progress for {limit:?} (see ClientBuilder::transfer_inactivity_timeout)"
        ),
        None,
    )
}

/// When a transfer last made progress.
#[derive(Debug)]
pub(crate) struct Activity(Mutex<Instant>);

impl Activity {
    pub(crate) fn new() -> Activity {
        Activity(Mutex::new(Instant::now()))
    }

    /// Notes progress now.
    pub(crate) fn touch(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs `transfer` until it ends, or until `activity` shows no progress for `limit`: then it
/// is dropped (the connection closed) and `stalled(limit)` is the error. Without a limit, it
/// runs to its end.
pub(crate) async fn watched<T>(
    transfer: impl Future<Output = Result<T>>,
    activity: &Activity,
    limit: Option<Duration>,
    stalled: impl FnOnce(Duration) -> Error,
) -> Result<T> {
    let Some(limit) = limit else {
        return transfer.await;
    };
    let mut transfer = std::pin::pin!(transfer);
    loop {
        let deadline = activity.last() + limit;
        match tokio::time::timeout_at(deadline, transfer.as_mut()).await {
            Ok(result) => return result,
            // Progress since the deadline was set: wait on from the new one.
            Err(_) if activity.last() + limit > Instant::now() => {}
            Err(_) => return Err(stalled(limit)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stall(limit: Duration) -> Error {
        Error::Config(format!("stalled for {limit:?}"))
    }

    #[tokio::test(start_paused = true)]
    async fn a_transfer_making_progress_runs_on_one_that_stops_fails() {
        let activity = Activity::new();
        let limit = Some(Duration::from_secs(10));
        let started = Instant::now();
        // Progress every 6 s, five times: 30 s in all, never 10 s without.
        let steady = async {
            for _ in 0..5 {
                tokio::time::sleep(Duration::from_secs(6)).await;
                activity.touch();
            }
            Ok(7)
        };
        assert_eq!(watched(steady, &activity, limit, stall).await.unwrap(), 7);
        assert_eq!(started.elapsed(), Duration::from_secs(30));

        // Progress once after 6 s, then none: fails 10 s after it.
        let activity = Activity::new();
        let started = Instant::now();
        let stops = async {
            tokio::time::sleep(Duration::from_secs(6)).await;
            activity.touch();
            std::future::pending::<()>().await;
            Ok(0)
        };
        let err = watched(stops, &activity, limit, stall).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid client configuration: stalled for 10s (nothing reached PVE: safe to retry)"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(16));

        // Without a limit, it is not watched.
        let activity = Activity::new();
        let slow = async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(1)
        };
        assert_eq!(watched(slow, &activity, None, stall).await.unwrap(), 1);
    }
}
