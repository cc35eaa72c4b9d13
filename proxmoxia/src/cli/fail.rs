//! What ends a run early: a message and an exit status.

use std::fmt;

/// Exit status of a run that failed (the API, validation, a task, the set-up).
pub const FAILED: u8 = 1;
/// Exit status of a command line that makes no sense (as clap's own).
pub const USAGE: u8 = 2;
/// Exit status of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;

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

impl From<crate::Error> for Fail {
    fn from(e: crate::Error) -> Fail {
        Fail::new(e.to_string())
    }
}
