//! Text from a server made safe for a terminal.

use std::borrow::Cow;

/// `text` with its control characters (C0, DEL, C1) written as Rust escapes (`\u{1b}`,
/// `\t`, `\n`): text from a server cannot move the cursor, clear the screen or retitle the
/// window.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}
