//! Peak memory of one decoder, measured in a fresh child process (this benchmark run again)
//! so that no decoder inherits another's heap: the kernel's high-water mark of resident
//! memory (`VmHWM`) after the decode, less the resident memory just before it (the fixture
//! included), with the mark reset in between through `/proc/self/clear_refs`.

use std::process::Command;

/// The variable that makes this benchmark a child measuring one decoder.
pub const CHILD: &str = "PROXMOXIA_DECODE_BENCH_CHILD";

/// A field of `/proc/self/status`, in kB.
fn status_kb(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// In the child: resets the high-water mark and returns the resident memory now (kB).
pub fn baseline() -> Result<u64, String> {
    std::fs::write("/proc/self/clear_refs", "5")
        .map_err(|e| format!("cannot reset the peak (/proc/self/clear_refs): {e}"))?;
    status_kb("VmRSS")
}

/// In the child: the peak since [`baseline`], above it (kB).
pub fn above(baseline: u64) -> Result<u64, String> {
    Ok(status_kb("VmHWM")?.saturating_sub(baseline))
}

/// In the parent: runs a child for `decoder` `runs` times, the smallest peak (kB).
pub fn measure(decoder: &str, runs: usize) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut best = u64::MAX;
    for _ in 0..runs {
        let out = Command::new(&exe)
            .env(CHILD, decoder)
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("child for {decoder} failed: {text}{err}"));
        }
        let kb = text
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("child for {decoder} printed {text:?}"))?;
        best = best.min(kb);
    }
    Ok(best)
}
