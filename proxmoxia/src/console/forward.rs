//! A local TCP port for VNC viewers: each viewer that connects gets a tunnel of its own (PVE's
//! VNC proxy takes one connection per `vncproxy`). The forwarder answers PVE's VNC
//! authentication with the tunnel's password and lets the viewer in without one: the password
//! never leaves the process, and whoever reaches the port gets the screen (listen on loopback).

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

use super::{ConsoleTarget, VncTunnel, rfb};
use crate::Client;
use crate::error::{Error, Result};

/// Listens for VNC viewers. From [`Client::vnc_listener`].
#[derive(Debug)]
pub struct VncListener {
    listener: TcpListener,
    client: Client,
    target: ConsoleTarget,
}

/// A VNC viewer that connected, with its tunnel open: [`forward`](VncViewer::forward) logs in
/// to PVE's VNC server for it, then carries its bytes.
#[derive(Debug)]
pub struct VncViewer {
    peer: SocketAddr,
    tcp: TcpStream,
    tunnel: VncTunnel,
}

impl VncListener {
    pub(crate) async fn bind(
        client: &Client,
        target: ConsoleTarget,
        addr: impl ToSocketAddrs,
    ) -> Result<VncListener> {
        let listener = TcpListener::bind(addr).await.map_err(|e| Error::Io {
            context: "cannot listen for VNC viewers".into(),
            source: e,
        })?;
        Ok(VncListener {
            listener,
            client: client.clone(),
            target,
        })
    }

    /// The address viewers connect to.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|e| Error::Io {
            context: "the VNC listener's address".into(),
            source: e,
        })
    }

    /// Waits for a viewer and opens its tunnel. An `Err` concerns that viewer only (its
    /// connection is closed): keep accepting.
    pub async fn accept(&self) -> Result<VncViewer> {
        let (tcp, peer) = self.listener.accept().await.map_err(|e| Error::Io {
            context: "cannot accept a VNC viewer".into(),
            source: e,
        })?;
        let _ = tcp.set_nodelay(true);
        let tunnel = VncTunnel::open(&self.client, &self.target).await?;
        Ok(VncViewer { peer, tcp, tunnel })
    }
}

impl VncViewer {
    /// The viewer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Answers PVE's VNC authentication with the tunnel's password, greets the viewer as a
    /// VNC server asking no password, then carries bytes both ways until the viewer or PVE
    /// closes, and closes the tunnel. A refused handshake is an error (the tunnel closed).
    pub async fn forward(mut self) -> Result<()> {
        let password = self.tunnel.password().clone();
        let handshake = async {
            rfb::log_in(&mut self.tunnel, &password).await?;
            rfb::let_in(&mut self.tcp).await
        };
        if let Err(e) = handshake.await {
            let _ = self.tunnel.close().await;
            return Err(e);
        }
        let copied = tokio::io::copy_bidirectional(&mut self.tcp, &mut self.tunnel).await;
        let closed = self.tunnel.close().await;
        match copied {
            // A viewer that hangs up without a goodbye is the usual end.
            Ok(_) => closed,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => closed,
            Err(e) => Err(Error::Io {
                context: format!("forwarding VNC for {}", self.peer),
                source: e,
            }),
        }
    }
}
