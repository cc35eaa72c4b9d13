//! Streaming uploads to a storage (`POST /nodes/{node}/storage/{storage}/upload`).
//!
//! PVE wants a multipart body with an exact `Content-Length`: the file is streamed from disk
//! with its length known up front, so size is bounded by the disk, not by memory, and no
//! request timeout cuts a long upload short (the inactivity timeout ends one that stalls). A
//! progress callback sees the bytes handed to the connection, chunk by chunk.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;
use tokio::io::AsyncReadExt;

use reqwest::Method;
use reqwest::multipart::{Form as Multipart, Part};

use crate::Client;
use crate::api::nodes::node::storage::storage::upload::post::Endpoint as UploadEndpoint;
use crate::client::Body;
use crate::encode::{Form, encode_segment};
use crate::error::{Error, Result, ValidationError};
use crate::task::TaskHandle;
use crate::transfer::{Activity, ProgressFn, TransferProgress, stalled, watched};
use crate::typed::Endpoint;
use crate::upid::Upid;

/// What an upload stores: an ISO image, a container template, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadContent {
    /// An installation image (`iso`).
    Iso,
    /// A container template (`vztmpl`).
    Vztmpl,
    /// A disk image to import (`import`).
    Import,
}

impl UploadContent {
    fn as_str(self) -> &'static str {
        match self {
            UploadContent::Iso => "iso",
            UploadContent::Vztmpl => "vztmpl",
            UploadContent::Import => "import",
        }
    }
}

/// An upload to be sent. Created by [`Client::upload`].
#[must_use = "an upload does nothing until `from_path` or `from_bytes` is awaited"]
pub struct Upload {
    client: Client,
    node: String,
    storage: String,
    content: UploadContent,
    checksum: Option<(String, String)>,
    timeout: Option<Duration>,
    progress: Option<Arc<Mutex<ProgressFn>>>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("node", &self.node)
            .field("storage", &self.storage)
            .field("content", &self.content)
            .finish_non_exhaustive()
    }
}

/// Bytes read per chunk of an upload's body.
const CHUNK: usize = 64 * 1024;

impl Client {
    /// Uploads a file to `storage` on `node`; PVE answers with the task that stores it (a
    /// [`TaskHandle`], as every call that starts a task).
    pub fn upload(&self, node: &str, storage: &str, content: UploadContent) -> Upload {
        Upload {
            client: self.clone(),
            node: node.to_owned(),
            storage: storage.to_owned(),
            content,
            checksum: None,
            timeout: None,
            progress: None,
        }
    }
}

impl Upload {
    /// Has PVE verify the file: `algorithm` is `md5`, `sha1`, `sha224`, `sha256`, `sha384`
    /// or `sha512`.
    pub fn checksum(mut self, algorithm: &str, checksum: &str) -> Upload {
        self.checksum = Some((algorithm.to_owned(), checksum.to_owned()));
        self
    }

    /// A limit for the whole upload (default: none; one that stalls is ended by
    /// [`ClientBuilder::transfer_inactivity_timeout`](crate::ClientBuilder::transfer_inactivity_timeout)).
    pub fn timeout(mut self, timeout: Duration) -> Upload {
        self.timeout = Some(timeout);
        self
    }

    /// Calls `progress` as the body goes out: bytes handed to the connection so far, of the
    /// file's length (once with 0 first; a retry after a renewed login starts again at 0).
    pub fn progress(mut self, progress: impl FnMut(TransferProgress) + Send + 'static) -> Upload {
        self.progress = Some(Arc::new(Mutex::new(Box::new(progress))));
        self
    }

    /// Streams a local file; its name on the storage is the file name.
    ///
    /// Like [`from_bytes`](Upload::from_bytes), nothing is sent unless the node, the storage,
    /// the file name and the checksum pass PVE's rules for the upload (a path segment `..`
    /// included): else it fails with [`Error::Validation`] naming the parameter.
    pub async fn from_path(self, path: impl AsRef<Path>) -> Result<TaskHandle> {
        let path = path.as_ref();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Encode {
                name: "filename".into(),
                reason: format!("{} has no UTF-8 file name", path.display()),
            })?
            .to_owned();
        let io = |e: std::io::Error| Error::Encode {
            name: "filename".into(),
            reason: format!("cannot read {}: {e}", path.display()),
        };
        let progress = self.progress.clone();
        let activity = Arc::new(Activity::new());
        self.send(&name, &activity, || async {
            // Opened per attempt: a stream cannot be sent twice.
            let file = tokio::fs::File::open(path).await.map_err(io)?;
            let length = file.metadata().await.map_err(io)?.len();
            let body = counted(
                file_chunks(file),
                length,
                progress.clone(),
                activity.clone(),
            );
            Ok(Part::stream_with_length(body, length).file_name(name.clone()))
        })
        .await
    }

    /// Uploads bytes held in memory under `filename`: a file name, without a directory.
    pub async fn from_bytes(self, filename: &str, data: Vec<u8>) -> Result<TaskHandle> {
        let data = Bytes::from(data);
        let progress = self.progress.clone();
        let activity = Arc::new(Activity::new());
        self.send(filename, &activity, || async {
            let length = data.len() as u64;
            let body = counted(
                byte_chunks(data.clone()),
                length,
                progress.clone(),
                activity.clone(),
            );
            Ok(Part::stream_with_length(body, length).file_name(filename.to_owned()))
        })
        .await
    }

    /// Checks what goes out against PVE's rules for the upload: the path's node and storage,
    /// as typed paths are checked, the content, the file name and the checksum.
    fn check(&self, path: &str, filename: &str) -> Result<()> {
        UploadEndpoint::CATALOG.check_path(path)?;
        check_file_name(filename)?;
        let mut params = serde_json::json!({
            "content": self.content.as_str(),
            "filename": filename,
        });
        if let (Some((algorithm, sum)), Some(map)) = (&self.checksum, params.as_object_mut()) {
            map.insert("checksum-algorithm".into(), algorithm.as_str().into());
            map.insert("checksum".into(), sum.as_str().into());
        }
        crate::validate::body(&params, UploadEndpoint::CATALOG.params)
    }

    /// Sends the upload, its body made by `part` for each attempt, which marks its progress
    /// in `activity` (for the inactivity timeout).
    async fn send<F, Fut>(self, filename: &str, activity: &Activity, part: F) -> Result<TaskHandle>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Part>>,
    {
        let path = format!(
            "nodes/{}/storage/{}/upload",
            encode_segment(&self.node),
            encode_segment(&self.storage)
        );
        self.check(&path, filename)?;
        let content = self.content.as_str();
        let checksum = self.checksum.clone();
        let body = || async {
            let mut multipart = Multipart::new().text("content", content);
            if let Some((algorithm, sum)) = checksum.clone() {
                multipart = multipart
                    .text("checksum-algorithm", algorithm)
                    .text("checksum", sum);
            }
            let part = part()
                .await?
                .mime_str("application/octet-stream")
                .map_err(|e| Error::Encode {
                    name: "filename".into(),
                    reason: e.to_string(),
                })?;
            // The file goes last: PVE reads the other fields before the data.
            Ok(Body::Multipart(multipart.part("filename", part)))
        };
        let sending = self
            .client
            .send_with(Method::POST, &path, Form::new(), self.timeout, body);
        let limit = self.client.transfer_inactivity();
        let answer = watched(sending, activity, limit, |limit| {
            let url = self.client.shown_url(&Method::POST, &path, &Form::new());
            stalled("POST", &url, limit)
        })
        .await?;
        let upid = crate::decode::data_json(&answer)
            .and_then(|data| Ok(Upid::try_from(data)?))
            .map_err(|e| e.answering("POST"))?;
        Ok(self.client.task(&upid))
    }
}

/// Refuses an upload's name that is not a file name: PVE stores the file under it.
fn check_file_name(name: &str) -> Result<()> {
    let why = if name.is_empty() {
        "is empty"
    } else if name == "." || name == ".." {
        "is a directory"
    } else if name.contains(['/', '\\']) {
        "holds a directory separator"
    } else if name.chars().any(char::is_control) {
        "holds a control character"
    } else {
        return Ok(());
    };
    Err(Error::Validation(Box::new(ValidationError {
        param: "filename".into(),
        rule: "file name".into(),
        message: format!("{name:?} {why}: an upload is named by a file name"),
    })))
}

/// A file read in chunks of [`CHUNK`] bytes.
fn file_chunks(file: tokio::fs::File) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = bytes::BytesMut::with_capacity(CHUNK);
        match file.read_buf(&mut buffer).await {
            Ok(0) => None,
            Ok(_) => Some((Ok(buffer.freeze()), Some(file))),
            Err(e) => Some((Err(e), None)),
        }
    })
}

/// Bytes in memory in chunks of [`CHUNK`] bytes (views of one buffer, not copies).
fn byte_chunks(data: Bytes) -> impl Stream<Item = std::io::Result<Bytes>> + Send {
    futures_util::stream::unfold(data, |mut rest| async move {
        if rest.is_empty() {
            return None;
        }
        let chunk = rest.split_to(rest.len().min(CHUNK));
        Some((Ok(chunk), rest))
    })
}

/// A request body from `chunks`, reporting the bytes handed on to `progress`, and each
/// chunk taken as progress in `activity`.
fn counted(
    chunks: impl Stream<Item = std::io::Result<Bytes>> + Send + 'static,
    total: u64,
    progress: Option<Arc<Mutex<ProgressFn>>>,
    activity: Arc<Activity>,
) -> reqwest::Body {
    let report = move |done| {
        activity.touch();
        if let Some(progress) = &progress {
            let mut progress = progress.lock().unwrap_or_else(|e| e.into_inner());
            progress(TransferProgress {
                done,
                total: Some(total),
            });
        }
    };
    report(0);
    let mut done = 0u64;
    let stream = futures_util::StreamExt::map(chunks, move |chunk| {
        if let Ok(chunk) = &chunk {
            done += chunk.len() as u64;
            report(done);
        }
        chunk
    });
    reqwest::Body::wrap_stream(stream)
}
