//! Tasks, blocking: wait (with progress), follow as an iterator, read the log.

use std::time::Duration;

use super::Client;
use crate::error::{Error, Result};
use crate::task::{TaskEvent, TaskLogLine, TaskOutcome, TaskProgress, TaskStatus};
use crate::upid::Upid;

/// A PVE task, blocking. Created by [`Client::task`] or [`Client::call_task`]; the async
/// [`crate::TaskHandle`] does the work on the client's runtime.
#[derive(Debug, Clone)]
#[must_use]
pub struct TaskHandle {
    client: Client,
    inner: crate::TaskHandle,
}

impl TaskHandle {
    pub(super) fn new(client: Client, inner: crate::TaskHandle) -> TaskHandle {
        TaskHandle { client, inner }
    }

    /// The task's UPID.
    pub fn upid(&self) -> &Upid {
        self.inner.upid()
    }

    /// The async handle.
    pub fn as_async(&self) -> &crate::TaskHandle {
        &self.inner
    }

    /// [`crate::TaskHandle::poll_interval`].
    pub fn poll_interval(self, interval: Duration) -> TaskHandle {
        TaskHandle {
            inner: self.inner.poll_interval(interval),
            client: self.client,
        }
    }

    /// [`crate::TaskHandle::timeout`].
    pub fn timeout(self, timeout: Duration) -> TaskHandle {
        TaskHandle {
            inner: self.inner.timeout(timeout),
            client: self.client,
        }
    }

    /// [`crate::TaskHandle::max_log_lines`].
    pub fn max_log_lines(self, lines: u64) -> TaskHandle {
        TaskHandle {
            inner: self.inner.max_log_lines(lines),
            client: self.client,
        }
    }

    /// The task's current status.
    pub fn status(&self) -> Result<TaskStatus> {
        let task = self.inner.clone();
        self.client
            .runtime()
            .run(async move { task.status().await })
    }

    /// Waits until the task stops ([`crate::TaskHandle::wait`]).
    pub fn wait(&self) -> Result<TaskOutcome> {
        let task = self.inner.clone();
        self.client.runtime().run(async move { task.wait().await })
    }

    /// Waits like [`wait`](TaskHandle::wait), calling `progress` on this thread after each
    /// poll ([`crate::TaskHandle::wait_with`]).
    pub fn wait_with(&self, mut progress: impl FnMut(&TaskProgress)) -> Result<TaskOutcome> {
        super::runtime::refuse_in_async_context()?;
        enum Message {
            Progress(Box<TaskProgress>),
            Done(Result<TaskOutcome>),
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let task = self.inner.clone();
        self.client.runtime().spawn(async move {
            let reports = tx.clone();
            let outcome = task
                .wait_with(move |p| {
                    let _ = reports.send(Message::Progress(Box::new(p.clone())));
                })
                .await;
            let _ = tx.send(Message::Done(outcome));
        });
        while let Some(message) = rx.blocking_recv() {
            match message {
                Message::Progress(report) => progress(&report),
                Message::Done(outcome) => return outcome,
            }
        }
        Err(Error::Blocking(
            "its runtime stopped during the call".into(),
        ))
    }

    /// Follows the task ([`crate::TaskHandle::follow`]): an iterator of its log lines as PVE
    /// writes them, then its exit; each `next` blocks until the next item.
    pub fn follow(&self) -> TaskFollow {
        TaskFollow {
            client: self.client.clone(),
            inner: Some(self.inner.follow()),
        }
    }

    /// Lines of the log from `start` (0-based), at most `limit`.
    pub fn log(&self, start: u64, limit: u64) -> Result<Vec<TaskLogLine>> {
        self.client.call(self.inner.log().start(start).limit(limit))
    }

    /// The whole log as it is now ([`crate::TaskHandle::log_all`]).
    pub fn log_all(&self) -> Result<Vec<TaskLogLine>> {
        let task = self.inner.clone();
        self.client
            .runtime()
            .run(async move { task.log_all().await })
    }
}

/// A task followed live, blocking: an iterator of [`TaskEvent`]s. Created by
/// [`TaskHandle::follow`].
#[derive(Debug)]
#[must_use = "an iterator does nothing unless iterated"]
pub struct TaskFollow {
    client: Client,
    inner: Option<crate::TaskFollow>,
}

impl Iterator for TaskFollow {
    type Item = Result<TaskEvent>;

    fn next(&mut self) -> Option<Result<TaskEvent>> {
        let mut follow = self.inner.take()?;
        let step = self.client.runtime().run(async move {
            let event = follow.next_event().await;
            Ok((event, follow))
        });
        match step {
            Ok((event, follow)) => {
                self.inner = event.is_some().then_some(follow);
                event
            }
            Err(e) => Some(Err(e)),
        }
    }
}
