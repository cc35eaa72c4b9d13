//! Consoles in the fake (with the `console` feature): `termproxy`, `vncproxy` (`vncshell` for
//! a node) and `vncwebsocket`, the websocket upgrade, a small shell behind PVE's termproxy
//! protocol, and an RFB 3.8 server for VNC.
//!
//! As PVE: a grant (ticket and port) serves one connection, within 40 s of the request (by
//! the fake's clock); `vncwebsocket` checks the ticket's user, path and port (401
//! `permission denied - invalid PVEVNC ticket`); API tokens open terminals only where the
//! played version has `POST /access/vncticket` (9.1 on): before, a node's `termproxy` refuses
//! them (`value 'root@pam!ci' does not look like a valid user name`) and a guest's termproxy
//! closes the socket after the ticket line. Stricter than PVE 7 and later, as PVE 6 was: an
//! upgrade that does not offer the `binary` subprotocol is refused (501).
//!
//! The shell echoes what is typed, like a terminal; answers `echo ...`, `stty size` (the size
//! the client last set, termproxy's 80x20 at first), `hostname`, `exit`. The VNC server
//! greets with `RFB 003.008`, offers VNC authentication (type 2), sends a challenge and
//! checks the answer (DES with the grant's password, as VNC has it; a wrong one gets
//! `Authentication failed`), then a 800x600 ServerInit named after the guest.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::request::{Ctx, Failure};
use super::state::{Grant, Kind, State};
use crate::console::{Decoder, Event, SUBPROTOCOL};
use crate::typed::Endpoint;

type Answer = Result<Value, Failure>;

/// How long a console ticket is good for (PVE: 40 s).
const TICKET_LIFETIME: u64 = 40;

/// Whether the played version lets API tokens own console tickets.
fn tokens_accepted(state: &State) -> bool {
    <crate::api::access::vncticket::post::Endpoint as Endpoint>::VERSIONS & (1 << state.schema) != 0
}

/// PVE 8's `verify_username` on a token id.
fn no_user_name(user: &str) -> Failure {
    Failure::new(
        500,
        format!("value '{user}' does not look like a valid user name"),
    )
}

/// The console paths; `guest` is the request's guest, checked to exist by the caller.
pub(crate) fn route(
    state: &mut State,
    ctx: &Ctx<'_>,
    guest: Option<(Kind, u32)>,
) -> Option<Answer> {
    let t = ctx.template;
    let last = t.rsplit('/').next().unwrap_or_default();
    let node_level = t == format!("/nodes/{{node}}/{last}");
    let path = |guest: Option<(Kind, u32)>| match guest {
        None => format!("/nodes/{}", ctx.node()),
        Some((kind, vmid)) => format!("/nodes/{}/{}/{vmid}", ctx.node(), kind.as_str()),
    };
    let token = ctx.user.contains('!');
    let node_refuses_token = node_level && token && !tokens_accepted(state);
    Some(match (ctx.method, last) {
        ("POST", "termproxy") if node_level || guest.is_some() => {
            if node_refuses_token {
                return Some(Err(no_user_name(&ctx.user)));
            }
            let serial = ctx.str("serial").map(str::to_owned);
            Ok(grant(state, ctx, path(guest), guest, Some(serial), false))
        }
        ("POST", "vncshell") if node_level => {
            if node_refuses_token {
                return Some(Err(no_user_name(&ctx.user)));
            }
            Ok(grant(
                state,
                ctx,
                path(None),
                None,
                None,
                ctx.flag("websocket"),
            ))
        }
        ("POST", "vncproxy") if guest.is_some() => Ok(grant(
            state,
            ctx,
            path(guest),
            guest,
            None,
            ctx.flag("websocket"),
        )),
        ("GET", "vncwebsocket") if node_level || guest.is_some() => {
            if node_refuses_token {
                return Some(Err(no_user_name(&ctx.user)));
            }
            verify(state, ctx, &path(guest)).map(|port| json!({ "port": port.to_string() }))
        }
        _ => return None,
    })
}

/// A grant on the next free port from 5900, with a task for the proxy as PVE starts one.
fn grant(
    state: &mut State,
    ctx: &Ctx<'_>,
    path: String,
    guest: Option<(Kind, u32)>,
    terminal: Option<Option<String>>,
    websocket: bool,
) -> Value {
    let now = state.server_now();
    let mut ticket = format!("PVEVNC:{now:08X}::{}", state.random_hex(24));
    let mut answer = json!({ "user": ctx.user });
    // PVE 9 makes a VNC password for a websocket (9.1's security update); PVE 8 takes the
    // ticket as the password.
    if terminal.is_none() && websocket && tokens_accepted(state) {
        let password: String = state
            .random_hex(4)
            .chars()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        ticket = format!("{password}:{ticket}");
        answer["password"] = json!(password);
    }
    if terminal.is_none() {
        answer["cert"] =
            json!("-----BEGIN CERTIFICATE-----\n(the fake's)\n-----END CERTIFICATE-----\n");
    }
    state
        .consoles
        .retain(|_, g| now < g.issued + TICKET_LIFETIME);
    let port = (5900..=5999u16)
        .find(|p| !state.consoles.contains_key(p))
        .unwrap_or(5999);
    let id = guest.map(|(_, vmid)| vmid.to_string()).unwrap_or_default();
    let kind = if guest.is_none() {
        "vncshell"
    } else {
        "vncproxy"
    };
    let upid = state.spawn_task(
        ctx.node(),
        kind,
        &id,
        &ctx.user,
        vec![],
        Box::new(|_| Ok(vec![])),
    );
    state.consoles.insert(
        port,
        Grant {
            ticket: ticket.clone(),
            user: ctx.user.clone(),
            path,
            node: ctx.node().to_owned(),
            guest,
            terminal,
            issued: now,
        },
    );
    answer["ticket"] = json!(ticket);
    answer["port"] = json!(port);
    answer["upid"] = json!(upid);
    answer
}

/// `vncwebsocket`'s check: the ticket was made for this user, path and port, and is fresh.
fn verify(state: &State, ctx: &Ctx<'_>, path: &str) -> Result<u16, Failure> {
    let invalid = || Failure::new(401, "permission denied - invalid PVEVNC ticket");
    let port = ctx
        .str("port")
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(invalid)?;
    let ticket = ctx.str("vncticket").unwrap_or_default();
    let grant = state.consoles.get(&port).ok_or_else(invalid)?;
    let now = state.server_now();
    if strip_password(ticket) != strip_password(&grant.ticket)
        || grant.user != ctx.user
        || grant.path != path
        || now >= grant.issued + TICKET_LIFETIME
    {
        return Err(invalid());
    }
    Ok(port)
}

/// PVE's `verify_vnc_ticket` drops an 8-character password before the ticket.
fn strip_password(ticket: &str) -> &str {
    match ticket.find(":PVEVNC:") {
        Some(8) => &ticket[9..],
        _ => ticket,
    }
}

// ----------------------------------------------------------------------------- upgrade

/// The upgrade's headers.
pub(crate) struct Upgrade {
    key: Option<String>,
    version: Option<String>,
    protocol: Option<String>,
    on_upgrade: hyper::upgrade::OnUpgrade,
}

/// `Some` for a websocket upgrade of a `vncwebsocket` path.
pub(crate) fn upgrade_of(req: &mut hyper::Request<hyper::body::Incoming>) -> Option<Upgrade> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let wanted = header("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
        && req.uri().path().ends_with("/vncwebsocket");
    if !wanted {
        return None;
    }
    Some(Upgrade {
        key: header("sec-websocket-key"),
        version: header("sec-websocket-version"),
        protocol: header("sec-websocket-protocol"),
        on_upgrade: hyper::upgrade::on(req),
    })
}

/// After `vncwebsocket` answered `answer` (as for a plain GET): PVE's refusals, or the 101
/// and the session behind it, which ends when the client closes or the fake stops.
pub(crate) fn upgrade(
    state: Arc<Mutex<State>>,
    upgrade: Upgrade,
    answer: Result<Value, Failure>,
    mut stopped: tokio::sync::watch::Receiver<()>,
) -> Result<Response<http_body_util::Full<bytes::Bytes>>, Failure> {
    let port = answer?
        .get("port")
        .and_then(Value::as_str)
        .and_then(|p| p.parse::<u16>().ok())
        .ok_or_else(|| Failure::new(500, "websocket_proxy: missing port or socket"))?;
    if upgrade.version.as_deref() != Some("13") {
        return Err(Failure::new(
            501,
            format!(
                "unsupported websocket-version '{}'",
                upgrade.version.unwrap_or_default()
            ),
        ));
    }
    let key = upgrade
        .key
        .ok_or_else(|| Failure::new(501, "missing websocket-key"))?;
    match upgrade.protocol.as_deref() {
        None => return Err(Failure::new(501, "missing websocket-protocol header")),
        Some(offered) if !offered.split(',').any(|p| p.trim() == SUBPROTOCOL) => {
            return Err(Failure::new(
                501,
                format!("unsupported websocket-protocol protocol '{offered}'"),
            ));
        }
        Some(_) => {}
    }
    // One connection per grant, as PVE's proxies take.
    let grant = state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .consoles
        .remove(&port)
        .ok_or_else(|| Failure::new(500, format!("connect to 'localhost:{port}' failed")))?;
    let on_upgrade = upgrade.on_upgrade;
    tokio::spawn(async move {
        let session = async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let io = hyper_util::rt::TokioIo::new(upgraded);
            let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
            match grant.terminal.clone() {
                Some(serial) => terminal(ws, &state, grant, serial).await,
                None => vnc(ws, &state, grant).await,
            }
        };
        tokio::select! {
            biased;
            _ = stopped.changed() => {}
            () = session => {}
        }
    });
    let mut response = Response::new(http_body_util::Full::new(bytes::Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    for (name, value) in [
        ("upgrade", "websocket".to_owned()),
        ("connection", "upgrade".to_owned()),
        ("sec-websocket-accept", accept),
        ("sec-websocket-protocol", SUBPROTOCOL.to_owned()),
    ] {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

// --------------------------------------------------------------------------- sessions

type Socket = WebSocketStream<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// Bytes over websocket messages, as a stream.
struct Wire {
    ws: Socket,
    pending: Vec<u8>,
}

impl Wire {
    /// The next bytes the client sent; `None` once it closed.
    async fn next(&mut self) -> Option<Vec<u8>> {
        if !self.pending.is_empty() {
            return Some(std::mem::take(&mut self.pending));
        }
        loop {
            match self.ws.next().await? {
                Ok(Message::Binary(data)) => return Some(data.to_vec()),
                Ok(Message::Text(text)) => return Some(text.as_bytes().to_vec()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    async fn read_exact(&mut self, n: usize) -> Option<Vec<u8>> {
        let mut got = Vec::new();
        while got.len() < n {
            got.extend(self.next().await?);
        }
        self.pending = got.split_off(n);
        Some(got)
    }

    async fn send(&mut self, data: impl Into<Vec<u8>>) -> Option<()> {
        self.ws.send(Message::binary(data.into())).await.ok()
    }

    /// Ends the session from the server's side, as when termproxy's command exits.
    async fn close(mut self) {
        let _ = self.ws.close(None).await;
        while let Some(Ok(_)) = self.ws.next().await {}
    }

    /// Waits for the client's close.
    async fn drain(mut self) {
        while let Some(Ok(message)) = self.ws.next().await {
            if message.is_close() {
                break;
            }
        }
    }
}

/// The guest's name, as its config has it.
fn guest_name(state: &Mutex<State>, vmid: u32) -> String {
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    state
        .guests
        .get(&vmid)
        .and_then(|g| g.config.get("name").or(g.config.get("hostname")).cloned())
        .unwrap_or_else(|| vmid.to_string())
}

/// A terminal: termproxy's handshake, what PVE's command prints first, then the shell.
async fn terminal(ws: Socket, state: &Mutex<State>, grant: Grant, serial: Option<String>) {
    let mut wire = Wire {
        ws,
        pending: Vec::new(),
    };
    let mut line = Vec::new();
    while !line.contains(&b'\n') {
        match wire.next().await {
            Some(data) => line.extend(data),
            None => return,
        }
    }
    let rest = line.split_off(line.iter().position(|&b| b == b'\n').unwrap_or(0) + 1);
    let expected = format!("{}:{}\n", grant.user, grant.ticket);
    let token_refused = grant.user.contains('!')
        && !tokens_accepted(&state.lock().unwrap_or_else(|e| e.into_inner()));
    // termproxy's "authentication request failed": it exits, the socket closes.
    if line != expected.as_bytes() || token_refused {
        return wire.close().await;
    }
    wire.pending = rest;
    if wire.send(&b"OK"[..]).await.is_none() {
        return;
    }
    let (greeting, host) = match grant.guest {
        None => (String::new(), grant.node.clone()),
        Some((Kind::Lxc, vmid)) => ("Connected to tty 1\r\n".into(), guest_name(state, vmid)),
        Some((Kind::Qemu, vmid)) => match serial_port(state, vmid, serial.as_deref()) {
            Ok(port) => (
                format!("starting serial terminal on interface {port}\r\n"),
                guest_name(state, vmid),
            ),
            Err(refusal) => {
                let _ = wire.send(format!("{refusal}\r\n")).await;
                return wire.close().await;
            }
        },
    };
    let user = grant.user.split('@').next().unwrap_or("root").to_owned();
    let prompt = format!("{user}@{host}:~# ");
    let mut shell = Shell {
        wire,
        line: Vec::new(),
        size: (80, 20),
        prompt,
        host,
    };
    if shell
        .wire
        .send(format!("{greeting}{}", shell.prompt))
        .await
        .is_none()
    {
        return;
    }
    shell.run().await;
}

/// The serial port `qm terminal` would open, or its refusal (qemu-server `PVE/CLI/qm.pm`).
fn serial_port(state: &Mutex<State>, vmid: u32, asked: Option<&str>) -> Result<String, String> {
    let state = state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(guest) = state.guests.get(&vmid) else {
        return Err(format!(
            "Configuration file 'nodes/pve1/qemu-server/{vmid}.conf' does not exist"
        ));
    };
    let port = match asked {
        Some(port) => match guest.config.get(port).map(String::as_str) {
            None => return Err(format!("serial interface '{port}' is not configured")),
            Some("socket") => port.to_owned(),
            Some(_) => return Err(format!("wrong serial type on interface '{port}'")),
        },
        None => ["serial0", "serial1", "serial2", "serial3"]
            .into_iter()
            .find(|p| guest.config.get(*p).is_some_and(|v| v == "socket"))
            .ok_or("unable to find a serial interface")?
            .to_owned(),
    };
    if !guest.running {
        return Err(format!("VM {vmid} not running"));
    }
    Ok(port)
}

/// The fake's shell behind termproxy.
struct Shell {
    wire: Wire,
    line: Vec<u8>,
    /// Columns, rows.
    size: (u16, u16),
    prompt: String,
    host: String,
}

impl Shell {
    async fn run(mut self) {
        let mut decoder = Decoder::default();
        while let Some(data) = self.wire.next().await {
            for event in decoder.push(&data) {
                match event {
                    Event::Input(bytes) => {
                        for byte in bytes {
                            if !self.key(byte).await {
                                return self.wire.close().await;
                            }
                        }
                    }
                    Event::Resize(cols, rows) => self.size = (cols, rows),
                    Event::Ping => {}
                }
            }
        }
    }

    /// One key, as a terminal in cooked mode with echo takes it; `false` once the shell exits.
    async fn key(&mut self, byte: u8) -> bool {
        let out: Vec<u8> = match byte {
            b'\r' | b'\n' => {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                let Some(answer) = self.command(line.trim()) else {
                    let _ = self.wire.send(&b"\r\nlogout\r\n"[..]).await;
                    return false;
                };
                format!("\r\n{answer}{}", self.prompt).into_bytes()
            }
            // Backspace.
            0x7f | 0x08 => {
                if self.line.pop().is_some() {
                    b"\x08 \x08".to_vec()
                } else {
                    Vec::new()
                }
            }
            // Ctrl-C.
            0x03 => {
                self.line.clear();
                format!("^C\r\n{}", self.prompt).into_bytes()
            }
            // Ctrl-D on an empty line.
            0x04 if self.line.is_empty() => {
                let _ = self.wire.send(&b"logout\r\n"[..]).await;
                return false;
            }
            byte if byte >= 0x20 || byte == b'\t' => {
                self.line.push(byte);
                vec![byte]
            }
            _ => Vec::new(),
        };
        out.is_empty() || self.wire.send(out).await.is_some()
    }

    /// A command's output lines (each ending `\r\n`); `None` for `exit`.
    fn command(&self, line: &str) -> Option<String> {
        let (name, args) = line.split_once(' ').unwrap_or((line, ""));
        let out = match name {
            "" => return Some(String::new()),
            "exit" | "logout" => return None,
            "echo" => args.to_owned(),
            "stty" if args.trim() == "size" => format!("{} {}", self.size.1, self.size.0),
            "hostname" => self.host.clone(),
            _ => format!("-bash: {name}: command not found"),
        };
        Some(format!("{out}\r\n"))
    }
}

/// VNC: an RFB 3.8 server's handshake, then whatever the viewer sends is taken.
async fn vnc(ws: Socket, state: &Mutex<State>, grant: Grant) {
    let mut wire = Wire {
        ws,
        pending: Vec::new(),
    };
    let name = match grant.guest {
        Some((_, vmid)) => guest_name(state, vmid),
        None => grant.node.clone(),
    };
    let challenge: [u8; 16] = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        let hex = state.random_hex(16);
        std::array::from_fn(|i| hex.as_bytes()[2 * i] ^ hex.as_bytes()[2 * i + 1])
    };
    // PVE 9's password comes before the ticket (`<password>:PVEVNC:...`); before, the
    // ticket is the password (VNC reads its first 8 bytes).
    let password = match grant.ticket.split_once(':') {
        Some((password, rest)) if rest.starts_with("PVEVNC:") => password,
        _ => grant.ticket.as_str(),
    };
    let expected = crate::console::rfb::vnc_auth_response(password.as_bytes(), &challenge);
    let handshake = async {
        wire.send(&b"RFB 003.008\n"[..]).await?;
        wire.read_exact(12).await?;
        // One security type: VNC authentication.
        wire.send(vec![1, 2]).await?;
        let chosen = wire.read_exact(1).await?;
        if chosen != [2] {
            let reason = b"security type not offered";
            let mut failed = vec![0, 0, 0, 1, 0, 0, 0, reason.len() as u8];
            failed.extend_from_slice(reason);
            wire.send(failed).await?;
            return None;
        }
        wire.send(challenge.to_vec()).await?;
        if wire.read_exact(16).await? != expected {
            let reason = b"Authentication failed";
            let mut failed = vec![0, 0, 0, 1, 0, 0, 0, reason.len() as u8];
            failed.extend_from_slice(reason);
            wire.send(failed).await?;
            return None;
        }
        wire.send(vec![0, 0, 0, 0]).await?;
        // ClientInit (shared flag), then ServerInit: 800x600, 32 bpp true colour.
        wire.read_exact(1).await?;
        let mut init = Vec::new();
        init.extend_from_slice(&800u16.to_be_bytes());
        init.extend_from_slice(&600u16.to_be_bytes());
        init.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
        init.extend_from_slice(&u32::try_from(name.len()).unwrap_or(0).to_be_bytes());
        init.extend_from_slice(name.as_bytes());
        wire.send(init).await
    };
    if handshake.await.is_some() {
        wire.drain().await;
    } else {
        wire.close().await;
    }
}
