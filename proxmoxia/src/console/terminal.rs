//! A terminal session: `termproxy`, the websocket, termproxy's handshake, then bytes.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::pump::{self, Control, Mode, closed};
use super::socket::{self, Socket};
use super::{ConsoleTarget, frame};
use crate::Client;
use crate::error::{ConsoleError, Error, Result};

/// An open terminal: what is written goes to the console as keystrokes, what is read is its
/// output (raw terminal bytes, escape sequences included). From [`Client::terminal`].
///
/// Dropping it closes the session (in the background); [`close`](Terminal::close) does it
/// and reports how it went. When PVE ends the session (the shell exits), reading gives the
/// end of the stream, and writing fails with [`ConsoleError::Closed`] inside the
/// `io::Error`.
pub struct Terminal {
    io: DuplexStream,
    control: TerminalControl,
    done: JoinHandle<Result<()>>,
}

/// Resizes or closes a [`Terminal`] from elsewhere (another task, a signal handler), while
/// the terminal itself is being read. Cheap to clone.
#[derive(Clone)]
pub struct TerminalControl {
    requests: mpsc::Sender<Control>,
}

impl fmt::Debug for Terminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Terminal").finish_non_exhaustive()
    }
}

impl fmt::Debug for TerminalControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerminalControl").finish_non_exhaustive()
    }
}

impl TerminalControl {
    /// Tells the console its new size, columns first (as a local terminal reports it). Input
    /// written before the call reaches the console before the new size, input written after
    /// it returns after.
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        for (param, value) in [("cols", cols), ("rows", rows)] {
            if value == 0 {
                return Err(Error::Validation(Box::new(crate::ValidationError {
                    param: param.into(),
                    rule: "minimum".into(),
                    message: format!("{param} must be at least 1"),
                })));
            }
        }
        let gone = || closed("while resizing", "the session has ended");
        let (done, sent) = tokio::sync::oneshot::channel();
        self.requests
            .send(Control::Resize(cols, rows, done))
            .await
            .map_err(|_| gone())?;
        sent.await.map_err(|_| gone())
    }

    /// Closes the session (the terminal then reads its end).
    pub async fn close(&self) {
        let _ = self.requests.send(Control::Close).await;
    }
}

impl Terminal {
    pub(crate) async fn open(client: &Client, target: &ConsoleTarget) -> Result<Terminal> {
        super::refuse_token(client).await?;
        let grant = target.termproxy(client).await?;
        // termproxy checks the ticket against the user PVE issued it to.
        let user = grant
            .user
            .or_else(|| client.session().map(|s| s.user))
            .or_else(|| client.token_id())
            .unwrap_or_default();
        let mut socket = socket::connect(client, &target.path(), grant.port, &grant.ticket).await?;
        socket
            .send(Message::binary(frame::auth_line(
                &user,
                grant.ticket.expose(),
            )))
            .await
            .map_err(|e| closed("before the terminal was ready", e))?;
        let mut output = ready(&mut socket).await?;
        if let Some(vmid) = target.qemu_vmid() {
            output = serial_check(&mut socket, vmid, output).await?;
        }
        let pump = pump::start(socket, Mode::Terminal, output);
        Ok(Terminal {
            io: pump.io,
            control: TerminalControl {
                requests: pump.control,
            },
            done: pump.done,
        })
    }

    /// Tells the console its new size, columns first ([`TerminalControl::resize`]).
    pub async fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.control.resize(cols, rows).await
    }

    /// A handle to resize or close the terminal while it is being read.
    pub fn control(&self) -> TerminalControl {
        self.control.clone()
    }

    /// Closes the session cleanly (a websocket close, answered by PVE) and reports how the
    /// session went: `Err` with [`ConsoleError::Closed`] if its socket broke.
    pub async fn close(self) -> Result<()> {
        self.control.close().await;
        drop(self.io);
        pump::outcome(self.done).await
    }
}

/// Reads termproxy's `OK` (it accepted the ticket); returns any output after it.
async fn ready(socket: &mut Socket) -> Result<Vec<u8>> {
    let mut got = Vec::new();
    while got.len() < frame::READY.len() {
        match socket.next().await {
            Some(Ok(Message::Binary(data))) => got.extend_from_slice(&data),
            Some(Ok(Message::Text(text))) => got.extend_from_slice(text.as_bytes()),
            Some(Ok(Message::Close(_))) | None => {
                return Err(closed(
                    "before the terminal was ready",
                    "PVE's termproxy ended the session without accepting it (it refused the \
                     ticket, or the command it runs ended at once)",
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(closed("before the terminal was ready", e)),
        }
    }
    if !got.starts_with(frame::READY) {
        return Err(closed(
            "before the terminal was ready",
            format!(
                "PVE's termproxy answered {:?} instead of OK",
                String::from_utf8_lossy(&got[..got.len().min(64)])
            ),
        ));
    }
    got.drain(..frame::READY.len());
    Ok(got)
}

/// The longest first line looked at.
const FIRST_LINE: usize = 1024;

/// A VM's terminal is PVE's `qm terminal`, whose first line says whether it found the serial
/// port (qemu-server `PVE/CLI/qm.pm`). Reads that line (kept as output) and turns its
/// refusals into [`ConsoleError::NoSerialPort`].
async fn serial_check(socket: &mut Socket, vmid: u32, mut output: Vec<u8>) -> Result<Vec<u8>> {
    while !output.contains(&b'\n') && output.len() < FIRST_LINE {
        match socket.next().await {
            Some(Ok(Message::Binary(data))) => output.extend_from_slice(&data),
            Some(Ok(Message::Text(text))) => output.extend_from_slice(text.as_bytes()),
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(closed("before the terminal was ready", e)),
        }
    }
    let line = output.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line).trim().to_owned();
    let refused = line == "unable to find a serial interface"
        || (line.starts_with("serial interface '") && line.ends_with("' is not configured"))
        || line.starts_with("wrong serial type on interface '");
    if refused {
        let _ = socket.close(None).await;
        return Err(ConsoleError::NoSerialPort {
            vmid,
            message: line,
        }
        .into());
    }
    Ok(output)
}

impl AsyncRead for Terminal {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Terminal {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf).map_err(ended)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx).map_err(ended)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A write to a session that has ended: the pipe's broken pipe, as a [`ConsoleError`].
pub(crate) fn ended(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        io::Error::new(
            io::ErrorKind::BrokenPipe,
            closed("while writing", "the session has ended"),
        )
    } else {
        e
    }
}
