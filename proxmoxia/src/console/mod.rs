//! Consoles (cargo feature `console`): the terminal of a node, of a VM's serial port or of a
//! container, and a VM's VNC screen, as the web UI opens them (xterm.js, noVNC).
//!
//! PVE opens a console in two steps: `POST .../termproxy` (a terminal) or `.../vncproxy` (VNC)
//! starts a proxy and answers a one-time ticket and port; `GET .../vncwebsocket` with them is
//! a websocket to that proxy. The client does both, over its own TLS settings (the same pinned
//! fingerprint or CAs as every call), with its login.
//!
//! ```no_run
//! # async fn demo(client: proxmoxia::Client) -> proxmoxia::Result<()> {
//! use proxmoxia::console::ConsoleTarget;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! // A terminal: bytes in and out, as on a serial line.
//! let mut term = client.terminal(ConsoleTarget::lxc("pve1", 200)).await?;
//! term.resize(120, 40).await?;
//! term.write_all(b"uname -a\r").await.map_err(|e| proxmoxia::Error::Io {
//!     context: "console".into(),
//!     source: e,
//! })?;
//! let mut buf = [0; 4096];
//! let n = term.read(&mut buf).await.unwrap_or(0);
//! print!("{}", String::from_utf8_lossy(&buf[..n]));
//! term.close().await?;
//!
//! // VNC: a local port any VNC viewer can connect to (each viewer gets its own session;
//! // the forwarder answers PVE's VNC password itself, so the viewer is offered none: keep
//! // the port on loopback).
//! let listener = client
//!     .vnc_listener(ConsoleTarget::qemu("pve1", 100), "127.0.0.1:5900")
//!     .await?;
//! let viewer = listener.accept().await?;
//! viewer.forward().await?;
//! # Ok(()) }
//! ```
//!
//! Terminals speak PVE's `termproxy` protocol (pve-xtermjs): the first message is
//! `<user>:<ticket>\n`, PVE answers `OK`; input goes out as `0:<length>:<bytes>`, a resize as
//! `1:<columns>:<rows>:`, and `2` every 30 seconds keeps the session alive. Output comes back
//! raw. VNC tunnels carry raw RFB both ways.
//!
//! **API tokens**: PVE 8.4's `termproxy` checks the session's ticket as a user name, which a
//! token (`user@realm!token`) is not; PVE 9.1 and later accept tokens (`POST
//! /access/vncticket`). With a token the client refuses a terminal on a cluster whose version
//! lacks that ([`crate::ConsoleError::TokenRefused`]) before
//! anything is opened, instead of a socket PVE closes without a word. VNC tunnels of guests take
//! tokens on every version.

mod forward;
mod frame;
mod pump;
pub(crate) mod rfb;
mod socket;
mod terminal;
mod vnc;

use std::fmt;

pub use forward::{VncListener, VncViewer};
pub use terminal::{Terminal, TerminalControl};
pub use vnc::VncTunnel;

#[cfg(feature = "mock")]
pub(crate) use frame::{Decoder, Event};
#[cfg(feature = "mock")]
pub(crate) use socket::SUBPROTOCOL;

use crate::Client;
use crate::error::{ConsoleError, Error, Result};
use crate::secret::Secret;
use crate::typed::Endpoint;

/// What a console opens: a node's shell, a VM's serial port, a container's console.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleTarget {
    node: String,
    guest: Option<Guest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guest {
    /// A VM and the serial port for its terminal (`None`: the first one PVE finds).
    Qemu(u32, Option<u8>),
    Lxc(u32),
}

impl ConsoleTarget {
    /// The shell of a node (PVE's `login`; `root@pam` is logged in at once).
    pub fn node(node: impl Into<String>) -> ConsoleTarget {
        ConsoleTarget {
            node: node.into(),
            guest: None,
        }
    }

    /// A VM: its serial port for a terminal (the VM needs one, `serial0: socket`), its screen
    /// for VNC.
    pub fn qemu(node: impl Into<String>, vmid: u32) -> ConsoleTarget {
        ConsoleTarget {
            node: node.into(),
            guest: Some(Guest::Qemu(vmid, None)),
        }
    }

    /// A container's console.
    pub fn lxc(node: impl Into<String>, vmid: u32) -> ConsoleTarget {
        ConsoleTarget {
            node: node.into(),
            guest: Some(Guest::Lxc(vmid)),
        }
    }

    /// For a VM's terminal: the serial port `serial<index>` (0 to 3) instead of the first one
    /// configured. No effect on other targets.
    pub fn serial(mut self, index: u8) -> ConsoleTarget {
        if let Some(Guest::Qemu(vmid, _)) = self.guest {
            self.guest = Some(Guest::Qemu(vmid, Some(index)));
        }
        self
    }

    /// The API path of the target (`nodes/pve1/qemu/100`).
    fn path(&self) -> String {
        let node = crate::encode_segment(&self.node);
        match self.guest {
            None => format!("nodes/{node}"),
            Some(Guest::Qemu(vmid, _)) => format!("nodes/{node}/qemu/{vmid}"),
            Some(Guest::Lxc(vmid)) => format!("nodes/{node}/lxc/{vmid}"),
        }
    }

    /// The VM whose serial port a terminal opens.
    fn qemu_vmid(&self) -> Option<u32> {
        match self.guest {
            Some(Guest::Qemu(vmid, _)) => Some(vmid),
            _ => None,
        }
    }

    /// `POST .../termproxy`.
    async fn termproxy(&self, client: &Client) -> Result<Grant> {
        let node = client.nodes(&self.node);
        match self.guest {
            None => {
                let a = node.termproxy().post().await?;
                Grant::new(a.user, a.ticket, a.port, None)
            }
            Some(Guest::Qemu(vmid, serial)) => {
                use crate::api::nodes::node::qemu::vmid::termproxy::post::Serial;
                let mut request = node.qemu(vmid.into()).termproxy().post();
                if let Some(index) = serial {
                    request = request.serial(match index {
                        0 => Serial::Serial0,
                        1 => Serial::Serial1,
                        2 => Serial::Serial2,
                        3 => Serial::Serial3,
                        _ => {
                            return Err(Error::Validation(Box::new(crate::ValidationError {
                                param: "serial".into(),
                                rule: "enum".into(),
                                message: format!(
                                    "serial{index} is not a serial port of PVE (serial0 to serial3)"
                                ),
                            })));
                        }
                    });
                }
                let a = request.await?;
                Grant::new(a.user, a.ticket, a.port, None)
            }
            Some(Guest::Lxc(vmid)) => {
                let a = node.lxc(vmid.into()).termproxy().post().await?;
                Grant::new(a.user, a.ticket, a.port, None)
            }
        }
    }

    /// `POST .../vncproxy` (`.../vncshell` for a node) with `websocket=1`.
    async fn vncproxy(&self, client: &Client) -> Result<Grant> {
        let node = client.nodes(&self.node);
        match self.guest {
            None => {
                let a = node.vncshell().post().websocket(true).await?;
                Grant::new(a.user, a.ticket, a.port, a.password)
            }
            Some(Guest::Qemu(vmid, _)) => {
                let a = node
                    .qemu(vmid.into())
                    .vncproxy()
                    .post()
                    .websocket(true)
                    .await?;
                Grant::new(a.user, a.ticket, a.port, a.password)
            }
            Some(Guest::Lxc(vmid)) => {
                let a = node
                    .lxc(vmid.into())
                    .vncproxy()
                    .post()
                    .websocket(true)
                    .await?;
                Grant::new(a.user, a.ticket, a.port, a.password)
            }
        }
    }
}

impl fmt::Debug for ConsoleTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `node pve1`, `VM 100 on pve1`, `CT 200 on pve1`.
impl fmt::Display for ConsoleTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.guest {
            None => write!(f, "node {}", self.node),
            Some(Guest::Qemu(vmid, None)) => write!(f, "VM {vmid} on {}", self.node),
            Some(Guest::Qemu(vmid, Some(serial))) => {
                write!(f, "VM {vmid} on {} (serial{serial})", self.node)
            }
            Some(Guest::Lxc(vmid)) => write!(f, "CT {vmid} on {}", self.node),
        }
    }
}

/// What `termproxy`/`vncproxy` answer: who the ticket is for, the ticket, the proxy's port,
/// and the VNC password (PVE 9; before, the ticket is the password).
struct Grant {
    user: Option<String>,
    ticket: Secret,
    port: u16,
    password: Option<Secret>,
}

impl Grant {
    fn new(
        user: Option<String>,
        ticket: Option<Secret>,
        port: Option<i64>,
        password: Option<Secret>,
    ) -> Result<Grant> {
        let ticket = ticket.ok_or_else(|| Error::decode("no console ticket", "data.ticket", ""))?;
        let port = port
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| Error::decode("no console port", "data.port", ""))?;
        Ok(Grant {
            user,
            ticket,
            port,
            password,
        })
    }
}

/// With an API token: refuses, before anything is opened, a console the cluster's version
/// does not let tokens open (terminals, and a node's VNC shell, before PVE 9.1: they check
/// the ticket's owner as a user name).
async fn refuse_token(client: &Client) -> Result<()> {
    let Some(token) = client.token_id() else {
        return Ok(());
    };
    if !client.version_guard() {
        return Ok(());
    }
    let cluster = client.pve_version().await?;
    let labels = crate::api::PVE_VERSIONS;
    // Where PVE verifies a token-owned console ticket.
    let accepting = <crate::api::access::vncticket::post::Endpoint as Endpoint>::VERSIONS;
    let index = cluster.schema_index(labels);
    if accepting & (1 << index) != 0 {
        return Ok(());
    }
    let accepted_by = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| accepting & (1 << i) != 0)
        .map(|(_, v)| (*v).to_owned())
        .collect();
    Err(ConsoleError::TokenRefused {
        token,
        cluster: cluster.to_string(),
        accepted_by,
    }
    .into())
}

impl Client {
    /// Opens a terminal: a node's shell, a VM's serial port, a container's console (see the
    /// [module docs](crate::console)). Errors: [`ConsoleError`] for an API token PVE would
    /// not take, a refused websocket, a session PVE closes before it is ready, a VM without a
    /// serial port; else PVE's answer to `termproxy` as for any call.
    pub async fn terminal(&self, target: ConsoleTarget) -> Result<Terminal> {
        Terminal::open(self, &target).await
    }

    /// Opens a VNC tunnel to a VM's (or container's, or node's) screen: raw RFB both ways.
    /// The viewer authenticates with [`VncTunnel::password`] (VNC authentication).
    pub async fn vnc(&self, target: ConsoleTarget) -> Result<VncTunnel> {
        VncTunnel::open(self, &target).await
    }

    /// Listens on `addr` (e.g. `127.0.0.1:5900`) for VNC viewers; each one that connects gets
    /// a tunnel of its own ([`VncListener::accept`]).
    pub async fn vnc_listener(
        &self,
        target: ConsoleTarget,
        addr: impl tokio::net::ToSocketAddrs,
    ) -> Result<VncListener> {
        VncListener::bind(self, target, addr).await
    }
}
