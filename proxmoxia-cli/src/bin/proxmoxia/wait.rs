//! Following a PVE task to its end: a progress line (on a terminal) and the task's log as PVE
//! writes it, on standard error, from the library's `TaskHandle::follow`. The outcome is the
//! task's (`Error::Task` when it failed: exit status 3); Ctrl-C stops following (exit status
//! 130), not the task.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use proxmoxia::{TaskEvent, TaskHandle, TaskOutcome};

use crate::escape::escape;
use crate::fail::Fail;

pub async fn follow(task: &TaskHandle) -> Result<TaskOutcome, Fail> {
    let upid = task.upid();
    // Some tasks have no id (an upload's `imgcopy`). The UPID is the server's text.
    let what = match upid.id() {
        "" => format!("{} on {}", upid.task_type(), upid.node()),
        id => format!("{} {id} on {}", upid.task_type(), upid.node()),
    };
    let what = escape(&what);
    // indicatif draws only on a terminal; `suspend` prints the log lines either way.
    let bar = ProgressBar::new_spinner();
    bar.set_style(style("{spinner} {msg} ({elapsed})"));
    bar.set_message(format!("{what}: running"));
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut events = task.follow();
    let mut result = None;
    let mut interrupt = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let event = tokio::select! {
            event = events.next_event() => event,
            _ = &mut interrupt => {
                bar.abandon_with_message(format!("{what}: not followed to its end"));
                return Err(Fail::interrupted(format!(
                    "interrupted: task {upid} goes on on PVE (`proxmoxia delete /nodes/{}/tasks/{upid}` stops it)",
                    upid.node()
                )));
            }
        };
        match event {
            Some(Ok(TaskEvent::Line(line))) => bar.suspend(|| eprintln!("{}", escape(&line.t))),
            Some(Ok(TaskEvent::Exit(exit))) => result = Some(exit.outcome()),
            Some(Ok(_)) => {}
            Some(Err(e)) => result = Some(Err(e)),
            None => break,
        }
    }
    // On a terminal the line stays, with the outcome.
    let end = match &result {
        Some(Ok(TaskOutcome::Ok)) => "OK".to_owned(),
        Some(Ok(TaskOutcome::Warnings(n))) => format!("WARNINGS: {n}"),
        Some(Ok(_)) => "done".to_owned(),
        Some(Err(proxmoxia::Error::Task(_))) => "failed".to_owned(),
        _ => "not followed to its end".to_owned(),
    };
    bar.set_style(style("{msg} ({elapsed})"));
    bar.finish_with_message(format!("{what}: {end}"));
    match result {
        Some(outcome) => Ok(outcome?),
        None => Err(Fail::new(format!(
            "task {upid}: its log ended without its exit status"
        ))),
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}
