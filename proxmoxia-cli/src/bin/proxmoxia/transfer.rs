//! The progress bar of an upload or a download, on standard error: drawn only on a terminal
//! (indicatif hides it otherwise), and a one-line summary either way.

use std::time::Duration;

use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressStyle};
use proxmoxia::TransferProgress;

/// A bar of bytes against `total`, or a spinner with the bytes so far when the size is unknown.
pub fn bar(message: String, total: Option<u64>) -> ProgressBar {
    let (bar, template) = match total {
        Some(total) => (
            ProgressBar::new(total),
            "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {msg} {binary_bytes} {binary_bytes_per_sec}",
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// Moves the bar to a transfer's report (a retried upload starts again at 0).
pub fn show(bar: &ProgressBar, progress: TransferProgress) {
    if let Some(total) = progress.total {
        bar.set_length(total);
    }
    bar.set_position(progress.done);
}

/// Replaces the bar with the summary `what: N bytes (size)`; on a terminal with the time and
/// rate too (left out in a pipe so that a log reads the same every run).
pub fn finish(bar: &ProgressBar, what: &str, bytes: u64) {
    let mut line = format!("{what}: {bytes} bytes ({})", HumanBytes(bytes));
    if !bar.is_hidden() {
        let took = bar.elapsed();
        line.push_str(&format!(
            " in {}, {}/s",
            seconds(took),
            HumanBytes(rate(bytes, took))
        ));
    }
    bar.finish_and_clear();
    eprintln!("{line}");
}

/// `0.04s` under a minute (a short transfer is not "0 seconds"), else `3 minutes`.
fn seconds(took: Duration) -> String {
    if took < Duration::from_secs(60) {
        format!("{:.2}s", took.as_secs_f64())
    } else {
        HumanDuration(took).to_string()
    }
}

fn rate(bytes: u64, took: Duration) -> u64 {
    let secs = took.as_secs_f64();
    if secs > 0.0 {
        (bytes as f64 / secs) as u64
    } else {
        bytes
    }
}
