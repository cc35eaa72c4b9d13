//! Streaming downloads of the API's file answers (`GET
//! /nodes/{node}/storage/{storage}/file-restore/download`, or any path answering a file):
//! the body goes chunk by chunk to an `AsyncWrite` or a file, never held whole in memory,
//! with progress reported per chunk.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::Client;
use crate::encode::{Form, encode_path, encode_segment};
use crate::error::{Error, Result};

/// How far a transfer is: bytes done, of the total when known. Given to the progress
/// callback of a [`Download`] or an [`Upload`](crate::Upload) after each chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferProgress {
    /// Bytes sent or received so far.
    pub done: u64,
    /// The whole size: an upload's length, a download's `Content-Length` (`None` without one).
    pub total: Option<u64>,
}

/// A progress callback.
pub(crate) type ProgressFn = Box<dyn FnMut(TransferProgress) + Send>;

/// A file to fetch from the API. Created by [`Client::download`] or
/// [`Client::file_restore_download`].
#[must_use = "a download does nothing until `to_writer` or `to_path` is awaited"]
pub struct Download {
    client: Client,
    path: String,
    form: Form,
    timeout: Option<Duration>,
    progress: Option<ProgressFn>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("path", &self.path)
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A `GET` of an API path whose answer is a file (relative to `/api2/json`, escaped like
    /// [`Client::raw`]); add its parameters with [`Download::param`].
    pub fn download(&self, path: &str) -> Download {
        Download {
            client: self.clone(),
            path: encode_path(path),
            form: Form::new(),
            timeout: None,
            progress: None,
        }
    }

    /// A file (or, with `tar`, a directory as a tar archive; else a zip) from inside a
    /// backup: `GET /nodes/{node}/storage/{storage}/file-restore/download`. `filepath` is
    /// PVE's parameter: the base64 of the path in the backup.
    pub fn file_restore_download(
        &self,
        node: &str,
        storage: &str,
        volume: &str,
        filepath: &str,
    ) -> Download {
        let path = format!(
            "nodes/{}/storage/{}/file-restore/download",
            encode_segment(node),
            encode_segment(storage)
        );
        let mut download = self.download(&path);
        download.path = path;
        download.param("volume", volume).param("filepath", filepath)
    }
}

impl Download {
    /// Adds a query parameter.
    pub fn param(mut self, name: &str, value: impl std::fmt::Display) -> Download {
        self.form.push(name, value.to_string());
        self
    }

    /// Calls `progress` after each chunk written (and once before the first, with 0 done).
    pub fn progress(mut self, progress: impl FnMut(TransferProgress) + Send + 'static) -> Download {
        self.progress = Some(Box::new(progress));
        self
    }

    /// A limit for the whole download (default: none, as a large file takes long).
    pub fn timeout(mut self, timeout: Duration) -> Download {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request: the file's chunks, to read one by one as they arrive.
    pub async fn open(mut self) -> Result<DownloadStream> {
        let (response, url) = self
            .client
            .open(&self.path, std::mem::take(&mut self.form), self.timeout)
            .await?;
        let total = response.content_length();
        let mut stream = DownloadStream {
            response,
            url,
            total,
            done: 0,
            progress: self.progress.take(),
            finished: false,
        };
        stream.report();
        Ok(stream)
    }

    /// Streams the file into `out`, chunk by chunk as it arrives; the bytes written.
    pub async fn to_writer<W>(self, out: &mut W) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let what = self.path.clone();
        let write = |e| Error::Io {
            context: format!("cannot write the download of {what}"),
            source: e,
        };
        let mut stream = self.open().await?;
        while let Some(chunk) = stream.next_chunk().await {
            out.write_all(&chunk?).await.map_err(write)?;
        }
        out.flush().await.map_err(write)?;
        Ok(stream.done)
    }

    /// Streams the file into a new file at `path` (replacing one there); the bytes written.
    pub async fn to_path(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let mut file = tokio::fs::File::create(path).await.map_err(|e| Error::Io {
            context: format!("cannot create {}", path.display()),
            source: e,
        })?;
        let written = self.to_writer(&mut file).await?;
        file.sync_all().await.map_err(|e| Error::Io {
            context: format!("cannot write {}", path.display()),
            source: e,
        })?;
        Ok(written)
    }
}

/// A download under way: its chunks as they arrive. Created by [`Download::open`].
pub struct DownloadStream {
    response: reqwest::Response,
    url: String,
    total: Option<u64>,
    done: u64,
    progress: Option<ProgressFn>,
    finished: bool,
}

impl std::fmt::Debug for DownloadStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadStream")
            .field("url", &self.url)
            .field("total", &self.total)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl DownloadStream {
    /// The size the server announced (`Content-Length`), if it did.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Bytes received so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// The next chunk, as the connection delivers it; `None` at the end. A body shorter
    /// than its `Content-Length` ends with [`Error::Decode`].
    pub async fn next_chunk(&mut self) -> Option<Result<bytes::Bytes>> {
        if self.finished {
            return None;
        }
        let chunk = match self.response.chunk().await {
            Ok(chunk) => chunk,
            Err(e) => {
                self.finished = true;
                let e = crate::client::map_reqwest_error(e, &reqwest::Method::GET, &self.url);
                return Some(Err(e));
            }
        };
        match chunk {
            Some(chunk) => {
                self.done += chunk.len() as u64;
                self.report();
                Some(Ok(chunk))
            }
            None => {
                self.finished = true;
                let short = self.total.filter(|t| *t != self.done)?;
                Some(Err(Error::decode(
                    format!("the download ended after {} of {short} bytes", self.done),
                    "body",
                    "",
                )))
            }
        }
    }

    fn report(&mut self) {
        if let Some(progress) = self.progress.as_mut() {
            progress(TransferProgress {
                done: self.done,
                total: self.total,
            });
        }
    }
}
