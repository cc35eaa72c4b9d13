//! The local terminal of `console`: raw mode while the session runs, its window size.

#[cfg(unix)]
use rustix::termios::{self, OptionalActions, Termios};

/// Raw mode on standard input until dropped (then the settings it had are back): keys go to
/// the console as they are typed, Ctrl+C included, and nothing is echoed locally.
pub struct RawMode {
    #[cfg(unix)]
    saved: Termios,
}

impl RawMode {
    /// `None` when standard input is not a terminal (a pipe): it is read as it is. (Only on
    /// Unix: elsewhere keys go out as the terminal hands them over.)
    #[cfg(not(unix))]
    pub fn enter() -> std::io::Result<Option<RawMode>> {
        Ok(None)
    }

    /// `None` when standard input is not a terminal (a pipe): it is read as it is.
    #[cfg(unix)]
    pub fn enter() -> std::io::Result<Option<RawMode>> {
        use std::io::IsTerminal;
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Ok(None);
        }
        let saved = termios::tcgetattr(&stdin)?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(&stdin, OptionalActions::Now, &raw)?;
        Ok(Some(RawMode { saved }))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
    }
}

/// The window's size as (columns, rows), from standard input or output, if either is a
/// terminal that knows it.
#[cfg(not(unix))]
pub fn size() -> Option<(u16, u16)> {
    None
}

/// The window's size as (columns, rows), from standard input or output, if either is a
/// terminal that knows it.
#[cfg(unix)]
pub fn size() -> Option<(u16, u16)> {
    let of = |size: rustix::termios::Winsize| {
        (size.ws_col > 0 && size.ws_row > 0).then_some((size.ws_col, size.ws_row))
    };
    termios::tcgetwinsize(std::io::stdin())
        .ok()
        .and_then(of)
        .or_else(|| termios::tcgetwinsize(std::io::stdout()).ok().and_then(of))
}

/// The byte of an escape key written `^O` (Ctrl+O), `^]`, ...; `None` for `none`.
pub fn escape_key(text: &str) -> Result<Option<u8>, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match text.as_bytes() {
        [b'^', key] if (b'@'..=b'_').contains(&key.to_ascii_uppercase()) => {
            Ok(Some(key.to_ascii_uppercase() & 0x1f))
        }
        _ => Err(format!(
            "--escape {text:?}: write a control key as ^ and a letter (^O, ^]), or none"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keys_are_control_keys() {
        assert_eq!(escape_key("^O"), Ok(Some(0x0f)));
        assert_eq!(escape_key("^o"), Ok(Some(0x0f)));
        assert_eq!(escape_key("^]"), Ok(Some(0x1d)));
        assert_eq!(escape_key("none"), Ok(None));
        assert!(escape_key("O").is_err());
        assert!(escape_key("^1").is_err());
    }
}
