//! PVE tasks: waiting for one (by its [`Upid`]), following its log as PVE writes it, and
//! reading its log in bounded pages.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
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
    max_log_lines: u64,
}

/// Polls that may fail in a row (network hiccups) before `wait` gives up.
const MAX_POLL_FAILURES: u32 = 5;
/// Lines asked for per log page.
const LOG_PAGE: u64 = 500;
/// Most log lines read from one task by default (a server that never stops sending is cut
/// off here): far more than PVE's longest logs.
pub const DEFAULT_MAX_LOG_LINES: u64 = 1_000_000;

/// How a stopped task ended: PVE's exit status. The last item of
/// [`TaskHandle::follow`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskExit {
    /// The task.
    pub upid: Upid,
    /// `OK`, `WARNINGS: n`, or the error, as PVE reports it.
    pub exitstatus: String,
}

impl TaskExit {
    /// The exit status read as [`TaskHandle::wait`] reads it: `OK` and `WARNINGS: n` are
    /// outcomes, anything else is [`Error::Task`].
    pub fn outcome(&self) -> Result<TaskOutcome> {
        let exit = self.exitstatus.trim();
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
}

/// One item of [`TaskHandle::follow`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TaskEvent {
    /// The next line of the log, in order, each line once.
    Line(TaskLogLine),
    /// The task stopped and every line of its log was yielded: the last item.
    Exit(TaskExit),
}

/// What [`TaskHandle::wait_with`] tells its callback after each poll.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TaskProgress {
    /// Time since waiting began.
    pub elapsed: Duration,
    /// The task's status at this poll.
    pub status: TaskStatus,
    /// The newest line of its log so far.
    pub last_line: Option<TaskLogLine>,
}

impl TaskHandle {
    pub(crate) fn new(client: Client, upid: Upid) -> TaskHandle {
        TaskHandle {
            client,
            upid,
            poll_interval: Duration::from_secs(1),
            timeout: None,
            max_log_lines: DEFAULT_MAX_LOG_LINES,
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

    /// Most log lines [`log_stream`](TaskHandle::log_stream), [`log_all`](TaskHandle::log_all)
    /// and [`follow`](TaskHandle::follow) read (default [`DEFAULT_MAX_LOG_LINES`]); past it
    /// they fail with [`Error::Decode`] instead of reading a server's endless answer.
    pub fn max_log_lines(mut self, lines: u64) -> TaskHandle {
        self.max_log_lines = lines;
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
        let mut clock = PollClock::new(self);
        loop {
            match self.status().await {
                Ok(status) if !status.is_running() => return self.exit(status).outcome(),
                Ok(_) => clock.failures = 0,
                Err(e) => clock.failed(e)?,
            }
            clock.pause().await?;
        }
    }

    /// Waits like [`wait`](TaskHandle::wait), reading the log as it grows, and calls
    /// `progress` after each poll with the time waited, the status and the newest log line
    /// (for a progress bar or a spinner).
    pub async fn wait_with(
        &self,
        mut progress: impl FnMut(&TaskProgress) + Send,
    ) -> Result<TaskOutcome> {
        let mut clock = PollClock::new(self);
        let mut reader = LogReader::new(self.clone());
        let mut last_line = None;
        loop {
            match reader.poll().await {
                Ok((status, lines)) => {
                    clock.failures = 0;
                    if let Some(line) = lines.into_iter().next_back() {
                        last_line = Some(line);
                    }
                    let stopped = !status.is_running();
                    let report = TaskProgress {
                        elapsed: clock.started.elapsed(),
                        status,
                        last_line: last_line.clone(),
                    };
                    progress(&report);
                    if stopped {
                        return self.exit(report.status).outcome();
                    }
                }
                Err(e) => clock.failed(e)?,
            }
            clock.pause().await?;
        }
    }

    /// Follows the task: a [`Stream`] of its log lines as PVE writes them (read with `start`
    /// offsets, each line once and in order, none skipped), then its [`TaskExit`] as the last
    /// item. Polls every [`poll_interval`](TaskHandle::poll_interval); failed polls are
    /// retried as in [`wait`](TaskHandle::wait); the [`timeout`](TaskHandle::timeout) ends it
    /// with [`Error::TaskTimeout`]. An error is the last item.
    ///
    /// ```no_run
    /// # async fn demo(task: proxmoxia::TaskHandle) -> proxmoxia::Result<()> {
    /// use proxmoxia::TaskEvent;
    ///
    /// let mut follow = task.follow();
    /// while let Some(event) = follow.next_event().await {
    ///     match event? {
    ///         TaskEvent::Line(line) => println!("{}", line.t),
    ///         TaskEvent::Exit(exit) => println!("{:?}", exit.outcome()),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn follow(&self) -> TaskFollow {
        let state = FollowState {
            task: self.clone(),
            reader: LogReader::new(self.clone()),
            pending: VecDeque::new(),
            exit: None,
            polled: false,
            clock: PollClock::new(self),
        };
        TaskFollow {
            inner: Box::pin(futures_util::stream::unfold(Some(state), follow_step)),
        }
    }

    fn exit(&self, status: TaskStatus) -> TaskExit {
        TaskExit {
            upid: self.upid.clone(),
            exitstatus: status.exitstatus.unwrap_or_default(),
        }
    }

    /// The task log; `.await` it for the first 50 lines, or set `start` and `limit`.
    pub fn log(&self) -> TaskLogRequest {
        TaskLogRequest {
            task: self.clone(),
            start: None,
            limit: None,
        }
    }

    /// The log as it is now, line by line, read in pages of 500 with `start` offsets. A
    /// server that answers a page that does not move on (it ignores `start`) or more than
    /// [`max_log_lines`](TaskHandle::max_log_lines) ends it with [`Error::Decode`].
    pub fn log_stream(&self) -> TaskLogStream {
        let reader = LogReader::new(self.clone());
        let state = (reader, VecDeque::new(), false);
        let stream = futures_util::stream::unfold(Some(state), |state| async move {
            let (mut reader, mut pending, mut done) = state?;
            loop {
                if let Some(line) = pending.pop_front() {
                    return Some((Ok(line), Some((reader, pending, done))));
                }
                if done {
                    return None;
                }
                match reader.page().await {
                    Ok((lines, more)) => {
                        pending.extend(lines);
                        done = !more;
                    }
                    Err(e) => return Some((Err(e), None)),
                }
            }
        });
        TaskLogStream {
            inner: Box::pin(stream),
        }
    }

    /// The whole log as it is now (see [`log_stream`](TaskHandle::log_stream) for the
    /// bounds).
    pub async fn log_all(&self) -> Result<Vec<TaskLogLine>> {
        let mut stream = self.log_stream();
        let mut lines = Vec::new();
        while let Some(line) = stream.next_line().await {
            lines.push(line?);
        }
        Ok(lines)
    }
}

/// The time side of polling: when to give up, how long to pause, failures in a row.
struct PollClock {
    upid: Upid,
    started: tokio::time::Instant,
    interval: Duration,
    timeout: Option<Duration>,
    failures: u32,
}

impl PollClock {
    fn new(task: &TaskHandle) -> PollClock {
        PollClock {
            upid: task.upid.clone(),
            started: tokio::time::Instant::now(),
            interval: task.poll_interval,
            timeout: task.timeout,
            failures: 0,
        }
    }

    /// A failed poll: retried (Ok) while it is safe and the failures in a row are few.
    fn failed(&mut self, e: Error) -> Result<()> {
        if e.is_retry_safe() && self.failures < MAX_POLL_FAILURES {
            self.failures += 1;
            tracing::debug!(upid = %self.upid, error = %e, "task poll failed; retrying");
            Ok(())
        } else {
            Err(e)
        }
    }

    /// Sleeps until the next poll, or fails once the timeout has passed.
    async fn pause(&self) -> Result<()> {
        let mut pause = self.interval;
        if let Some(limit) = self.timeout {
            let waited = self.started.elapsed();
            if waited >= limit {
                return Err(Error::TaskTimeout {
                    upid: Box::new(self.upid.clone()),
                    waited,
                });
            }
            pause = pause.min(limit - waited);
        }
        tokio::time::sleep(pause).await;
        Ok(())
    }
}

/// Reads a log in order with `start` offsets: each line once, none skipped, bounded.
struct LogReader {
    task: TaskHandle,
    /// Lines read so far: the next page's `start`; PVE numbers lines from 1, so it is also
    /// the number `n` of the last line read.
    next: u64,
}

impl LogReader {
    fn new(task: TaskHandle) -> LogReader {
        LogReader { task, next: 0 }
    }

    /// The next page: its new lines, and whether a full page came (more may follow).
    async fn page(&mut self) -> Result<(Vec<TaskLogLine>, bool)> {
        let page = self.task.log().start(self.next).limit(LOG_PAGE).await?;
        let full = page.len() as u64 >= LOG_PAGE;
        // PVE answers an empty log file with one made-up line.
        if self.next == 0 && page.len() == 1 && page[0].n == 1 && page[0].t == "no content" {
            return Ok((Vec::new(), false));
        }
        let asked = self.next;
        let mut lines = Vec::with_capacity(page.len());
        for line in page {
            // A line at or before what was read is one already yielded.
            if line.n > 0 && (line.n as u64) <= self.next {
                continue;
            }
            self.next += 1;
            if self.next > self.task.max_log_lines {
                return Err(Error::decode(
                    format!(
                        "the log of task {} is longer than {} lines (max_log_lines)",
                        self.task.upid, self.task.max_log_lines
                    ),
                    "data",
                    "",
                ));
            }
            lines.push(line);
        }
        if full && lines.is_empty() {
            return Err(Error::decode(
                format!(
                    "the log of task {} did not move on: asked for lines after {asked}, got only earlier ones (the server ignores `start`)",
                    self.task.upid
                ),
                "data[0].n",
                "",
            ));
        }
        Ok((lines, full))
    }

    /// One poll of a running task: its status, then every line written so far. The status
    /// is read first, so the log read after a `stopped` status is complete.
    async fn poll(&mut self) -> Result<(TaskStatus, Vec<TaskLogLine>)> {
        let status = self.task.status().await?;
        let mut lines = Vec::new();
        loop {
            let (page, more) = self.page().await?;
            lines.extend(page);
            if !more {
                return Ok((status, lines));
            }
        }
    }
}

struct FollowState {
    task: TaskHandle,
    reader: LogReader,
    pending: VecDeque<TaskLogLine>,
    exit: Option<TaskExit>,
    polled: bool,
    clock: PollClock,
}

async fn follow_step(
    state: Option<FollowState>,
) -> Option<(Result<TaskEvent>, Option<FollowState>)> {
    let mut st = state?;
    loop {
        if let Some(line) = st.pending.pop_front() {
            return Some((Ok(TaskEvent::Line(line)), Some(st)));
        }
        if let Some(exit) = st.exit.take() {
            return Some((Ok(TaskEvent::Exit(exit)), None));
        }
        if st.polled
            && let Err(e) = st.clock.pause().await
        {
            return Some((Err(e), None));
        }
        st.polled = true;
        match st.reader.poll().await {
            Ok((status, lines)) => {
                st.clock.failures = 0;
                st.pending.extend(lines);
                if !status.is_running() {
                    st.exit = Some(st.task.exit(status));
                }
            }
            Err(e) => {
                if let Err(e) = st.clock.failed(e) {
                    return Some((Err(e), None));
                }
            }
        }
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T>> + Send>>;

/// A task followed live: a [`Stream`] of [`TaskEvent`]s. Created by [`TaskHandle::follow`].
#[must_use = "a stream does nothing unless polled"]
pub struct TaskFollow {
    inner: BoxStream<TaskEvent>,
}

impl std::fmt::Debug for TaskFollow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskFollow")
    }
}

impl TaskFollow {
    /// The next event (the stream's next item without importing a `StreamExt`).
    pub async fn next_event(&mut self) -> Option<Result<TaskEvent>> {
        std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx)).await
    }
}

impl Stream for TaskFollow {
    type Item = Result<TaskEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A task log read page by page: a [`Stream`] of lines. Created by
/// [`TaskHandle::log_stream`].
#[must_use = "a stream does nothing unless polled"]
pub struct TaskLogStream {
    inner: BoxStream<TaskLogLine>,
}

impl std::fmt::Debug for TaskLogStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskLogStream")
    }
}

impl TaskLogStream {
    /// The next line (the stream's next item without importing a `StreamExt`).
    pub async fn next_line(&mut self) -> Option<Result<TaskLogLine>> {
        std::future::poll_fn(|cx| self.inner.as_mut().poll_next(cx)).await
    }
}

impl Stream for TaskLogStream {
    type Item = Result<TaskLogLine>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
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
