//! The RFB (VNC) security handshake, both sides, for the forwarder: it answers PVE's VNC
//! authentication with the tunnel's password, and lets its local viewer in without one, so
//! the password is never shown to anyone.

use des::Des;
use des::cipher::{Block, BlockCipherEncrypt, KeyInit};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::{ConsoleError, Error, Result};
use crate::secret::Secret;

/// Security type "None".
const NONE: u8 = 1;
/// Security type "VNC authentication" (DES of a challenge).
const VNC_AUTH: u8 = 2;
/// The longest reason text read from a server (its length is the server's to say).
const MAX_REASON: u32 = 4096;

/// VNC authentication's answer: the 16-byte `challenge` encrypted with DES, the key being the
/// password's first 8 bytes (zero-padded) with each byte's bits reversed, as VNC has it.
pub(crate) fn vnc_auth_response(password: &[u8], challenge: &[u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 8];
    for (k, p) in key.iter_mut().zip(password) {
        *k = p.reverse_bits();
    }
    // An 8-byte key is always the right length.
    let Ok(cipher) = Des::new_from_slice(&key) else {
        return [0; 16];
    };
    let mut out = [0u8; 16];
    for (half, chunk) in out.chunks_mut(8).zip(challenge.chunks(8)) {
        let mut block = Block::<Des>::default();
        block.copy_from_slice(chunk);
        cipher.encrypt_block(&mut block);
        half.copy_from_slice(&block);
    }
    out
}

/// A failed handshake with `with` (`PVE`, `the viewer`).
fn failed(with: &str, reason: impl Into<String>) -> Error {
    ConsoleError::VncHandshake {
        with: with.into(),
        reason: reason.into(),
    }
    .into()
}

/// A read or write of the handshake that failed: the socket closed, or broke.
fn io(with: &'static str) -> impl Fn(std::io::Error) -> Error {
    move |e| failed(with, format!("the connection ended: {e}"))
}

/// Reads the protocol version a peer greets with (`RFB 003.008\n`): its minor number.
async fn version<S: AsyncRead + Unpin>(peer: &mut S, context: &'static str) -> Result<u8> {
    let mut text = [0u8; 12];
    peer.read_exact(&mut text).await.map_err(io(context))?;
    let minor = match &text {
        b"RFB 003.003\n" => 3,
        b"RFB 003.007\n" => 7,
        // 3.8 and anything later speak 3.8 (3.889 is Apple's 3.8).
        [
            b'R',
            b'F',
            b'B',
            b' ',
            b'0',
            b'0',
            b'3',
            b'.',
            _,
            _,
            _,
            b'\n',
        ] => 8,
        _ => return Err(failed(context, "not an RFB greeting")),
    };
    Ok(minor)
}

/// A server's reason for a refusal: a length, then the text.
async fn reason<S: AsyncRead + Unpin>(peer: &mut S) -> String {
    let mut len = [0u8; 4];
    if peer.read_exact(&mut len).await.is_err() {
        return "no reason given".into();
    }
    let len = u32::from_be_bytes(len).min(MAX_REASON);
    let mut text = Vec::new();
    let _ = peer.take(u64::from(len)).read_to_end(&mut text).await;
    String::from_utf8_lossy(&text).into_owned()
}

/// Logs in to PVE's VNC server as a viewer would, answering VNC authentication with
/// `password`; what follows (ClientInit onwards) is the viewer's.
pub(crate) async fn log_in<S>(pve: &mut S, password: &Secret) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    const CONTEXT: &str = "PVE";
    let minor = version(pve, CONTEXT).await?;
    let ours: &[u8] = match minor {
        3 => b"RFB 003.003\n",
        7 => b"RFB 003.007\n",
        _ => b"RFB 003.008\n",
    };
    pve.write_all(ours).await.map_err(io(CONTEXT))?;
    let kind = if minor == 3 {
        let mut kind = [0u8; 4];
        pve.read_exact(&mut kind).await.map_err(io(CONTEXT))?;
        match u32::from_be_bytes(kind) {
            0 => return Err(failed(CONTEXT, format!("refused: {}", reason(pve).await))),
            kind => u8::try_from(kind).unwrap_or(0),
        }
    } else {
        let mut count = [0u8; 1];
        pve.read_exact(&mut count).await.map_err(io(CONTEXT))?;
        if count[0] == 0 {
            return Err(failed(CONTEXT, format!("refused: {}", reason(pve).await)));
        }
        let mut kinds = vec![0u8; usize::from(count[0])];
        pve.read_exact(&mut kinds).await.map_err(io(CONTEXT))?;
        let kind = [VNC_AUTH, NONE]
            .into_iter()
            .find(|k| kinds.contains(k))
            .ok_or_else(|| {
                failed(
                    CONTEXT,
                    format!("no known security type offered: {kinds:?}"),
                )
            })?;
        pve.write_all(&[kind]).await.map_err(io(CONTEXT))?;
        kind
    };
    match kind {
        VNC_AUTH => {
            let mut challenge = [0u8; 16];
            pve.read_exact(&mut challenge).await.map_err(io(CONTEXT))?;
            let answer = vnc_auth_response(password.expose().as_bytes(), &challenge);
            pve.write_all(&answer).await.map_err(io(CONTEXT))?;
        }
        // 3.3 and 3.7 send no result for "None".
        NONE if minor < 8 => return Ok(()),
        NONE => {}
        other => return Err(failed(CONTEXT, format!("security type {other} asked for"))),
    }
    let mut result = [0u8; 4];
    pve.read_exact(&mut result).await.map_err(io(CONTEXT))?;
    match u32::from_be_bytes(result) {
        0 => Ok(()),
        _ if minor == 8 => Err(failed(
            CONTEXT,
            format!("the VNC password was refused: {}", reason(pve).await),
        )),
        _ => Err(failed(CONTEXT, "the VNC password was refused")),
    }
}

/// Greets a local viewer as a VNC server that asks no password (security type None), in
/// the protocol version the viewer picks; what follows (ClientInit onwards) is PVE's.
pub(crate) async fn let_in<S>(viewer: &mut S) -> Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    const CONTEXT: &str = "the viewer";
    viewer
        .write_all(b"RFB 003.008\n")
        .await
        .map_err(io(CONTEXT))?;
    match version(viewer, CONTEXT).await? {
        3 => viewer
            .write_all(&u32::from(NONE).to_be_bytes())
            .await
            .map_err(io(CONTEXT)),
        minor => {
            viewer.write_all(&[1, NONE]).await.map_err(io(CONTEXT))?;
            let mut chosen = [0u8; 1];
            viewer.read_exact(&mut chosen).await.map_err(io(CONTEXT))?;
            if chosen[0] != NONE {
                return Err(failed(
                    CONTEXT,
                    format!("it chose security type {}, not None (1)", chosen[0]),
                ));
            }
            if minor == 8 {
                viewer.write_all(&[0; 4]).await.map_err(io(CONTEXT))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DES of VNC authentication, checked against a known answer: the key `password`
    /// (bits reversed per byte) encrypting the challenge 00 01 .. 0f, as computed by
    /// OpenSSL's `des-ecb` with the key `0e86cece eef64e26`.
    #[test]
    fn the_answer_is_des_with_the_bit_reversed_password() {
        let challenge: [u8; 16] = std::array::from_fn(|i| i as u8);
        let answer = vnc_auth_response(b"password", &challenge);
        assert_eq!(hex(&answer), EXPECTED);
        // Longer passwords count by their first 8 bytes; shorter ones are zero-padded.
        assert_eq!(vnc_auth_response(b"password and more", &challenge), answer);
        assert_ne!(vnc_auth_response(b"pass", &challenge), answer);
    }

    const EXPECTED: &str = "b866924125c8eebb9debc1db61c538e2";

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Both handshakes over in-memory pipes: a 3.8 server asking VNC authentication, checked
    /// with the password's answer, and a viewer let in with None.
    #[tokio::test]
    async fn pve_is_answered_and_the_viewer_let_in() {
        let (mut ours, mut pve) = tokio::io::duplex(1024);
        let server = tokio::spawn(async move {
            let challenge = [7u8; 16];
            pve.write_all(b"RFB 003.008\n").await.unwrap();
            let mut version = [0u8; 12];
            pve.read_exact(&mut version).await.unwrap();
            pve.write_all(&[1, VNC_AUTH]).await.unwrap();
            let mut chosen = [0u8; 1];
            pve.read_exact(&mut chosen).await.unwrap();
            pve.write_all(&challenge).await.unwrap();
            let mut answer = [0u8; 16];
            pve.read_exact(&mut answer).await.unwrap();
            let right = answer == vnc_auth_response(b"AB12CD34", &challenge);
            pve.write_all(&[0, 0, 0, u8::from(!right)]).await.unwrap();
            (version, chosen, right)
        });
        log_in(&mut ours, &Secret::new("AB12CD34")).await.unwrap();
        let (version, chosen, right) = server.await.unwrap();
        assert_eq!(
            (&version, chosen, right),
            (b"RFB 003.008\n", [VNC_AUTH], true)
        );

        let (mut ours, mut viewer) = tokio::io::duplex(1024);
        let client = tokio::spawn(async move {
            let mut greeting = [0u8; 12];
            viewer.read_exact(&mut greeting).await.unwrap();
            viewer.write_all(b"RFB 003.008\n").await.unwrap();
            let mut offered = [0u8; 2];
            viewer.read_exact(&mut offered).await.unwrap();
            viewer.write_all(&[NONE]).await.unwrap();
            let mut result = [9u8; 4];
            viewer.read_exact(&mut result).await.unwrap();
            (greeting, offered, result)
        });
        let_in(&mut ours).await.unwrap();
        let (greeting, offered, result) = client.await.unwrap();
        assert_eq!(
            (&greeting, offered, result),
            (b"RFB 003.008\n", [1, NONE], [0; 4])
        );
    }

    /// A wrong password: PVE's reason is the error's.
    #[tokio::test]
    async fn a_refused_password_is_an_error_with_pves_reason() {
        let (mut ours, mut pve) = tokio::io::duplex(1024);
        tokio::spawn(async move {
            pve.write_all(b"RFB 003.008\n").await.unwrap();
            let mut skip = [0u8; 12 + 1 + 16];
            pve.write_all(&[1, VNC_AUTH]).await.unwrap();
            pve.read_exact(&mut skip[..13]).await.unwrap();
            pve.write_all(&[0; 16]).await.unwrap();
            pve.read_exact(&mut skip[13..]).await.unwrap();
            let reason = b"Authentication failed";
            pve.write_all(&[0, 0, 0, 1, 0, 0, 0, reason.len() as u8])
                .await
                .unwrap();
            pve.write_all(reason).await.unwrap();
        });
        let err = log_in(&mut ours, &Secret::new("wrong")).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the VNC handshake with PVE failed: the VNC password was refused: Authentication failed (PVE refused before acting: safe to retry)"
        );
    }
}
