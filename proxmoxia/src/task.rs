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

crate::values::pve_response_struct! {
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

crate::values::pve_response_struct! {
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
    max_log_bytes: u64,
}

/// Polls that may fail in a row (network hiccups) before `wait` gives up.
const MAX_POLL_FAILURES: u32 = 5;
/// Lines asked for per log page.
const LOG_PAGE: u64 = 500;
/// Most log lines read from one task by default (a server that never stops sending is cut
/// off here): far more than PVE's longest logs.
pub const DEFAULT_MAX_LOG_LINES: u64 = 1_000_000;
/// Most bytes of log text read from one task by default: 64 MiB, far more than PVE's
/// longest logs.
pub const DEFAULT_MAX_LOG_BYTES: u64 = 64 * 1024 * 1024;

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
            max_log_bytes: DEFAULT_MAX_LOG_BYTES,
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

    /// Most log lines [`log_stream`](TaskHandle::log_stream), [`log_all`](TaskHandle::log_all),
    /// [`follow`](TaskHandle::follow) and [`wait_with`](TaskHandle::wait_with) read (default
    /// [`DEFAULT_MAX_LOG_LINES`]); past it they fail with [`Error::Decode`] instead of
    /// reading a server's endless answer.
    pub fn max_log_lines(mut self, lines: u64) -> TaskHandle {
        self.max_log_lines = lines;
        self
    }

    /// Most bytes of log text (the lines' `t`, as UTF-8) the same reads take (default
    /// [`DEFAULT_MAX_LOG_BYTES`]); past it they fail with [`Error::Decode`]. With
    /// [`max_log_lines`](TaskHandle::max_log_lines) it bounds what
    /// [`log_all`](TaskHandle::log_all) holds: this many bytes of text, and about 100 bytes
    /// more a line.
    pub fn max_log_bytes(mut self, bytes: u64) -> TaskHandle {
        self.max_log_bytes = bytes;
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
        crate::decode::data(&body).map_err(|e| e.answering("GET"))
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

    /// The log as it is now, line by line, read in pages of 500 with `start` offsets: each
    /// line number once, in increasing order (a line numbered at or before one already read
    /// is left out). A server that answers a page that does not move on (it ignores
    /// `start`), a line numbered below 1, or more than
    /// [`max_log_lines`](TaskHandle::max_log_lines) or
    /// [`max_log_bytes`](TaskHandle::max_log_bytes) ends it with [`Error::Decode`].
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

/// Reads a log in order with `start` offsets: each line number once, in increasing order,
/// bounded in lines and bytes.
struct LogReader {
    task: TaskHandle,
    cursor: LogCursor,
}

impl LogReader {
    fn new(task: TaskHandle) -> LogReader {
        let cursor = LogCursor::new(task.max_log_lines, task.max_log_bytes);
        LogReader { task, cursor }
    }

    /// The next page: its new lines, and whether a full page came (more may follow).
    async fn page(&mut self) -> Result<(Vec<TaskLogLine>, bool)> {
        let page = self
            .task
            .log()
            .start(self.cursor.last)
            .limit(LOG_PAGE)
            .await?;
        self.cursor
            .read(&self.task.upid, page, LOG_PAGE)
            .map_err(|e| e.answering("GET"))
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

/// Where a log read stands, and the pages it was given read into new lines: what a
/// [`LogReader`] does without the server.
#[derive(Debug)]
struct LogCursor {
    /// The number `n` of the last line read (PVE numbers lines from 1), and so the next
    /// page's `start`.
    last: u64,
    /// Lines and bytes of text read so far, and their limits.
    lines: u64,
    bytes: u64,
    max_lines: u64,
    max_bytes: u64,
}

impl LogCursor {
    fn new(max_lines: u64, max_bytes: u64) -> LogCursor {
        LogCursor {
            last: 0,
            lines: 0,
            bytes: 0,
            max_lines,
            max_bytes,
        }
    }

    /// The new lines of a page of task `upid`'s log asked for from `last` on, at most
    /// `limit` lines, and whether it was full.
    fn read(
        &mut self,
        upid: &Upid,
        page: Vec<TaskLogLine>,
        limit: u64,
    ) -> Result<(Vec<TaskLogLine>, bool)> {
        let full = page.len() as u64 >= limit;
        // PVE answers an empty log file with one made-up line.
        if self.last == 0 && page.len() == 1 && page[0].n == 1 && page[0].t == "no content" {
            return Ok((Vec::new(), false));
        }
        let asked = self.last;
        let mut lines = Vec::with_capacity(page.len());
        for (i, line) in page.into_iter().enumerate() {
            let Ok(n @ 1..) = u64::try_from(line.n) else {
                return Err(Error::decode(
                    format!(
                        "the log of task {upid} numbers a line {}: PVE numbers them from 1",
                        line.n
                    ),
                    format!("data[{i}].n"),
                    "",
                ));
            };
            // At or before what was read: already yielded (or out of order).
            if n <= self.last {
                continue;
            }
            self.last = n;
            self.lines += 1;
            self.bytes = self.bytes.saturating_add(line.t.len() as u64);
            let (max_lines, max_bytes) = (self.max_lines, self.max_bytes);
            if self.lines > max_lines {
                return Err(Error::decode(
                    format!(
                        "the log of task {upid} is longer than {max_lines} lines (max_log_lines)"
                    ),
                    "data",
                    "",
                ));
            }
            if self.bytes > max_bytes {
                return Err(Error::decode(
                    format!(
                        "the log of task {upid} is longer than {max_bytes} bytes (max_log_bytes)"
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
                    "the log of task {upid} did not move on: asked for lines after {asked}, got only earlier ones (the server ignores `start`)"
                ),
                "data[0].n",
                "",
            ));
        }
        Ok((lines, full))
    }
}

/// What a log read makes of the answers of `pages` (bodies, decoded as a typed call decodes
/// them), each asked for at most `limit` lines, within `max_lines` and `max_bytes`: the
/// lines read, and the error that ended it. For the fuzz target of the log reader.
#[doc(hidden)]
pub fn read_log_pages(
    pages: &[&[u8]],
    limit: u64,
    max_lines: u64,
    max_bytes: u64,
) -> (Vec<TaskLogLine>, Option<Error>) {
    let upid = Upid::parse("UPID:pve1:00001234:00005678:65000000:vzdump:100:root@pam:");
    let Ok(upid) = upid else {
        return (Vec::new(), None);
    };
    let mut cursor = LogCursor::new(max_lines, max_bytes);
    let mut read = Vec::new();
    for body in pages {
        let page = crate::decode::data::<Vec<TaskLogLine>>(body)
            .and_then(|page| cursor.read(&upid, page, limit));
        match page {
            Ok((lines, _)) => read.extend(lines),
            Err(e) => return (read, Some(e)),
        }
    }
    (read, None)
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
        crate::decode::data(&body).map_err(|e| e.answering("GET"))
    }
}

impl IntoFuture for TaskLogRequest {
    type Output = Result<Vec<TaskLogLine>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
