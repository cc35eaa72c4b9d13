//! Tasks a test drives by hand: started running, their log grown line by line, ended when
//! the test says (no clock involved), so a client following a task sees exactly the steps
//! the test takes.

use std::time::Duration;

use super::MockPve;
use super::state::unix_now;

/// Far enough ahead that the fake's own clock never ends a hand-driven task.
const NEVER: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

impl MockPve {
    /// Starts a task of type `kind` (`vzdump`, `download`, ...) about `id` on `node` that
    /// runs until [`finish_task`](MockPve::finish_task): its log grows only by
    /// [`append_task_log`](MockPve::append_task_log). Returns its UPID.
    pub fn start_task(&self, node: &str, kind: &str, id: &str) -> String {
        let mut state = self.state();
        let duration = std::mem::replace(&mut state.task_duration, NEVER);
        let user = self.user.clone();
        let upid = state.spawn_task(node, kind, id, &user, Vec::new(), Box::new(|_| Ok(vec![])));
        state.task_duration = duration;
        // Its log is the test's alone: without the opening line of a task that takes time.
        if let Some(task) = state.tasks.iter_mut().find(|t| t.upid == upid) {
            task.log.clear();
        }
        upid
    }

    /// Ends a running task now, as if its duration ([`set_task_duration`]) had passed: its
    /// work is done (or it waits for its guest's config lock, as then), its log gets the
    /// work's lines and `TASK OK` (or `TASK ERROR: ...`). For a test that observes a task
    /// running, then lets it end, without waiting on a clock.
    ///
    /// [`set_task_duration`]: MockPve::set_task_duration
    pub fn end_task(&self, upid: &str) {
        let mut state = self.state();
        let now = std::time::Instant::now();
        if let Some(task) = state
            .tasks
            .iter_mut()
            .find(|t| t.upid == upid && t.exitstatus.is_none())
        {
            task.ends_at = task.ends_at.min(now);
        }
        state.advance();
    }

    /// Appends lines to the log of a running task (of any kind).
    pub fn append_task_log(&self, upid: &str, lines: &[&str]) {
        let mut state = self.state();
        if let Some(task) = state
            .tasks
            .iter_mut()
            .find(|t| t.upid == upid && t.exitstatus.is_none())
        {
            task.log.extend(lines.iter().map(|l| (*l).to_owned()));
        }
    }

    /// Ends a task started by [`start_task`](MockPve::start_task): `None` with PVE's
    /// `TASK OK`, `Some(error)` with `TASK ERROR: error` (its exit status is the error).
    pub fn finish_task(&self, upid: &str, error: Option<&str>) {
        let mut state = self.state();
        if let Some(task) = state
            .tasks
            .iter_mut()
            .find(|t| t.upid == upid && t.exitstatus.is_none())
        {
            task.work = None;
            match error {
                None => {
                    task.log.push("TASK OK".into());
                    task.exitstatus = Some("OK".into());
                }
                Some(message) => {
                    task.log.push(format!("TASK ERROR: {message}"));
                    task.exitstatus = Some(message.to_owned());
                }
            }
            task.endtime = Some(unix_now());
        }
    }
}
