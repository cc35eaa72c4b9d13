//! Downloads and uploads with progress against the embedded fake: a 24 MiB file from inside
//! a backup (`file-restore/download`) streamed to an `AsyncWrite` that records every write,
//! to a file, and through the blocking client to a `std::io::Write`; uploads from a file and
//! from memory reporting each chunk. What is asserted is how the bytes travel (no write
//! larger than a network chunk, progress after each), never how long it takes.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use proxmoxia::mock::MockPve;
use proxmoxia::{Error, TaskOutcome, TransferProgress, UploadContent};
use proxmoxia_tests::fake_with_root;
use tokio::io::AsyncWrite;

const VOLUME: &str = "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst";
/// `/etc/hosts`, base64 (PVE's `filepath`).
const FILEPATH: &str = "L2V0Yy9ob3N0cw==";
const SIZE: usize = 24 << 20;
/// The largest chunk a download hands on: hyper's largest read buffer is well under it,
/// and the file is 24 times its size.
const MAX_CHUNK: usize = 1 << 20;

fn content() -> Vec<u8> {
    (0..SIZE).map(|i| (i * 31 % 251) as u8).collect()
}

/// An `AsyncWrite` keeping what it was given and the size of each write.
#[derive(Default)]
struct Recorder {
    data: Vec<u8>,
    writes: Vec<usize>,
}

impl AsyncWrite for Recorder {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.data.extend_from_slice(buf);
        self.writes.push(buf.len());
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

type Reports = Arc<Mutex<Vec<TransferProgress>>>;

fn recorder() -> (Reports, impl FnMut(TransferProgress) + Send + 'static) {
    let reports: Reports = Arc::default();
    let seen = reports.clone();
    (reports, move |p| seen.lock().unwrap().push(p))
}

/// Progress starts at 0, moves on with every chunk and ends at the total.
fn assert_progress(reports: &[TransferProgress], chunks: &[usize], total: u64) {
    let mut expected = vec![0u64];
    for chunk in chunks {
        expected.push(expected.last().unwrap() + *chunk as u64);
    }
    let done: Vec<u64> = reports.iter().map(|p| p.done).collect();
    assert_eq!(done, expected);
    assert_eq!(*done.last().unwrap(), total);
    assert!(reports.iter().all(|p| p.total == Some(total)));
}

async fn fake_with_file() -> (MockPve, proxmoxia::Client) {
    let (pve, client) = fake_with_root().await;
    pve.store_restore_file(VOLUME, FILEPATH, content());
    (pve, client)
}

#[tokio::test]
async fn a_large_download_is_streamed_chunk_by_chunk_with_progress() {
    let (_pve, client) = fake_with_file().await;
    let (reports, progress) = recorder();
    let mut out = Recorder::default();
    let written = client
        .file_restore_download("pve1", "local", VOLUME, FILEPATH)
        .progress(progress)
        .to_writer(&mut out)
        .await
        .unwrap();
    assert_eq!(written, SIZE as u64);
    assert!(out.data == content(), "the bytes arrive unchanged");
    // Never the whole file at once: each write is one chunk off the connection.
    let largest = out.writes.iter().copied().max().unwrap();
    assert!(largest <= MAX_CHUNK, "a write of {largest} bytes");
    assert!(out.writes.len() >= SIZE / MAX_CHUNK);
    assert_progress(&reports.lock().unwrap(), &out.writes, SIZE as u64);
}

#[tokio::test]
async fn a_download_goes_to_a_file_and_a_missing_one_is_pves_error() {
    let (_pve, client) = fake_with_file().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hosts");
    let written = client
        .file_restore_download("pve1", "local", VOLUME, FILEPATH)
        .to_path(&path)
        .await
        .unwrap();
    assert_eq!(written, SIZE as u64);
    assert!(std::fs::read(&path).unwrap() == content());

    // The chunks one by one, as a stream of the client's own.
    let mut stream = client
        .download("nodes/pve1/storage/local/file-restore/download")
        .param("volume", VOLUME)
        .param("filepath", FILEPATH)
        .open()
        .await
        .unwrap();
    assert_eq!(stream.total(), Some(SIZE as u64));
    let mut received = 0;
    while let Some(chunk) = stream.next_chunk().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= MAX_CHUNK);
        received += chunk.len();
    }
    assert_eq!((received, stream.done()), (SIZE, SIZE as u64));

    let err = client
        .file_restore_download("pve1", "local", VOLUME, "L25vbmU=")
        .to_path(dir.path().join("none"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        err.to_string(),
        format!(
            "file-restore: no such file 'L25vbmU=' in '{VOLUME}' (HTTP 500 on GET nodes/pve1/storage/local/file-restore/download) (a read: safe to retry)"
        )
    );
}

#[test]
fn the_blocking_client_streams_a_download_into_a_std_writer() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pve, client) = rt.block_on(fake_with_file());
    let client = proxmoxia::blocking::Client::new(client).unwrap();
    let (reports, progress) = recorder();

    /// A `std::io::Write` keeping the size of each write.
    #[derive(Default)]
    struct Writes(Vec<u8>, Vec<usize>);
    impl std::io::Write for Writes {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(buf);
            self.1.push(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Writes::default();
    let written = client
        .file_restore_download("pve1", "local", VOLUME, FILEPATH)
        .progress(progress)
        .to_writer(&mut out)
        .unwrap();
    assert_eq!(written, SIZE as u64);
    assert!(out.0 == content());
    assert!(out.1.iter().all(|w| *w <= MAX_CHUNK));
    assert_progress(&reports.lock().unwrap(), &out.1, SIZE as u64);

    // A blocking upload from a file, with its progress; the file is then on the storage.
    let dir = tempfile::tempdir().unwrap();
    let iso = dir.path().join("tiny.iso");
    std::fs::write(&iso, vec![7u8; 300_000]).unwrap();
    let (reports, progress) = recorder();
    let task = client
        .upload("pve1", "local", UploadContent::Iso)
        .progress(progress)
        .from_path(&iso)
        .unwrap();
    assert_eq!(task.wait().unwrap(), TaskOutcome::Ok);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.first().map(|p| p.done), Some(0));
    assert_eq!(reports.last().map(|p| p.done), Some(300_000));
    assert!(
        reports
            .windows(2)
            .all(|w| w[0].done < w[1].done && w[1].done - w[0].done <= 64 * 1024)
    );
    assert!(
        pve.volumes("local")
            .contains(&"local:iso/tiny.iso".to_owned())
    );
    drop(client);
    drop(pve);
}

#[tokio::test]
async fn an_upload_from_memory_reports_each_64_kib_chunk() {
    let (pve, client) = fake_with_root().await;
    let (reports, progress) = recorder();
    let task = client
        .upload("pve1", "local", UploadContent::Iso)
        .progress(progress)
        .from_bytes("small.iso", vec![1u8; 150_000])
        .await
        .unwrap();
    assert_eq!(task.wait().await.unwrap(), TaskOutcome::Ok);
    assert_progress(&reports.lock().unwrap(), &[65536, 65536, 18928], 150_000);
    assert!(
        pve.volumes("local")
            .contains(&"local:iso/small.iso".to_owned())
    );
    // A storage that is not file based refuses, as PVE does.
    let err = client
        .upload("pve1", "local-lvm", UploadContent::Iso)
        .from_bytes("x.iso", vec![0u8; 10])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)), "{err:?}");
}
