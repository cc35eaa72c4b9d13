//! Streaming uploads to a storage (`POST /nodes/{node}/storage/{storage}/upload`).
//!
//! PVE wants a multipart body with an exact `Content-Length`: the file is streamed from disk
//! with its length known up front, so size is bounded by the disk, not by memory, and no
//! request timeout cuts a long upload short.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use reqwest::multipart::{Form as Multipart, Part};

use crate::Client;
use crate::client::Body;
use crate::encode::{Form, encode_segment};
use crate::error::{Error, Result};
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
#[derive(Debug)]
#[must_use = "an upload does nothing until `from_path` or `from_bytes` is awaited"]
pub struct Upload {
    client: Client,
    node: String,
    storage: String,
    content: UploadContent,
    checksum: Option<(String, String)>,
    timeout: Option<Duration>,
}

impl Client {
    /// Uploads a file to `storage` on `node`; PVE answers with the task that stores it.
    pub fn upload(&self, node: &str, storage: &str, content: UploadContent) -> Upload {
        Upload {
            client: self.clone(),
            node: node.to_owned(),
            storage: storage.to_owned(),
            content,
            checksum: None,
            timeout: None,
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

    /// A limit for the whole upload (default: none).
    pub fn timeout(mut self, timeout: Duration) -> Upload {
        self.timeout = Some(timeout);
        self
    }

    /// Streams a local file; its name on the storage is the file name.
    pub async fn from_path(self, path: impl AsRef<Path>) -> Result<Upid> {
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
        self.send(|| async {
            // Opened per attempt: a stream cannot be sent twice.
            let file = tokio::fs::File::open(path).await.map_err(io)?;
            let length = file.metadata().await.map_err(io)?.len();
            Ok(Part::stream_with_length(reqwest::Body::from(file), length).file_name(name.clone()))
        })
        .await
    }

    /// Uploads bytes held in memory under `filename`.
    pub async fn from_bytes(self, filename: &str, data: Vec<u8>) -> Result<Upid> {
        self.send(|| async { Ok(Part::bytes(data.clone()).file_name(filename.to_owned())) })
            .await
    }

    async fn send<F, Fut>(self, part: F) -> Result<Upid>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Part>>,
    {
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
        let path = format!(
            "nodes/{}/storage/{}/upload",
            encode_segment(&self.node),
            encode_segment(&self.storage)
        );
        let answer = self
            .client
            .send_with(Method::POST, &path, Form::new(), self.timeout, body)
            .await?;
        Ok(Upid::try_from(crate::decode::data_json(&answer)?)?)
    }
}
