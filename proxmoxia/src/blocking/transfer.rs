//! Uploads and downloads, blocking, with the async ones' progress callbacks (called on the
//! client's runtime thread, hence `Send + 'static`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Client;
use super::TaskHandle;
use crate::error::{Error, Result};
use crate::transfer::TransferProgress;

/// An upload, blocking. Created by [`Client::upload`].
#[derive(Debug)]
#[must_use = "an upload does nothing until `from_path` or `from_bytes` is called"]
pub struct Upload {
    client: Client,
    inner: crate::Upload,
}

impl Upload {
    pub(super) fn new(client: Client, inner: crate::Upload) -> Upload {
        Upload { client, inner }
    }

    /// [`crate::Upload::checksum`].
    pub fn checksum(self, algorithm: &str, checksum: &str) -> Upload {
        Upload {
            inner: self.inner.checksum(algorithm, checksum),
            client: self.client,
        }
    }

    /// [`crate::Upload::timeout`].
    pub fn timeout(self, timeout: Duration) -> Upload {
        Upload {
            inner: self.inner.timeout(timeout),
            client: self.client,
        }
    }

    /// [`crate::Upload::progress`].
    pub fn progress(self, progress: impl FnMut(TransferProgress) + Send + 'static) -> Upload {
        Upload {
            inner: self.inner.progress(progress),
            client: self.client,
        }
    }

    /// Streams a local file ([`crate::Upload::from_path`]); PVE's task that stores it.
    pub fn from_path(self, path: impl AsRef<Path>) -> Result<TaskHandle> {
        let path: PathBuf = path.as_ref().to_owned();
        let upload = self.inner;
        let task = self
            .client
            .runtime()
            .run(async move { upload.from_path(path).await })?;
        Ok(TaskHandle::new(self.client, task))
    }

    /// Uploads bytes held in memory ([`crate::Upload::from_bytes`]).
    pub fn from_bytes(self, filename: &str, data: Vec<u8>) -> Result<TaskHandle> {
        let (upload, filename) = (self.inner, filename.to_owned());
        let task = self
            .client
            .runtime()
            .run(async move { upload.from_bytes(&filename, data).await })?;
        Ok(TaskHandle::new(self.client, task))
    }
}

/// A download, blocking. Created by [`Client::download`] or
/// [`Client::file_restore_download`].
#[derive(Debug)]
#[must_use = "a download does nothing until `to_writer` or `to_path` is called"]
pub struct Download {
    client: Client,
    inner: crate::Download,
}

/// Chunks in flight between the runtime thread and the writer.
const IN_FLIGHT: usize = 4;

impl Download {
    pub(super) fn new(client: Client, inner: crate::Download) -> Download {
        Download { client, inner }
    }

    /// [`crate::Download::param`].
    pub fn param(self, name: &str, value: impl std::fmt::Display) -> Download {
        Download {
            inner: self.inner.param(name, value),
            client: self.client,
        }
    }

    /// [`crate::Download::progress`].
    pub fn progress(self, progress: impl FnMut(TransferProgress) + Send + 'static) -> Download {
        Download {
            inner: self.inner.progress(progress),
            client: self.client,
        }
    }

    /// [`crate::Download::timeout`].
    pub fn timeout(self, timeout: Duration) -> Download {
        Download {
            inner: self.inner.timeout(timeout),
            client: self.client,
        }
    }

    /// Streams the file into a new file at `path`; the bytes written.
    pub fn to_path(self, path: impl AsRef<Path>) -> Result<u64> {
        let (download, path) = (self.inner, path.as_ref().to_owned());
        self.client
            .runtime()
            .run(async move { download.to_path(path).await })
    }

    /// Streams the file into `out` on this thread, chunk by chunk as they arrive (a few
    /// chunks in flight at most); the bytes written.
    pub fn to_writer(self, out: &mut (impl Write + ?Sized)) -> Result<u64> {
        super::runtime::refuse_in_async_context()?;
        let (tx, mut rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
        let download = self.inner;
        self.client.runtime().spawn(async move {
            let mut stream = match download.open().await {
                Ok(stream) => stream,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            while let Some(chunk) = stream.next_chunk().await {
                if tx.send(chunk).await.is_err() {
                    return; // the writer failed: stop reading
                }
            }
        });
        let mut written = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            let chunk = chunk?;
            out.write_all(&chunk).map_err(|e| Error::Io {
                context: "cannot write the download".into(),
                source: e,
            })?;
            written += chunk.len() as u64;
        }
        out.flush().map_err(|e| Error::Io {
            context: "cannot write the download".into(),
            source: e,
        })?;
        Ok(written)
    }
}
