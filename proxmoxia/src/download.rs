//! Streaming downloads of the API's file answers (`GET
//! /nodes/{node}/storage/{storage}/file-restore/download`, or any path answering a file):
//! the body goes chunk by chunk to an `AsyncWrite` or a file, never held whole in memory,
//! with progress reported per chunk, ended if it stalls.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::Client;
use crate::api::nodes::node::storage::storage::file_restore::download::get::Endpoint as FileRestore;
use crate::encode::{Form, encode_path, encode_segment};
use crate::error::{Error, Result};
use crate::transfer::{ProgressFn, TransferProgress, stalled};
use crate::typed::Endpoint;

/// A file to fetch from the API. Created by [`Client::download`] or
/// [`Client::file_restore_download`].
#[must_use = "a download does nothing until `to_writer` or `to_path` is awaited"]
pub struct Download {
    client: Client,
    path: String,
    form: Form,
    timeout: Option<Duration>,
    progress: Option<ProgressFn>,
    /// Why it must not be sent (a path segment that fails its rule), reported when it would
    /// be, so the chain stays infallible.
    refused: Option<Error>,
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
            refused: None,
        }
    }

    /// A file (or, with `tar`, a directory as a tar archive; else a zip) from inside a
    /// backup: `GET /nodes/{node}/storage/{storage}/file-restore/download`. `filepath` is
    /// PVE's parameter: the base64 of the path in the backup. `node` and `storage` are
    /// checked as typed path parameters are: a value that fails its rule (`..` included) is
    /// an [`Error::Validation`] naming it, and nothing is sent.
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
        download.refused = FileRestore::CATALOG.check_path(&path).err();
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

    /// A limit for the whole download (default: none, as a large file takes long; one that
    /// stalls is ended by [`ClientBuilder::transfer_inactivity_timeout`]).
    ///
    /// [`ClientBuilder::transfer_inactivity_timeout`]: crate::ClientBuilder::transfer_inactivity_timeout
    pub fn timeout(mut self, timeout: Duration) -> Download {
        self.timeout = Some(timeout);
        self
    }

    /// Sends the request: the file's chunks, to read one by one as they arrive. A path
    /// [`Client::file_restore_download`] refused fails here, unsent; an answer that does not
    /// come within [`ClientBuilder::transfer_inactivity_timeout`] ends it with a
    /// [`TransportError`](crate::TransportError) of kind
    /// [`Timeout`](crate::TransportErrorKind::Timeout).
    ///
    /// [`ClientBuilder::transfer_inactivity_timeout`]: crate::ClientBuilder::transfer_inactivity_timeout
    pub async fn open(mut self) -> Result<DownloadStream> {
        if let Some(err) = self.refused.take() {
            return Err(err);
        }
        let inactivity = self.client.transfer_inactivity();
        let url = self.client.shown_url(&Method::GET, &self.path, &self.form);
        let opening = self
            .client
            .open(&self.path, std::mem::take(&mut self.form), self.timeout);
        let (response, url) = match inactivity {
            Some(limit) => tokio::time::timeout(limit, opening)
                .await
                .map_err(|_| stalled("GET", &url, limit))??,
            None => opening.await?,
        };
        let total = response.content_length();
        let mut stream = DownloadStream {
            response,
            url,
            total,
            done: 0,
            progress: self.progress.take(),
            inactivity,
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
        let context = format!("cannot write the download of {}", self.path);
        let mut stream = self.open().await?;
        stream.write_to(out, &context).await
    }

    /// Streams the file into the file at `path`; the bytes written. The request goes first
    /// (an error answer leaves everything as it was); the file is written beside `path`
    /// under a name of its own, and renamed to `path` (replacing a file there) only once
    /// complete: a download that fails, stalls or is dropped leaves `path` as it was and no
    /// partial file.
    pub async fn to_path(self, path: impl AsRef<Path>) -> Result<u64> {
        let path = path.as_ref();
        let mut stream = self.open().await?;
        let mut part = Partial::create(path).await?;
        let context = format!("cannot write {}", path.display());
        let written = stream.write_to(&mut part.file, &context).await?;
        part.finish(path).await?;
        Ok(written)
    }
}

/// A file being downloaded: beside its target, under a name of its own (created, never
/// opened if it is there), renamed to the target once complete; removed if dropped before
/// (a failure, or the download's future dropped).
struct Partial {
    file: tokio::fs::File,
    path: PathBuf,
    kept: bool,
}

impl Partial {
    async fn create(target: &Path) -> Result<Partial> {
        let io = |e: std::io::Error| Error::Io {
            context: format!("cannot create {}", target.display()),
            source: e,
        };
        let name = target.file_name().ok_or_else(|| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not the path of a file",
            ))
        })?;
        let dir = target.parent().unwrap_or(Path::new(""));
        loop {
            let mut part_name = std::ffi::OsString::from(".");
            part_name.push(name);
            part_name.push(format!(".{:016x}.part", fastrand::u64(..)));
            let path = dir.join(part_name);
            let created = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .await;
            match created {
                Ok(file) => {
                    return Ok(Partial {
                        file,
                        path,
                        kept: false,
                    });
                }
                // Another download's: take another name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(e)),
            }
        }
    }

    /// Writes the file out and gives it the target's name.
    async fn finish(mut self, target: &Path) -> Result<()> {
        let io = |e: std::io::Error| Error::Io {
            context: format!("cannot write {}", target.display()),
            source: e,
        };
        self.file.flush().await.map_err(io)?;
        self.file.sync_all().await.map_err(io)?;
        tokio::fs::rename(&self.path, target).await.map_err(io)?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A download under way: its chunks as they arrive. Created by [`Download::open`].
pub struct DownloadStream {
    response: reqwest::Response,
    url: String,
    total: Option<u64>,
    done: u64,
    progress: Option<ProgressFn>,
    inactivity: Option<Duration>,
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
    /// than its `Content-Length` ends with [`Error::Decode`]; one of which nothing arrives
    /// for [`ClientBuilder::transfer_inactivity_timeout`](crate::ClientBuilder::transfer_inactivity_timeout)
    /// with a [`TransportError`](crate::TransportError) of kind
    /// [`Timeout`](crate::TransportErrorKind::Timeout).
    pub async fn next_chunk(&mut self) -> Option<Result<bytes::Bytes>> {
        if self.finished {
            return None;
        }
        let next = match self.inactivity {
            Some(limit) => match tokio::time::timeout(limit, self.response.chunk()).await {
                Ok(next) => next,
                Err(_) => {
                    self.finished = true;
                    return Some(Err(stalled("GET", &self.url, limit)));
                }
            },
            None => self.response.chunk().await,
        };
        let chunk = match next {
            Ok(chunk) => chunk,
            Err(e) => {
                self.finished = true;
                let e = crate::client::map_reqwest_error(e, &Method::GET, &self.url);
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
                )
                .answering("GET")))
            }
        }
    }

    /// Writes the chunks as they arrive into `out`; the bytes written. A failed write is
    /// an [`Error::Io`] with `context`.
    async fn write_to<W>(&mut self, out: &mut W, context: &str) -> Result<u64>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let write = |e| Error::Io {
            context: context.to_owned(),
            source: e,
        };
        while let Some(chunk) = self.next_chunk().await {
            out.write_all(&chunk?).await.map_err(write)?;
        }
        out.flush().await.map_err(write)?;
        Ok(self.done)
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
