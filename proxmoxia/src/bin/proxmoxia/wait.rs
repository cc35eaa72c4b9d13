//! Following a PVE task to its end: a progress line and the task's log as it grows, on
//! standard error. The outcome is the task's (`Error::Task` when it failed).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use proxmoxia::{Client, TaskHandle, TaskOutcome, Upid};

/// Time between looks at a running task (PVE's own GUI polls every second).
const POLL: Duration = Duration::from_secs(1);
/// Log lines read per request.
const PAGE: u64 = 500;
/// Status reads that may fail in a row (a dropped connection) before giving up.
const MAX_FAILURES: u32 = 5;

pub async fn follow(client: &Client, upid: &Upid) -> proxmoxia::Result<TaskOutcome> {
    let task = client.task(upid);
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let what = format!("{} {} on {}", upid.task_type(), upid.id(), upid.node());
    bar.set_message(format!("{what}: running"));
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut shown = 0u64;
    let mut failures = 0;
    let result = loop {
        // The status first: once it says stopped, the log read after it is complete.
        let status = match task.status().await {
            Ok(status) => {
                failures = 0;
                status
            }
            Err(e) if e.is_retry_safe() && failures < MAX_FAILURES => {
                failures += 1;
                tokio::time::sleep(POLL).await;
                continue;
            }
            Err(e) => break Err(e),
        };
        if let Err(e) = print_new_lines(&task, &bar, &mut shown).await {
            break Err(e);
        }
        if !status.is_running() {
            // The library's reading of the exit status (`OK`, `WARNINGS: n`, or `Error::Task`).
            break task.wait().await;
        }
        tokio::time::sleep(POLL).await;
    };
    // On a terminal the line stays, with the outcome; elsewhere nothing is drawn.
    let end = match &result {
        Ok(TaskOutcome::Ok) => "OK".to_owned(),
        Ok(TaskOutcome::Warnings(n)) => format!("WARNINGS: {n}"),
        Ok(_) => "done".to_owned(),
        Err(proxmoxia::Error::Task(_)) => "failed".to_owned(),
        Err(_) => "not followed to its end".to_owned(),
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.finish_with_message(format!("{what}: {end}"));
    result
}

async fn print_new_lines(
    task: &TaskHandle,
    bar: &ProgressBar,
    shown: &mut u64,
) -> proxmoxia::Result<()> {
    loop {
        let lines = task.log().start(*shown).limit(PAGE).await?;
        let count = lines.len() as u64;
        // PVE numbers lines from 1: a page that does not start after what was shown comes
        // from a server ignoring `start`; reading on would print it again and again.
        if lines.first().is_some_and(|l| l.n != (*shown + 1) as i64) {
            return Ok(());
        }
        for line in lines {
            bar.suspend(|| eprintln!("{}", line.t));
        }
        *shown += count;
        if count < PAGE {
            return Ok(());
        }
    }
}
