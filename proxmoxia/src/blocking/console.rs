//! Consoles, blocking (features `blocking` and `console`): the async consoles
//! ([`crate::console`]) as `std::io::Read` and `Write`, their bytes carried on the client's
//! runtime thread.
//!
//! Read and write are implemented for `&Terminal` too, so that one thread can read the
//! output while another types:
//!
//! ```no_run
//! # fn demo(client: proxmoxia::blocking::Client) -> proxmoxia::Result<()> {
//! use std::io::{Read, Write};
//! use proxmoxia::console::ConsoleTarget;
//!
//! let term = client.terminal(ConsoleTarget::node("pve1"))?;
//! std::thread::scope(|s| {
//!     s.spawn(|| std::io::copy(&mut &term, &mut std::io::stdout()));
//!     let _ = (&term).write_all(b"uptime\rexit\r");
//! });
//! term.close()?;
//! # Ok(()) }
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::Mutex;

use super::Client;
use crate::console::{self, ConsoleTarget, TerminalControl};
use crate::error::Result;
use crate::secret::Secret;

/// An async stream's halves, read and written from blocking calls.
struct Halves<S> {
    reader: Arc<Mutex<ReadHalf<S>>>,
    writer: Arc<Mutex<WriteHalf<S>>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Halves<S> {
    fn new(stream: S) -> Halves<S> {
        let (reader, writer) = tokio::io::split(stream);
        Halves {
            reader: Arc::new(Mutex::new(reader)),
            writer: Arc::new(Mutex::new(writer)),
        }
    }

    fn read(&self, client: &Client, buf: &mut [u8]) -> io::Result<usize> {
        let (reader, len) = (Arc::clone(&self.reader), buf.len());
        let data = client
            .runtime()
            .run(async move {
                let mut data = vec![0; len];
                let read = reader.lock().await.read(&mut data).await;
                Ok(read.map(|n| {
                    data.truncate(n);
                    data
                }))
            })
            .map_err(io::Error::other)??;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    fn write(&self, client: &Client, buf: &[u8]) -> io::Result<usize> {
        let (writer, data) = (Arc::clone(&self.writer), buf.to_vec());
        client
            .runtime()
            .run(async move { Ok(writer.lock().await.write(&data).await) })
            .map_err(io::Error::other)?
    }

    fn flush(&self, client: &Client) -> io::Result<()> {
        let writer = Arc::clone(&self.writer);
        client
            .runtime()
            .run(async move { Ok(writer.lock().await.flush().await) })
            .map_err(io::Error::other)?
    }

    /// The stream again; `None` while a call on another thread still holds a half.
    fn into_inner(self) -> Option<S> {
        let reader = Arc::try_unwrap(self.reader).ok()?.into_inner();
        let writer = Arc::try_unwrap(self.writer).ok()?.into_inner();
        Some(reader.unsplit(writer))
    }
}

/// A terminal, blocking. From [`Client::terminal`]; see [`crate::console::Terminal`].
pub struct Terminal {
    client: Client,
    io: Halves<console::Terminal>,
    control: TerminalControl,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal").finish_non_exhaustive()
    }
}

impl Terminal {
    /// Tells the console its new size, columns first.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        let control = self.control.clone();
        self.client
            .runtime()
            .run(async move { control.resize(cols, rows).await })
    }

    /// Closes the session cleanly and reports how it went
    /// ([`crate::console::Terminal::close`]).
    pub fn close(self) -> Result<()> {
        let (client, control) = (self.client, self.control);
        match self.io.into_inner() {
            Some(terminal) => client.runtime().run(terminal.close()),
            None => client.runtime().run(async move {
                control.close().await;
                Ok(())
            }),
        }
    }
}

/// A VNC tunnel, blocking. From [`Client::vnc`]; see [`crate::console::VncTunnel`].
pub struct VncTunnel {
    client: Client,
    io: Halves<console::VncTunnel>,
    password: Secret,
}

impl std::fmt::Debug for VncTunnel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VncTunnel").finish_non_exhaustive()
    }
}

impl VncTunnel {
    /// The password of the VNC authentication ([`crate::console::VncTunnel::password`]).
    pub fn password(&self) -> &Secret {
        &self.password
    }

    /// Closes the tunnel cleanly and reports how it went.
    pub fn close(self) -> Result<()> {
        match self.io.into_inner() {
            Some(tunnel) => self.client.runtime().run(tunnel.close()),
            None => Ok(()),
        }
    }
}

macro_rules! blocking_io {
    ($type:ty) => {
        impl io::Read for &$type {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.io.read(&self.client, buf)
            }
        }

        impl io::Write for &$type {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.io.write(&self.client, buf)
            }

            fn flush(&mut self) -> io::Result<()> {
                self.io.flush(&self.client)
            }
        }

        impl io::Read for $type {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                (&*self).read(buf)
            }
        }

        impl io::Write for $type {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                (&*self).write(buf)
            }

            fn flush(&mut self) -> io::Result<()> {
                (&*self).flush()
            }
        }
    };
}

blocking_io!(Terminal);
blocking_io!(VncTunnel);

/// Listens for VNC viewers, blocking. From [`Client::vnc_listener`].
#[derive(Debug)]
pub struct VncListener {
    client: Client,
    inner: Arc<console::VncListener>,
}

/// A viewer that connected; its bytes are carried on the client's runtime thread until it or
/// PVE closes.
#[derive(Debug)]
#[non_exhaustive]
pub struct VncViewer {
    /// The viewer's address. The forwarder answers PVE's VNC authentication itself: the
    /// viewer is asked no password.
    pub peer: SocketAddr,
}

impl VncListener {
    /// The address viewers connect to.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Waits for a viewer and opens its tunnel ([`crate::console::VncListener::accept`]),
    /// then carries its bytes in the background.
    pub fn accept(&self) -> Result<VncViewer> {
        let listener = Arc::clone(&self.inner);
        let viewer = self
            .client
            .runtime()
            .run(async move { listener.accept().await })?;
        let found = VncViewer {
            peer: viewer.peer_addr(),
        };
        self.client.runtime().spawn(async move {
            if let Err(e) = viewer.forward().await {
                tracing::debug!(error = %e, "VNC forwarding ended");
            }
        });
        Ok(found)
    }
}

impl Client {
    /// [`crate::Client::terminal`], blocking.
    pub fn terminal(&self, target: ConsoleTarget) -> Result<Terminal> {
        let client = self.inner.clone();
        let terminal = self
            .runtime()
            .run(async move { client.terminal(target).await })?;
        let control = terminal.control();
        Ok(Terminal {
            client: self.clone(),
            io: Halves::new(terminal),
            control,
        })
    }

    /// [`crate::Client::vnc`], blocking.
    pub fn vnc(&self, target: ConsoleTarget) -> Result<VncTunnel> {
        let client = self.inner.clone();
        let tunnel = self
            .runtime()
            .run(async move { client.vnc(target).await })?;
        let password = tunnel.password().clone();
        Ok(VncTunnel {
            client: self.clone(),
            io: Halves::new(tunnel),
            password,
        })
    }

    /// [`crate::Client::vnc_listener`], blocking.
    pub fn vnc_listener(&self, target: ConsoleTarget, addr: SocketAddr) -> Result<VncListener> {
        let client = self.inner.clone();
        let listener = self
            .runtime()
            .run(async move { client.vnc_listener(target, addr).await })?;
        Ok(VncListener {
            client: self.clone(),
            inner: Arc::new(listener),
        })
    }
}
