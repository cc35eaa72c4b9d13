//! Transfers against servers that fail or stall half-way (scripted byte by byte behind a
//! TLS front): a download goes to a temporary file renamed only on success, so a failed,
//! stalled or cancelled one leaves the target as it was and nothing else behind; a
//! transfer that makes no progress for the inactivity timeout fails instead of hanging.

use std::time::Duration;

use proxmoxia::{Client, Error, TransportErrorKind, UploadContent};
use proxmoxia_tests::RawHttp;
use proxmoxia_tests::wire::with_token;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const PATH: &str = "nodes/pve1/storage/pbs/file-restore/download";
const PRECIOUS: &[u8] = b"the file as it was before";
/// The inactivity timeout of the clients of the servers that stall: theirs never end, so
/// any length gives the same outcome.
const INACTIVITY: Duration = Duration::from_secs(2);
/// Fails a test whose transfer hangs instead of timing out.
const DEADLINE: Duration = Duration::from_secs(120);

/// A client with the default inactivity timeout.
fn client(server: &RawHttp) -> Client {
    with_token(server.front.builder()).build().expect("client")
}

/// A client giving up after [`INACTIVITY`].
fn impatient(server: &RawHttp) -> Client {
    with_token(server.front.builder())
        .transfer_inactivity_timeout(Some(INACTIVITY))
        .build()
        .expect("client")
}

async fn write(socket: &mut TcpStream, bytes: &[u8]) {
    let _ = socket.write_all(bytes).await;
    let _ = socket.flush().await;
}

/// An answer head with `status` and a body of `length` bytes.
fn head(status: &str, length: usize) -> String {
    format!("HTTP/1.1 {status}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
}

/// The names in `dir`, sorted.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A directory holding `target` with [`PRECIOUS`] in it.
fn dir_with_target() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("hosts");
    std::fs::write(&target, PRECIOUS).expect("write");
    (dir, target)
}

async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: still running after {DEADLINE:?}"))
}

#[tokio::test]
async fn an_error_answer_leaves_an_existing_file_as_it_was() {
    let server = RawHttp::start(|_, mut socket| async move {
        let body = r#"{"data":null,"message":"no such backup"}"#;
        let answer = format!("{}{body}", head("500 no such backup", body.len()));
        write(&mut socket, answer.as_bytes()).await;
    })
    .await;
    let (dir, target) = dir_with_target();

    let err = within("download", client(&server).download(PATH).to_path(&target))
        .await
        .expect_err("500");

    assert_eq!(err.status(), Some(500), "{err}");
    assert_eq!(std::fs::read(&target).expect("read"), PRECIOUS);
    assert_eq!(names(dir.path()), ["hosts"]);
}

#[tokio::test]
async fn a_download_cut_short_leaves_an_existing_file_as_it_was() {
    let server = RawHttp::start(|_, mut socket| async move {
        write(&mut socket, head("200 OK", 1000).as_bytes()).await;
        write(&mut socket, b"only ten b").await;
    })
    .await;
    let (dir, target) = dir_with_target();

    let err = within("download", client(&server).download(PATH).to_path(&target))
        .await
        .expect_err("cut short");

    assert!(
        matches!(err, Error::Transport(_) | Error::Decode(_)),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&target).expect("read"), PRECIOUS);
    assert_eq!(names(dir.path()), ["hosts"]);
}

#[tokio::test]
async fn a_download_replaces_the_file_only_once_complete() {
    let server = RawHttp::start(|_, mut socket| async move {
        let answer = format!("{}new content", head("200 OK", 11));
        write(&mut socket, answer.as_bytes()).await;
    })
    .await;
    let (dir, target) = dir_with_target();

    let written = within("download", client(&server).download(PATH).to_path(&target))
        .await
        .expect("download");

    assert_eq!(written, 11);
    assert_eq!(std::fs::read(&target).expect("read"), b"new content");
    assert_eq!(names(dir.path()), ["hosts"]);
}

#[tokio::test]
async fn a_stalled_download_fails_after_the_inactivity_timeout() {
    // Stalled before the answer, and after ten bytes of it.
    for sent in [0, 10] {
        let server = RawHttp::start(move |_, mut socket| async move {
            if sent > 0 {
                write(&mut socket, head("200 OK", 1000).as_bytes()).await;
                write(&mut socket, &[b'x'; 10]).await;
            }
            std::future::pending::<()>().await;
        })
        .await;
        let (dir, target) = dir_with_target();

        let err = within(
            "download",
            impatient(&server).download(PATH).to_path(&target),
        )
        .await
        .expect_err("stalled");

        assert!(
            matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "request timed out on GET {}/api2/json/{PATH}: the transfer made no progress for 2s (see ClientBuilder::transfer_inactivity_timeout) (a read: safe to retry)",
                server.front.url()
            )
        );
        assert_eq!(std::fs::read(&target).expect("read"), PRECIOUS);
        assert_eq!(names(dir.path()), ["hosts"], "{sent} bytes sent");
    }
}

#[tokio::test]
async fn a_cancelled_download_leaves_no_partial_file() {
    let server = RawHttp::start(|_, mut socket| async move {
        write(&mut socket, head("200 OK", 1000).as_bytes()).await;
        write(&mut socket, &[b'x'; 10]).await;
        std::future::pending::<()>().await;
    })
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let target = dir.path().join("hosts");
    let (tell, mut told) = tokio::sync::mpsc::unbounded_channel();
    let download = client(&server).download(PATH).progress(move |p| {
        let _ = tell.send(p.done);
    });
    let task = tokio::spawn(async move { download.to_path(&target).await });

    // Ten bytes are in: the file being written exists.
    while within("progress", told.recv()).await.expect("progress") < 10 {}
    task.abort();
    assert!(task.await.expect_err("aborted").is_cancelled());

    assert_eq!(names(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_stalled_upload_fails_after_the_inactivity_timeout() {
    // A server that reads nothing of the body, and one that reads it and never answers.
    let unread = RawHttp::start_reading_heads_only(|_, socket| async move {
        let _held = socket;
        std::future::pending::<()>().await;
    })
    .await;
    let unanswered = RawHttp::start(|_, socket| async move {
        let _held = socket;
        std::future::pending::<()>().await;
    })
    .await;
    for (server, size) in [(&unread, 64 << 20), (&unanswered, 1024)] {
        let err = within(
            "upload",
            impatient(server)
                .upload("pve1", "local", UploadContent::Iso)
                .from_bytes("debian.iso", vec![0; size]),
        )
        .await
        .expect_err("stalled");

        assert!(
            matches!(&err, Error::Transport(t) if t.kind == TransportErrorKind::Timeout),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "request timed out on POST {}/api2/json/nodes/pve1/storage/local/upload: the transfer made no progress for 2s (see ClientBuilder::transfer_inactivity_timeout) (the write may have been carried out: not safe to retry blindly)",
                server.front.url()
            )
        );
        assert_eq!(server.request_lines().len(), 1);
    }
}
