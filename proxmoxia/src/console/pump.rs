//! The task that carries a console's bytes between the caller's end of an in-memory pipe and
//! the websocket: the caller reads and writes plain bytes (`AsyncRead`/`AsyncWrite`), the task
//! frames them for PVE, resizes, keeps the session alive and closes it cleanly.

use std::time::Duration;

use futures_util::FutureExt;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::frame;
use super::socket::Socket;
use crate::error::{ConsoleError, Error, Result};

/// How often a terminal tells PVE it is still there (as xterm.js does).
pub(crate) const PING_EVERY: Duration = Duration::from_secs(30);
/// How long a close waits for PVE's answering close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// The pipe's buffer each way: a reader that does not keep up holds back PVE's output.
const PIPE: usize = 64 * 1024;

/// How the caller's bytes go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// termproxy's messages (`0:<len>:<data>`), resizes and keep-alives.
    Terminal,
    /// As they are (VNC's RFB).
    Raw,
}

/// What the caller asks of the task besides bytes.
#[derive(Debug)]
pub(crate) enum Control {
    /// A new size, answered once it is on its way: input written before the request goes out
    /// before it, input written after the answer after it.
    Resize(u16, u16, oneshot::Sender<()>),
    Close,
}

/// A running console: the caller's end of the pipe, the task's controls and its outcome.
#[derive(Debug)]
pub(crate) struct Pump {
    pub(crate) io: DuplexStream,
    pub(crate) control: mpsc::Sender<Control>,
    pub(crate) done: JoinHandle<Result<()>>,
}

/// Starts the task; `first` is output already read from the socket.
pub(crate) fn start(socket: Socket, mode: Mode, first: Vec<u8>) -> Pump {
    let (io, theirs) = tokio::io::duplex(PIPE);
    let (control, requests) = mpsc::channel(8);
    let done = tokio::spawn(run(socket, theirs, requests, mode, first));
    Pump { io, control, done }
}

/// The task's outcome, as `close` reports it.
pub(crate) async fn outcome(done: JoinHandle<Result<()>>) -> Result<()> {
    done.await.unwrap_or_else(|e| {
        Err(closed(
            "while in use",
            format!("the console's task ended: {e}"),
        ))
    })
}

pub(crate) fn closed(when: &str, reason: impl std::fmt::Display) -> Error {
    ConsoleError::Closed {
        when: when.to_owned(),
        reason: reason.to_string(),
    }
    .into()
}

async fn run(
    mut socket: Socket,
    local: DuplexStream,
    mut requests: mpsc::Receiver<Control>,
    mode: Mode,
    first: Vec<u8>,
) -> Result<()> {
    let (mut from_caller, mut to_caller) = tokio::io::split(local);
    // A caller that stopped reading no longer gets output; the session goes on.
    let _ = to_caller.write_all(&first).await;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut buf = vec![0; 16 * 1024];
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Binary(data))) => {
                    let _ = to_caller.write_all(&data).await;
                }
                Some(Ok(Message::Text(text))) => {
                    let _ = to_caller.write_all(text.as_bytes()).await;
                }
                // PVE ended the session (the shell exited, the guest stopped).
                Some(Ok(Message::Close(_))) | None => {
                    let _ = to_caller.shutdown().await;
                    return Ok(());
                }
                // Pings are answered by the websocket layer.
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    let _ = to_caller.shutdown().await;
                    return Err(closed("while reading", e));
                }
            },
            read = from_caller.read(&mut buf) => match read {
                // The caller is done (dropped or shut its end).
                Ok(0) | Err(_) => return close(socket).await,
                Ok(n) => send(&mut socket, input(mode, &buf[..n])).await?,
            },
            request = requests.recv() => match request {
                Some(Control::Resize(cols, rows, done)) => {
                    // What the caller wrote before asking is in the pipe: it goes first.
                    while let Some(Ok(n)) = from_caller.read(&mut buf).now_or_never() {
                        if n == 0 {
                            break;
                        }
                        send(&mut socket, input(mode, &buf[..n])).await?;
                    }
                    if mode == Mode::Terminal {
                        send(&mut socket, frame::resize(cols, rows)).await?;
                    }
                    let _ = done.send(());
                }
                Some(Control::Close) | None => return close(socket).await,
            },
            _ = ping.tick(), if mode == Mode::Terminal => {
                send(&mut socket, frame::PING.to_vec()).await?;
            }
        }
    }
}

/// The caller's bytes as they go out.
fn input(mode: Mode, data: &[u8]) -> Vec<u8> {
    match mode {
        Mode::Terminal => frame::input(data),
        Mode::Raw => data.to_vec(),
    }
}

async fn send(socket: &mut Socket, data: Vec<u8>) -> Result<()> {
    socket
        .send(Message::binary(data))
        .await
        .map_err(|e| closed("while writing", e))
}

/// A clean close: the close frame, then PVE's answer (for a while; a peer that does not
/// answer is left).
async fn close(mut socket: Socket) -> Result<()> {
    if socket.close(None).await.is_err() {
        return Ok(()); // closed already
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    Ok(())
}
