//! PVE tasks: waiting for one (by its [`Upid`]) and reading its log.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use reqwest::Method;

use crate::Client;
use crate::encode::{Form, encode_segment};
use crate::error::{Error, Result, TaskFailed};
use crate::upid::Upid;

impl Client {
    /// A PVE task (from the UPID an API call returned): wait for it, read its log.
    pub fn task(&self, upid: &Upid) -> TaskHandle {
        TaskHandle::new(self.clone(), upid.clone())
    }
}

/// How a finished task ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskOutcome {
    /// `OK`.
    Ok,
    /// `WARNINGS: n`: it finished, with n warnings in its log.
    Warnings(u32),
}

crate::typed::pve_response_struct! {
    /// A snapshot of `GET /nodes/{node}/tasks/{upid}/status`.
    TaskStatus {
        fields {
            /// `running` or `stopped`.
            "status" status: String,
            /// Once stopped: `OK`, `WARNINGS: n`, or the error.
            "exitstatus" exitstatus: Option<String>,
        }
        families {}
    }
}

impl TaskStatus {
    /// True while the task runs.
    pub fn is_running(&self) -> bool {
        self.status == "running"
    }
}

crate::typed::pve_response_struct! {
    /// One line of a task log.
    TaskLogLine {
        fields {
            /// Line number, from 1.
            "n" n: i64,
            /// The text.
            "t" t: String,
        }
        families {}
    }
}

/// A task on a cluster. Created by [`Client::task`].
#[derive(Debug, Clone)]
#[must_use]
pub struct TaskHandle {
    client: Client,
    upid: Upid,
    poll_interval: Duration,
    timeout: Option<Duration>,
}

/// Polls that may fail in a row (network hiccups) before `wait` gives up.
const MAX_POLL_FAILURES: u32 = 5;

impl TaskHandle {
    pub(crate) fn new(client: Client, upid: Upid) -> TaskHandle {
        TaskHandle {
            client,
            upid,
            poll_interval: Duration::from_secs(1),
            timeout: None,
        }
    }

    /// The task's UPID.
    pub fn upid(&self) -> &Upid {
        &self.upid
    }

    /// Time between status polls while waiting (default 1 s; the first poll is immediate).
    pub fn poll_interval(mut self, interval: Duration) -> TaskHandle {
        self.poll_interval = interval;
        self
    }

    /// Give up waiting after this long with [`Error::TaskTimeout`] (default: wait for ever).
    /// The task itself goes on.
    pub fn timeout(mut self, timeout: Duration) -> TaskHandle {
        self.timeout = Some(timeout);
        self
    }

    fn path(&self, tail: &str) -> String {
        format!(
            "nodes/{}/tasks/{}/{tail}",
            encode_segment(self.upid.node()),
            encode_segment(self.upid.as_str())
        )
    }

    /// The task's current status.
    pub async fn status(&self) -> Result<TaskStatus> {
        let body = self
            .client
            .send(Method::GET, &self.path("status"), Form::new())
            .await?;
        crate::decode::data(&body)
    }

    /// Waits until the task stops. `OK` and `WARNINGS: n` are outcomes; any other exit
    /// status is [`Error::Task`] with PVE's text. Polls that fail on the way (a dropped
    /// connection) are retried a few times, as reads are safe to repeat.
    pub async fn wait(&self) -> Result<TaskOutcome> {
        let started = tokio::time::Instant::now();
        let mut failures = 0;
        loop {
            match self.status().await {
                Ok(status) if !status.is_running() => return self.outcome(status),
                Ok(_) => failures = 0,
                Err(e) if e.is_retry_safe() && failures < MAX_POLL_FAILURES => {
                    failures += 1;
                    tracing::debug!(upid = %self.upid, error = %e, "task poll failed; retrying");
                }
                Err(e) => return Err(e),
            }
            let mut pause = self.poll_interval;
            if let Some(limit) = self.timeout {
                let waited = started.elapsed();
                if waited >= limit {
                    return Err(Error::TaskTimeout {
                        upid: Box::new(self.upid.clone()),
                        waited,
                    });
                }
                pause = pause.min(limit - waited);
            }
            tokio::time::sleep(pause).await;
        }
    }

    fn outcome(&self, status: TaskStatus) -> Result<TaskOutcome> {
        let exit = status.exitstatus.unwrap_or_default();
        let exit = exit.trim();
        if exit == "OK" {
            return Ok(TaskOutcome::Ok);
        }
        if let Some(count) = exit.strip_prefix("WARNINGS:") {
            return Ok(TaskOutcome::Warnings(count.trim().parse().unwrap_or(1)));
        }
        Err(Error::Task(Box::new(TaskFailed {
            upid: self.upid.clone(),
            exitstatus: exit.to_owned(),
        })))
    }

    /// The task log; `.await` it for the first 50 lines, or set `start` and `limit`.
    pub fn log(&self) -> TaskLogRequest {
        TaskLogRequest {
            task: self.clone(),
            start: None,
            limit: None,
        }
    }

    /// The whole log, read in pages.
    pub async fn log_all(&self) -> Result<Vec<TaskLogLine>> {
        const PAGE: u64 = 500;
        let mut lines = Vec::new();
        loop {
            let page = self.log().start(lines.len() as u64).limit(PAGE).await?;
            let last_page = (page.len() as u64) < PAGE;
            lines.extend(page);
            if last_page {
                return Ok(lines);
            }
        }
    }
}

/// A request for part of a task log. Created by [`TaskHandle::log`].
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct TaskLogRequest {
    task: TaskHandle,
    start: Option<u64>,
    limit: Option<u64>,
}

impl TaskLogRequest {
    /// First line to return (0-based).
    pub fn start(mut self, start: u64) -> TaskLogRequest {
        self.start = Some(start);
        self
    }

    /// Most lines to return (PVE's default is 50).
    pub fn limit(mut self, limit: u64) -> TaskLogRequest {
        self.limit = Some(limit);
        self
    }

    async fn send(self) -> Result<Vec<TaskLogLine>> {
        let mut form = Form::new();
        if let Some(start) = self.start {
            form.push("start", start.to_string());
        }
        if let Some(limit) = self.limit {
            form.push("limit", limit.to_string());
        }
        let body = self
            .task
            .client
            .send(Method::GET, &self.task.path("log"), form)
            .await?;
        crate::decode::data(&body)
    }
}

impl IntoFuture for TaskLogRequest {
    type Output = Result<Vec<TaskLogLine>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
