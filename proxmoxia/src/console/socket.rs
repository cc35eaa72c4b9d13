//! The websocket of `vncwebsocket`: TCP, then TLS with the client's own rustls configuration
//! (the same pins and CAs as every API call), then the upgrade, authenticated like any request
//! and offering the `binary` subprotocol as PVE's own clients (xterm.js, noVNC) do.

use std::sync::Arc;

use reqwest::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL, USER_AGENT};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::Client;
use crate::client::session::RequestAuth;
use crate::error::{ConsoleError, Error, Result, TransportError, TransportErrorKind};
use crate::secret::Secret;

/// An open console websocket.
pub(crate) type Socket = WebSocketStream<TlsStream<TcpStream>>;

/// The subprotocol PVE's websocket proxy speaks (it only ever sends binary frames).
pub(crate) const SUBPROTOCOL: &str = "binary";

/// Opens `GET <path>/vncwebsocket?port=..&vncticket=..` (`path` under `/api2/json`, e.g.
/// `nodes/pve1/qemu/100`) as a websocket.
pub(crate) async fn connect(
    client: &Client,
    path: &str,
    port: u16,
    ticket: &Secret,
) -> Result<Socket> {
    let settings = client.console_settings();
    let api_path = format!("{path}/vncwebsocket");
    let base = client.base_url();
    // The URL errors show: the ticket is a credential.
    let shown = format!("{base}/{api_path}?port={port}&vncticket=***");
    let url = reqwest::Url::parse(base).map_err(|e| Error::Config(format!("{base}: {e}")))?;
    // `[::1]` in a URL; the address itself for connecting and for the certificate check.
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let server_name = rustls::pki_types::ServerName::try_from(host.clone())
        .map_err(|e| Error::Config(format!("{base}: {e}")))?;
    let tcp_port = url.port_or_known_default().unwrap_or(crate::DEFAULT_PORT);
    let connect_failed = |kind, message: String| {
        Error::Transport(Box::new(TransportError {
            kind,
            method: "GET".into(),
            url: shown.clone(),
            message,
            retry_safe: true,
            source: None,
        }))
    };
    let tcp = tokio::time::timeout(
        settings.connect_timeout,
        TcpStream::connect((host.as_str(), tcp_port)),
    )
    .await
    .map_err(|_| {
        connect_failed(
            TransportErrorKind::ConnectTimeout,
            format!("no connection within {:?}", settings.connect_timeout),
        )
    })?
    .map_err(|e| connect_failed(TransportErrorKind::Connect, e.to_string()))?;
    // Keystrokes go out at once.
    let _ = tcp.set_nodelay(true);
    let tls = TlsConnector::from(Arc::clone(&settings.tls))
        .connect(server_name, tcp)
        .await
        .map_err(|e| Error::Tls {
            url: shown.clone(),
            message: crate::tls::tls_cause(&e).unwrap_or_else(|| e.to_string()),
            source: Some(Box::new(e)),
        })?;

    let ticket =
        percent_encoding::utf8_percent_encode(ticket.expose(), percent_encoding::NON_ALPHANUMERIC);
    let wss = format!(
        "wss://{}/api2/json/{api_path}?port={port}&vncticket={ticket}",
        authority(&url)
    );
    let mut request = wss
        .into_client_request()
        .map_err(|e| Error::Config(format!("console URL {shown}: {e}")))?;
    let headers = request.headers_mut();
    headers.insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(SUBPROTOCOL),
    );
    if let Ok(agent) = HeaderValue::from_str(&settings.user_agent) {
        headers.insert(USER_AGENT, agent);
    }
    match client.console_auth() {
        RequestAuth::Token(Some(value)) => {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        RequestAuth::Ticket {
            cookie: Some(value),
            ..
        } => {
            headers.insert(reqwest::header::COOKIE, value);
        }
        RequestAuth::None => return Err(crate::AuthError::NotLoggedIn.into()),
        _ => {
            return Err(Error::Config(
                "the credentials hold characters an HTTP header cannot carry".into(),
            ));
        }
    }
    match tokio_tungstenite::client_async(request, tls).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(response)) => {
            let status = response.status();
            let body = response.body().as_deref().unwrap_or_default();
            let reason = status.canonical_reason().unwrap_or_default();
            let message = crate::client::api_error_of(status.as_u16(), reason, body)
                .map_or_else(|| reason.to_owned(), |e| e.message);
            Err(ConsoleError::UpgradeRefused {
                path: api_path,
                status: status.as_u16(),
                message,
            }
            .into())
        }
        Err(e) => Err(ConsoleError::Closed {
            when: "during the websocket upgrade".into(),
            reason: e.to_string(),
        }
        .into()),
    }
}

/// `host:port` of a URL, an IPv6 host in brackets.
fn authority(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}
