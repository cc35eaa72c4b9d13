//! Consoles end to end against the embedded fake: terminals of a node, a container and a VM's
//! serial port (a command and its echo, a resize seen by `stty size`, a clean close, the end
//! PVE makes), a VNC handshake through the local port of a listener, and the refusals: an API
//! token on PVE 8.4, a refused websocket upgrade, an upgrade without the `binary`
//! subprotocol, a VM without a serial port. Every wait has a deadline that fails the test.

use std::time::Duration;

use proxmoxia::console::{ConsoleTarget, Terminal};
use proxmoxia::mock::{Fault, GuestSpec, MockPve};
use proxmoxia::{ConsoleError, Error, ErrorKind};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A deadline for waits that must end: reaching it fails the test.
const DEADLINE: Duration = Duration::from_secs(30);

/// Reads until the output ends with `end`; returns all of it.
async fn read_until(io: &mut (impl AsyncRead + Unpin), end: &str) -> String {
    let mut got = Vec::new();
    let reading = async {
        let mut buf = [0; 1024];
        while !got.ends_with(end.as_bytes()) {
            let n = io.read(&mut buf).await.expect("the console reads");
            assert!(
                n > 0,
                "the console ended early: {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(DEADLINE, reading)
        .await
        .unwrap_or_else(|_| panic!("no {end:?} in time"));
    String::from_utf8(got).expect("UTF-8 output")
}

async fn type_line(term: &mut Terminal, line: &str) {
    term.write_all(format!("{line}\r").as_bytes())
        .await
        .expect("the console takes input");
}

#[tokio::test]
async fn a_node_terminal_runs_a_command_resizes_and_closes() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let mut term = client.terminal(ConsoleTarget::node("pve1")).await.unwrap();
    assert_eq!(read_until(&mut term, "# ").await, "root@pve1:~# ");

    type_line(&mut term, "echo hello").await;
    assert_eq!(
        read_until(&mut term, "# ").await,
        "echo hello\r\nhello\r\nroot@pve1:~# "
    );

    // termproxy's pty starts at 80x20; a resize is columns first.
    type_line(&mut term, "stty size").await;
    assert_eq!(
        read_until(&mut term, "# ").await,
        "stty size\r\n20 80\r\nroot@pve1:~# "
    );
    term.resize(120, 40).await.unwrap();
    type_line(&mut term, "stty size").await;
    assert_eq!(
        read_until(&mut term, "# ").await,
        "stty size\r\n40 120\r\nroot@pve1:~# "
    );

    term.close().await.unwrap();
    let requests = pve.requests();
    assert_eq!(
        requests[1..],
        [
            ("POST".to_owned(), "/nodes/pve1/termproxy".to_owned()),
            ("GET".to_owned(), "/nodes/pve1/vncwebsocket".to_owned()),
        ]
    );
}

#[tokio::test]
async fn when_the_shell_exits_reads_end_and_writes_fail_with_a_closed_console() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let mut term = client
        .terminal(ConsoleTarget::lxc("pve1", 200))
        .await
        .unwrap();
    assert_eq!(
        read_until(&mut term, "# ").await,
        "Connected to tty 1\r\nroot@dns:~# "
    );
    type_line(&mut term, "exit").await;
    let mut rest = String::new();
    tokio::time::timeout(DEADLINE, term.read_to_string(&mut rest))
        .await
        .expect("the end in time")
        .unwrap();
    assert_eq!(rest, "exit\r\nlogout\r\n");

    let err = term.write_all(b"ls\r").await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
    let inner = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<Error>())
        .expect("a proxmoxia error inside");
    assert!(
        matches!(inner, Error::Console(e) if matches!(**e, ConsoleError::Closed { .. })),
        "{inner:?}"
    );
    assert_eq!(
        inner.to_string(),
        "the console's socket closed while writing: the session has ended (PVE refused before \
         acting: safe to retry)"
    );
    assert_eq!(inner.kind(), ErrorKind::Disconnected);
    // PVE ended it cleanly.
    term.close().await.unwrap();
}

#[tokio::test]
async fn a_vm_terminal_needs_a_serial_port() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let err = client
        .terminal(ConsoleTarget::qemu("pve1", 100))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "VM 100 has no serial port for a terminal: unable to find a serial interface (PVE \
         refused before acting: safe to retry)"
    );
    assert!(matches!(&err, Error::Console(e)
        if **e == ConsoleError::NoSerialPort { vmid: 100, message: "unable to find a serial interface".into() }));
    let err = client
        .terminal(ConsoleTarget::qemu("pve1", 100).serial(1))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "VM 100 has no serial port for a terminal: serial interface 'serial1' is not configured"
        ),
        "{err}"
    );

    pve.add_guest(
        GuestSpec::qemu(100)
            .name("web")
            .running()
            .config("serial0", "socket"),
    );
    let mut term = client
        .terminal(ConsoleTarget::qemu("pve1", 100))
        .await
        .unwrap();
    assert_eq!(
        read_until(&mut term, "# ").await,
        "starting serial terminal on interface serial0\r\nroot@web:~# "
    );
    type_line(&mut term, "echo été").await;
    assert_eq!(
        read_until(&mut term, "# ").await,
        "echo été\r\nété\r\nroot@web:~# "
    );
    term.close().await.unwrap();
}

#[tokio::test]
async fn an_api_token_is_refused_before_anything_is_opened_on_pve_8_4() {
    let pve = MockPve::builder()
        .pve_version("8.4.17")
        .start()
        .await
        .unwrap();
    let secret = pve.add_token("root@pam!ci");
    let client = pve
        .client_builder()
        .api_token("root@pam!ci", secret.as_str())
        .build()
        .unwrap();
    let err = client
        .terminal(ConsoleTarget::node("pve1"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "API token root@pam!ci cannot open a terminal on PVE 8.4.17: its termproxy accepts only \
         a user's ticket (PVE 9.1.11, 9.2 accept tokens there). Log in with a user and password \
         for a console (nothing reached PVE: safe to retry)"
    );
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    // Only the cluster's version was asked.
    assert_eq!(pve.requests(), [("GET".to_owned(), "/version".to_owned())]);
    // What PVE 8.4 itself answers a token (the client would not ask).
    let raw = client.nodes("pve1").termproxy().post().await.unwrap_err();
    assert_eq!(
        raw.to_string(),
        "value 'root@pam!ci' does not look like a valid user name (HTTP 500 on POST \
         nodes/pve1/termproxy) (the write may have been carried out: not safe to retry blindly)"
    );
}

#[tokio::test]
async fn an_api_token_opens_a_terminal_on_pve_9() {
    let pve = MockPve::start().await.unwrap();
    let secret = pve.add_token("root@pam!ci");
    let client = pve
        .client_builder()
        .api_token("root@pam!ci", secret.as_str())
        .build()
        .unwrap();
    let mut term = client.terminal(ConsoleTarget::node("pve1")).await.unwrap();
    assert_eq!(read_until(&mut term, "# ").await, "root@pve1:~# ");
    type_line(&mut term, "hostname").await;
    assert_eq!(
        read_until(&mut term, "# ").await,
        "hostname\r\npve1\r\nroot@pve1:~# "
    );
    term.close().await.unwrap();
}

#[tokio::test]
async fn a_refused_upgrade_is_a_typed_error_with_pves_status_and_message() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    pve.fail_next(
        "GET",
        "/nodes/pve1/lxc/200/vncwebsocket",
        Fault::Status(403, "Permission check failed (/vms/200, VM.Console)".into()),
    );
    let err = client
        .terminal(ConsoleTarget::lxc("pve1", 200))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Console(e) if matches!(**e,
            ConsoleError::UpgradeRefused { status: 403, .. })),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "PVE refused the console's websocket: Permission check failed (/vms/200, VM.Console) \
         (HTTP 403 on GET nodes/pve1/lxc/200/vncwebsocket) (PVE refused before acting: safe to \
         retry)"
    );
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

/// A TLS connection to the fake, trusting its CA, for a bare websocket client.
async fn tls_to(pve: &MockPve) -> tokio_rustls::client::TlsStream<TcpStream> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pve.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(pve.url().trim_start_matches("https://"))
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_upgrade_without_the_binary_subprotocol_is_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let grant = client.nodes("pve1").termproxy().post().await.unwrap();
    let ticket = grant.ticket.unwrap();
    let url = format!(
        "{}/api2/json/nodes/pve1/vncwebsocket?port={}&vncticket={}",
        pve.url().replace("https://", "wss://"),
        grant.port.unwrap(),
        proxmoxia::encode_segment(ticket.expose()),
    );
    let mut request = url.into_client_request().unwrap();
    let cookie = format!(
        "PVEAuthCookie={}",
        client.session().unwrap().ticket().expose()
    );
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let err = tokio_tungstenite::client_async(request, tls_to(&pve).await)
        .await
        .unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = err else {
        panic!("expected an HTTP refusal: {err:?}");
    };
    assert_eq!(response.status().as_u16(), 501);
    let body: serde_json::Value =
        serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
    assert_eq!(body["message"], "missing websocket-protocol header\n");
}

/// The forwarder answers PVE's VNC authentication itself (the fake checks the DES answer) and
/// lets the viewer in with security type None: the viewer never needs the password.
#[tokio::test]
async fn a_vnc_viewer_does_the_rfb_handshake_through_the_local_port() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    let listener = client
        .vnc_listener(ConsoleTarget::qemu("pve1", 100), "127.0.0.1:0")
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = tokio::spawn(async move {
        let viewer = listener.accept().await.unwrap();
        viewer.forward().await
    });

    let mut viewer = TcpStream::connect(addr).await.unwrap();
    let exchange = async {
        let mut greeting = [0; 12];
        viewer.read_exact(&mut greeting).await.unwrap();
        assert_eq!(&greeting, b"RFB 003.008\n");
        viewer.write_all(b"RFB 003.008\n").await.unwrap();
        let mut types = [0; 2];
        viewer.read_exact(&mut types).await.unwrap();
        assert_eq!(types, [1, 1], "one security type: None");
        viewer.write_all(&[1]).await.unwrap();
        let mut result = [9; 4];
        viewer.read_exact(&mut result).await.unwrap();
        assert_eq!(result, [0, 0, 0, 0], "SecurityResult OK");
        viewer.write_all(&[1]).await.unwrap(); // ClientInit, shared
        let mut init = [0; 24];
        viewer.read_exact(&mut init).await.unwrap();
        assert_eq!(init[..4], [0x03, 0x20, 0x02, 0x58], "800x600");
        assert_eq!(init[20..], [0, 0, 0, 3]);
        let mut name = [0; 3];
        viewer.read_exact(&mut name).await.unwrap();
        assert_eq!(&name, b"web");
    };
    tokio::time::timeout(DEADLINE, exchange)
        .await
        .expect("the handshake in time");
    drop(viewer);
    tokio::time::timeout(DEADLINE, serving)
        .await
        .expect("forwarding ends with the viewer")
        .unwrap()
        .unwrap();
    assert_eq!(
        pve.requests()[1..],
        [
            (
                "POST".to_owned(),
                "/nodes/pve1/qemu/100/vncproxy".to_owned()
            ),
            (
                "GET".to_owned(),
                "/nodes/pve1/qemu/100/vncwebsocket".to_owned()
            ),
        ]
    );
}

/// The fake checks VNC authentication: through a raw tunnel, a wrong answer is refused with
/// RFB's reason, the right one (DES with the bit-reversed password) accepted.
#[tokio::test]
async fn the_fakes_vnc_server_checks_the_password() {
    let pve = MockPve::start().await.unwrap();
    let client = pve.login().await.unwrap();
    for right in [false, true] {
        let mut tunnel = client.vnc(ConsoleTarget::qemu("pve1", 100)).await.unwrap();
        let password = tunnel.password().expose().to_owned();
        // PVE 9's VNC password: eight printable characters.
        assert_eq!(password.len(), 8);
        assert!(password.bytes().all(|b| b.is_ascii_graphic()), "{password}");
        let exchange = async {
            let mut greeting = [0; 12];
            tunnel.read_exact(&mut greeting).await.unwrap();
            tunnel.write_all(b"RFB 003.008\n").await.unwrap();
            let mut types = [0; 2];
            tunnel.read_exact(&mut types).await.unwrap();
            assert_eq!(types, [1, 2], "one security type: VNC authentication");
            tunnel.write_all(&[2]).await.unwrap();
            let mut challenge = [0; 16];
            tunnel.read_exact(&mut challenge).await.unwrap();
            let answer = if right {
                vnc_answer(password.as_bytes(), &challenge)
            } else {
                [0; 16]
            };
            tunnel.write_all(&answer).await.unwrap();
            let mut result = [9; 4];
            tunnel.read_exact(&mut result).await.unwrap();
            let mut reason = Vec::new();
            if result != [0; 4] {
                let mut len = [0; 4];
                tunnel.read_exact(&mut len).await.unwrap();
                reason = vec![0; u32::from_be_bytes(len) as usize];
                tunnel.read_exact(&mut reason).await.unwrap();
            }
            (result, String::from_utf8(reason).unwrap())
        };
        let outcome = tokio::time::timeout(DEADLINE, exchange)
            .await
            .expect("the handshake in time");
        let expected = match right {
            true => ([0, 0, 0, 0], String::new()),
            false => ([0, 0, 0, 1], "Authentication failed".to_owned()),
        };
        assert_eq!(outcome, expected);
        drop(tunnel);
    }
}

/// VNC authentication's answer, written out independently of the library: DES (via the
/// `des` crate) of each half of the challenge, keyed by the password's bytes bit-reversed.
fn vnc_answer(password: &[u8], challenge: &[u8; 16]) -> [u8; 16] {
    use des::cipher::{Block, BlockCipherEncrypt, KeyInit};
    let mut key = [0u8; 8];
    for (k, p) in key.iter_mut().zip(password) {
        *k = p.reverse_bits();
    }
    let cipher = des::Des::new_from_slice(&key).unwrap();
    let mut out = [0u8; 16];
    for (half, chunk) in out.chunks_mut(8).zip(challenge.chunks(8)) {
        let mut block = Block::<des::Des>::default();
        block.copy_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        half.copy_from_slice(&block);
    }
    out
}

#[test]
fn a_blocking_terminal_reads_and_writes_with_std_io() {
    use std::io::{Read, Write};

    let rt = tokio::runtime::Runtime::new().unwrap();
    let pve = rt.block_on(MockPve::start()).unwrap();
    let client = proxmoxia::blocking::Client::new(pve.client().unwrap()).unwrap();
    client.login("root@pam", "secret").unwrap();
    let term = client.terminal(ConsoleTarget::node("pve1")).unwrap();
    let read_until = |end: &str| {
        let mut got = Vec::new();
        let mut buf = [0; 256];
        while !got.ends_with(end.as_bytes()) {
            let n = (&term).read(&mut buf).unwrap();
            assert!(n > 0, "ended early: {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(got).unwrap()
    };
    assert_eq!(read_until("# "), "root@pve1:~# ");
    (&term).write_all(b"echo blocking\r").unwrap();
    assert_eq!(
        read_until("# "),
        "echo blocking\r\nblocking\r\nroot@pve1:~# "
    );
    term.resize(100, 30).unwrap();
    (&term).write_all(b"stty size\r").unwrap();
    assert_eq!(read_until("# "), "stty size\r\n30 100\r\nroot@pve1:~# ");
    term.close().unwrap();
    drop(client);
    drop(pve);
}
