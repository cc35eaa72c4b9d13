//! The messages of PVE's `termproxy` (pve-xtermjs, `termproxy/src/main.rs`; the browser's
//! side is `xterm.js/src/main.js`): what the client sends. Output comes back raw.

/// The first message: who the ticket is for, and the ticket.
pub(crate) fn auth_line(user: &str, ticket: &str) -> Vec<u8> {
    format!("{user}:{ticket}\n").into_bytes()
}

/// termproxy's answer to a ticket it accepts, before any output.
pub(crate) const READY: &[u8] = b"OK";

/// Input: `0:<length in bytes>:<bytes>`.
pub(crate) fn input(data: &[u8]) -> Vec<u8> {
    let mut out = format!("0:{}:", data.len()).into_bytes();
    out.extend_from_slice(data);
    out
}

/// A new size: columns first (`1:<cols>:<rows>:`).
pub(crate) fn resize(cols: u16, rows: u16) -> Vec<u8> {
    format!("1:{cols}:{rows}:").into_bytes()
}

/// A keep-alive; termproxy ignores it.
pub(crate) const PING: &[u8] = b"2";

/// What a client sent, as termproxy reads it (for the fake).
#[cfg(feature = "mock")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    Input(Vec<u8>),
    Resize(u16, u16),
    Ping,
}

/// Reads the client's messages from a byte stream, as termproxy's `process_queue` does: a
/// message may arrive in pieces; anything else is skipped a byte at a time.
#[cfg(feature = "mock")]
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    buf: Vec<u8>,
}

#[cfg(feature = "mock")]
impl Decoder {
    /// Adds bytes; returns the messages now complete.
    pub(crate) fn push(&mut self, data: &[u8]) -> Vec<Event> {
        self.buf.extend_from_slice(data);
        let mut events = Vec::new();
        loop {
            match self.buf.first() {
                None => break,
                Some(b'0') => {
                    let Some((len, at)) = number(&self.buf, 2) else {
                        break;
                    };
                    // termproxy's buffer holds 64 KiB: a longer message is not one.
                    let end = usize::try_from(len)
                        .ok()
                        .filter(|len| *len <= 1 << 16)
                        .and_then(|len| at.checked_add(len));
                    let Some(end) = end else {
                        self.buf.drain(..1);
                        continue;
                    };
                    if self.buf.len() < end {
                        break;
                    }
                    events.push(Event::Input(self.buf[at..end].to_vec()));
                    self.buf.drain(..end);
                }
                Some(b'1') => {
                    let Some((cols, at)) = number(&self.buf, 2) else {
                        break;
                    };
                    let Some((rows, end)) = number(&self.buf, at) else {
                        break;
                    };
                    if let (Ok(cols), Ok(rows)) = (u16::try_from(cols), u16::try_from(rows)) {
                        events.push(Event::Resize(cols, rows));
                    }
                    self.buf.drain(..end);
                }
                Some(b'2') => {
                    events.push(Event::Ping);
                    self.buf.drain(..1);
                }
                Some(_) => {
                    self.buf.drain(..1);
                }
            }
        }
        events
    }
}

/// The decimal number at `from` up to its `:`, and where the rest starts; `None` while it is
/// incomplete. A message that is not one (`0x`, a number too long) reads as `u64::MAX`.
#[cfg(feature = "mock")]
fn number(buf: &[u8], from: usize) -> Option<(u64, usize)> {
    let rest = buf.get(from..)?;
    let colon = rest.iter().position(|&b| b == b':')?;
    let text = std::str::from_utf8(&rest[..colon]).ok();
    let value = text.and_then(|t| t.parse().ok()).unwrap_or(u64::MAX);
    Some((value, from + colon + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_termproxys() {
        assert_eq!(
            auth_line("root@pam", "PVEVNC:X::s"),
            b"root@pam:PVEVNC:X::s\n"
        );
        assert_eq!(input("é\r".as_bytes()), b"0:3:\xc3\xa9\r");
        assert_eq!(resize(120, 40), b"1:120:40:");
        assert_eq!(PING, b"2");
    }

    #[cfg(feature = "mock")]
    #[test]
    fn the_decoder_reads_messages_in_pieces() {
        let mut decoder = Decoder::default();
        let mut all = Vec::new();
        let stream = [input(b"echo 1:2\r"), resize(100, 30), PING.to_vec()].concat();
        for byte in &stream {
            all.extend(decoder.push(std::slice::from_ref(byte)));
        }
        assert_eq!(
            all,
            [
                Event::Input(b"echo 1:2\r".to_vec()),
                Event::Resize(100, 30),
                Event::Ping
            ]
        );
        assert_eq!(decoder.push(b"x0:2:ab"), [Event::Input(b"ab".to_vec())]);
    }
}
