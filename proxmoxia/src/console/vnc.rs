//! A VNC tunnel: `vncproxy` with `websocket=1`, then the websocket; raw RFB both ways.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::ConsoleTarget;
use super::pump::{self, Control, Mode};
use super::socket;
use super::terminal::ended;
use crate::Client;
use crate::error::Result;
use crate::secret::Secret;

/// An open VNC tunnel: the RFB protocol of the guest's screen, as a VNC viewer speaks it,
/// starting with the server's `RFB 003.008\n`. From [`Client::vnc`].
///
/// PVE's VNC server asks for VNC authentication with [`password`](VncTunnel::password).
/// Dropping the tunnel closes it.
pub struct VncTunnel {
    io: DuplexStream,
    password: Secret,
    control: mpsc::Sender<Control>,
    done: JoinHandle<Result<()>>,
}

impl fmt::Debug for VncTunnel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VncTunnel").finish_non_exhaustive()
    }
}

impl VncTunnel {
    pub(crate) async fn open(client: &Client, target: &ConsoleTarget) -> Result<VncTunnel> {
        if target.guest.is_none() {
            // A node's VNC shell checks the ticket's owner as a user name, as terminals do.
            super::refuse_token(client).await?;
        }
        let grant = target.vncproxy(client).await?;
        let socket = socket::connect(client, &target.path(), grant.port, &grant.ticket).await?;
        // PVE 9 answers a password of its own; before, the ticket is the password.
        let password = grant.password.unwrap_or(grant.ticket);
        let pump = pump::start(socket, Mode::Raw, Vec::new());
        Ok(VncTunnel {
            io: pump.io,
            password,
            control: pump.control,
            done: pump.done,
        })
    }

    /// The password of the VNC authentication PVE's VNC server asks for: made for this
    /// tunnel by `vncproxy`.
    pub fn password(&self) -> &Secret {
        &self.password
    }

    /// Closes the tunnel cleanly, and reports how it went.
    pub async fn close(self) -> Result<()> {
        let _ = self.control.send(Control::Close).await;
        drop(self.io);
        pump::outcome(self.done).await
    }
}

impl AsyncRead for VncTunnel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for VncTunnel {
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
