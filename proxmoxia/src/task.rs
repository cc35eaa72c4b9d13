//! PVE tasks: the `Upid` that identifies one, waiting for it, and reading its log.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Method;
use serde_core::{Deserialize, Serialize};
use serde_json::Value;

use crate::Client;
use crate::encode::{Form, encode_segment};
use crate::error::{Error, Result, TaskFailed};

/// A task id: `UPID:node:pid:pstart:starttime:type:id:user:`.
///
/// Parsed strictly (PVE's own pattern); printed back exactly as received.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Upid {
    text: String,
    node: String,
    pid: u32,
    pstart: u64,
    starttime: i64,
    kind: String,
    id: String,
    user: String,
}

impl Upid {
    /// Parses a UPID.
    pub fn parse(text: &str) -> Result<Upid> {
        let bad = |why: &str| Error::decode(format!("invalid UPID ({why})"), "upid", text);
        let rest = text
            .strip_prefix("UPID:")
            .ok_or_else(|| bad("no UPID: prefix"))?;
        let rest = rest
            .strip_suffix(':')
            .ok_or_else(|| bad("no trailing colon"))?;
        let fields: Vec<&str> = rest.split(':').collect();
        let [node, pid, pstart, starttime, kind, id, user] = fields[..] else {
            return Err(bad("expected 7 fields"));
        };
        let hex = |s: &str, max: usize, what: &str| {
            if s.len() < 8 || s.len() > max || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(what));
            }
            u64::from_str_radix(s, 16).map_err(|_| bad(what))
        };
        let node_ok = !node.is_empty()
            && node.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !node.starts_with('-')
            && !node.ends_with('-');
        if !node_ok {
            return Err(bad("node"));
        }
        let no_space = |s: &str| !s.bytes().any(|b| b.is_ascii_whitespace());
        if kind.is_empty() || user.is_empty() || !no_space(kind) || !no_space(id) || !no_space(user)
        {
            return Err(bad("type, id or user"));
        }
        Ok(Upid {
            text: text.to_owned(),
            node: node.to_owned(),
            pid: u32::try_from(hex(pid, 8, "pid")?).map_err(|_| bad("pid"))?,
            pstart: hex(pstart, 9, "pstart")?,
            starttime: i64::try_from(hex(starttime, 8, "starttime")?)
                .map_err(|_| bad("starttime"))?,
            kind: kind.to_owned(),
            id: id.to_owned(),
            user: user.to_owned(),
        })
    }

    /// The node the task runs on.
    pub fn node(&self) -> &str {
        &self.node
    }
    /// The worker's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// The worker's process start time (clock ticks since boot).
    pub fn pstart(&self) -> u64 {
        self.pstart
    }
    /// When the task started, seconds since the Unix epoch.
    pub fn starttime(&self) -> i64 {
        self.starttime
    }
    /// The task type (`qmstart`, `vzcreate`, `imgcopy`, ...).
    pub fn task_type(&self) -> &str {
        &self.kind
    }
    /// The object the task works on (a VM id, a storage, ...); may be empty.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The user (or API token) that started it.
    pub fn user(&self) -> &str {
        &self.user
    }
    /// The UPID text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Upid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Upid({})", self.text)
    }
}

impl FromStr for Upid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Upid> {
        Upid::parse(s)
    }
}

impl Serialize for Upid {
    fn serialize<S: serde_core::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Upid {
    fn deserialize<D: serde_core::Deserializer<'de>>(d: D) -> std::result::Result<Upid, D::Error> {
        let text = String::deserialize(d)?;
        Upid::parse(&text).map_err(serde_core::de::Error::custom)
    }
}

impl TryFrom<Value> for Upid {
    type Error = Error;
    /// A UPID from an API answer's `data` (a JSON string).
    fn try_from(value: Value) -> Result<Upid> {
        match value {
            Value::String(s) => Upid::parse(&s),
            other => Err(Error::decode(
                "expected a UPID string",
                "data",
                other.to_string(),
            )),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "UPID:pve1:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam!ci:";

    #[test]
    fn upid_parses_fields_and_prints_back() {
        let upid = Upid::parse(SAMPLE).unwrap();
        assert_eq!(upid.node(), "pve1");
        assert_eq!(upid.pid(), 1000);
        assert_eq!(upid.pstart(), 7000);
        assert_eq!(upid.starttime(), 0x6751A2B3);
        assert_eq!(upid.task_type(), "vzcreate");
        assert_eq!(upid.id(), "101");
        assert_eq!(upid.user(), "root@pam!ci");
        assert_eq!(upid.to_string(), SAMPLE);
        let json = serde_json::to_string(&upid).unwrap();
        assert_eq!(serde_json::from_str::<Upid>(&json).unwrap(), upid);
    }

    #[test]
    fn upid_with_empty_id_and_long_pstart_parses() {
        let upid =
            Upid::parse("UPID:node-2:0000ABCD:123456789:6751A2B3:imgcopy::root@pam:").unwrap();
        assert_eq!(upid.id(), "");
        assert_eq!(upid.pstart(), 0x123456789);
    }

    #[test]
    fn bad_upids_are_errors_not_panics() {
        for bad in [
            "",
            "UPID:",
            "UPID:pve1:1:2:3:x:y:z:",
            "UPID:pve1:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam",
            "PID:pve1:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam:",
            "UPID:-pve:000003E8:00001B58:6751A2B3:vzcreate:101:root@pam:",
            "UPID:pve1:FFFFFFFFF:00001B58:6751A2B3:vzcreate:101:root@pam:",
            "UPID:pve1:000003E8:00001B58:6751A2B3::101:root@pam:",
        ] {
            assert!(Upid::parse(bad).is_err(), "{bad}");
        }
    }
}
