//! What ends a run early: a message and an exit status.
//!
//! The `proxmoxia` command's exit statuses are [`EXIT_STATUSES`], decided here only: `--help`
//! prints that table and the CLI README's "Exit status" states it (a test compares them).

use std::fmt;

/// Exit status of a run that failed: the API, the connection, a local file.
pub const FAILED: u8 = 1;
/// Exit status of a command line that makes no sense (clap's own for its errors too).
pub const USAGE: u8 = 2;
/// Exit status of a run whose task failed.
pub const TASK_FAILED: u8 = 3;
/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

/// Every exit status of the command and what it means.
pub const EXIT_STATUSES: [(u8, &str); 5] = [
    (0, "done; a task it followed ended OK or with warnings"),
    (
        FAILED,
        "the call failed: PVE refused it or could not be reached, a login failed, a local \
         file could not be read or written",
    ),
    (
        USAGE,
        "a mistake in the command line: an unknown command, option, path, method or \
         parameter, a value against the schema's rules or missing from the cluster's PVE \
         version, a missing setting; nothing was sent",
    ),
    (
        TASK_FAILED,
        "a task the call started failed (TASK ERROR): PVE accepted the call, the task may \
         have changed things",
    ),
    (
        INTERRUPTED,
        "interrupted by Ctrl-C; a task it followed goes on on PVE",
    ),
];

/// [`EXIT_STATUSES`] for `--help`: the meanings wrapped under themselves, within 80
/// columns (clap's own wrapping would not indent them).
pub fn exit_status_help() -> String {
    const INDENT: &str = "       ";
    let mut text = String::from("Exit status:\n");
    for (code, meaning) in EXIT_STATUSES {
        let mut line = format!("  {code:<5}");
        for word in meaning.split(' ') {
            if line.len() > INDENT.len() && line.len() + 1 + word.len() > 80 {
                text.push_str(line.trim_end());
                text.push('\n');
                line = INDENT.to_owned();
            }
            if line.len() > INDENT.len() {
                line.push(' ');
            }
            line.push_str(word);
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A run's failure: what to say, and the exit status.
#[derive(Debug)]
pub struct Fail {
    /// The message, after `error: `.
    pub message: String,
    /// The exit status.
    pub code: u8,
}

impl Fail {
    /// A failure with exit status [`FAILED`].
    pub fn new(message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            code: FAILED,
        }
    }

    /// A command line that makes no sense: exit status [`USAGE`].
    pub fn usage(message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            code: USAGE,
        }
    }

    /// A run stopped by Ctrl-C: exit status [`INTERRUPTED`].
    pub fn interrupted(message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            code: INTERRUPTED,
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The library's errors by the table: what the schema refused before sending is the
/// command line's mistake, a failed task has its own status, the rest failed.
impl From<proxmoxia::Error> for Fail {
    fn from(e: proxmoxia::Error) -> Fail {
        use proxmoxia::Error;
        let code = match &e {
            Error::Validation(_) | Error::Unsupported(_) | Error::Encode { .. } => USAGE,
            Error::Task(_) => TASK_FAILED,
            _ => FAILED,
        };
        Fail {
            message: e.to_string(),
            code,
        }
    }
}
