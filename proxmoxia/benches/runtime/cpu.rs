//! CPU time of this process: the sum over its threads of the time they ran
//! (`/proc/self/task/*/schedstat`, nanoseconds; `getrusage` counts in ticks on some kernels
//! and needs `unsafe` or a dependency). The peer runs in another process, so this is the
//! client's CPU alone.

use std::time::Duration;

/// The CPU time all threads of this process have used so far.
pub fn used() -> Result<Duration, String> {
    Ok(Duration::from_nanos(schedstat(0)?))
}

/// How many times the threads of this process were put on a CPU so far (each wake-up of a
/// parked worker is one).
pub fn runs() -> Result<u64, String> {
    schedstat(2)
}

/// The sum over this process's threads of field `field` of their `schedstat`.
fn schedstat(field: usize) -> Result<u64, String> {
    let mut sum: u64 = 0;
    let tasks =
        std::fs::read_dir("/proc/self/task").map_err(|e| format!("/proc/self/task: {e}"))?;
    for task in tasks {
        let task = task.map_err(|e| e.to_string())?;
        // A thread may end between the listing and the read: it is then not counted.
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        let value: u64 = text
            .split_whitespace()
            .nth(field)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("unreadable schedstat {text:?}"))?;
        sum += value;
    }
    Ok(sum)
}
