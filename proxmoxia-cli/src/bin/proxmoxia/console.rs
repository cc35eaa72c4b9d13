//! `console NODE [VMID]`: an interactive terminal on a node, a VM's serial port or a
//! container, as the web UI's xterm.js console; and `vnc NODE VMID`: a local port for VNC
//! viewers.

use proxmoxia::Client;
use proxmoxia::api::cluster::resources::get::{ResponseItemType, Type};
use proxmoxia::console::{ConsoleTarget, Terminal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::args::{Console, Vnc};
use crate::connect::{self, Mode};
use crate::fail::Fail;
use crate::tty;

/// The guest `vmid` on `node`: a VM or a container, as the cluster lists it.
async fn guest(client: &Client, node: &str, vmid: u32) -> Result<ConsoleTarget, Fail> {
    let guests = client.cluster().resources().get().r#type(Type::Vm).await?;
    let found = guests
        .iter()
        .find(|g| g.vmid == Some(i64::from(vmid)) && g.node.as_deref() == Some(node));
    match found.map(|g| &g.r#type) {
        Some(ResponseItemType::Qemu) => Ok(ConsoleTarget::qemu(node, vmid)),
        Some(ResponseItemType::Lxc) => Ok(ConsoleTarget::lxc(node, vmid)),
        _ => Err(Fail::new(format!(
            "no VM or container {vmid} on node {node}"
        ))),
    }
}

pub async fn run(conn: &crate::args::Connection, args: Console) -> Result<(), Fail> {
    let escape = tty::escape_key(&args.escape).map_err(Fail::usage)?;
    let conn = connect::connect(conn, Mode::Interactive).await?;
    let client = &conn.client;
    let target = match args.vmid {
        None => ConsoleTarget::node(&args.node),
        Some(vmid) => match guest(client, &args.node, vmid).await? {
            target if args.serial.is_some() => target.serial(args.serial.unwrap_or(0)),
            target => target,
        },
    };
    let term = client.terminal(target.clone()).await?;
    match escape {
        Some(_) => eprintln!(
            "proxmoxia: connected to {target}; press {} to leave",
            args.escape
        ),
        None => eprintln!("proxmoxia: connected to {target}"),
    }
    let raw = tty::RawMode::enter()
        .map_err(|e| Fail::new(format!("cannot put the terminal in raw mode: {e}")))?;
    let ended = session(term, escape).await;
    drop(raw);
    match ended {
        Ok(Ending::Escape) => eprintln!("proxmoxia: left the console"),
        Ok(Ending::Closed) => eprintln!("proxmoxia: the console closed"),
        Err(e) => return Err(e),
    }
    Ok(())
}

/// How a session ended.
enum Ending {
    /// The escape key.
    Escape,
    /// PVE ended it (the shell exited), or standard input did.
    Closed,
}

/// Carries keys to the console and its output to standard output until the escape key or
/// the end; resizes the console with the window.
async fn session(mut term: Terminal, escape: Option<u8>) -> Result<Ending, Fail> {
    let control = term.control();
    if let Some((cols, rows)) = tty::size() {
        control.resize(cols, rows).await?;
    }
    let mut window = window_changes();
    let mut stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    let (mut keys, mut output) = ([0u8; 1024], [0u8; 16 * 1024]);
    let ending = loop {
        tokio::select! {
            read = stdin.read(&mut keys) => match read {
                Ok(0) | Err(_) => break Ending::Closed,
                Ok(n) => {
                    let keys = &keys[..n];
                    let at = escape.and_then(|key| keys.iter().position(|&b| b == key));
                    let typed = at.map_or(keys, |at| &keys[..at]);
                    if term.write_all(typed).await.is_err() {
                        break Ending::Closed;
                    }
                    if at.is_some() {
                        break Ending::Escape;
                    }
                }
            },
            read = term.read(&mut output) => match read {
                Ok(0) | Err(_) => break Ending::Closed,
                Ok(n) => {
                    let shown = stdout.write_all(&output[..n]).await;
                    if shown.and(stdout.flush().await).is_err() {
                        break Ending::Closed;
                    }
                }
            },
            Some(()) = next_change(&mut window) => {
                if let Some((cols, rows)) = tty::size() {
                    control.resize(cols, rows).await?;
                }
            }
        }
    };
    term.close().await?;
    Ok(ending)
}

#[cfg(unix)]
type WindowChanges = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type WindowChanges = Option<()>;

/// SIGWINCH, the window's size changed.
fn window_changes() -> WindowChanges {
    #[cfg(unix)]
    {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}

async fn next_change(changes: &mut WindowChanges) -> Option<()> {
    match changes {
        #[cfg(unix)]
        Some(signal) => signal.recv().await,
        _ => std::future::pending().await,
    }
}

pub async fn vnc(conn: &crate::args::Connection, args: Vnc) -> Result<(), Fail> {
    let conn = connect::connect(conn, Mode::Interactive).await?;
    let client = &conn.client;
    let target = guest(client, &args.node, args.vmid).await?;
    let listener = client.vnc_listener(target.clone(), &args.listen).await?;
    let addr = listener.local_addr()?;
    eprintln!(
        "proxmoxia: VNC of {target} on {addr}: point a VNC viewer there (no password: \
         proxmoxia logs each connection in to PVE's VNC); Ctrl+C stops"
    );
    if !addr.ip().is_loopback() {
        eprintln!(
            "proxmoxia: warning: {addr} is not a loopback address: whoever reaches it gets the screen"
        );
    }
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(viewer) => {
                    eprintln!("proxmoxia: viewer {} connected", viewer.peer_addr());
                    tokio::spawn(async move {
                        let peer = viewer.peer_addr();
                        match viewer.forward().await {
                            Ok(()) => eprintln!("proxmoxia: viewer {peer} disconnected"),
                            Err(e) => eprintln!("proxmoxia: viewer {peer}: {e}"),
                        }
                    });
                }
                Err(e) => eprintln!("proxmoxia: {e}"),
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(())
}
