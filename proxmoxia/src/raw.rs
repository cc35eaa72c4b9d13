//! `client.raw(path)`: any path, any parameters, answers as JSON or any `Deserialize` type.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use reqwest::Method;
use serde_core::Serialize;
use serde_core::de::DeserializeOwned;
use serde_json::Value;

use crate::Client;
use crate::encode::{Form, encode_path, encode_segment};
use crate::error::{Error, Result, ValidationError};

impl Client {
    /// The dynamic escape hatch: any API path (relative to `/api2/json`, with or without a
    /// leading `/`), any parameters, answers as JSON or any `Deserialize` type.
    pub fn raw(&self, path: &str) -> RawPath {
        RawPath::new(self.clone(), path)
    }
}

/// A path under the API root. Created by [`Client::raw`].
///
/// Parameters are not checked against the schema (that is what the typed API is for); PVE
/// checks them and answers with [`Error::Api`](crate::Error::Api) and its `errors` map.
#[derive(Debug, Clone)]
pub struct RawPath {
    client: Client,
    path: String,
    // A segment that would climb (`..`), reported when a request is sent so the chain stays
    // infallible.
    refused: Option<&'static str>,
}

impl RawPath {
    pub(crate) fn new(client: Client, path: &str) -> RawPath {
        RawPath {
            client,
            path: encode_path(path),
            refused: None,
        }
    }

    /// Appends one segment, escaping every `/` in it: `raw("nodes/pve1/storage/local/content")
    /// .segment("local:iso/debian.iso")`. A segment `.` or `..` makes every request of this
    /// path fail with a validation error (it would address another path); nothing is sent.
    pub fn segment(mut self, segment: impl std::fmt::Display) -> RawPath {
        let escaped = encode_segment(&segment.to_string());
        if let Some(why) = crate::encode::dot_segment(&escaped) {
            self.refused.get_or_insert(why);
        }
        if !self.path.is_empty() {
            self.path.push('/');
        }
        self.path.push_str(&escaped);
        self
    }

    /// The escaped path, relative to the API root.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `GET` with parameters in the query string. `()` sends none.
    pub fn get(&self, params: impl Serialize) -> RawRequest {
        self.request(Method::GET, &params)
    }

    /// `POST` with parameters as a form body.
    pub fn post(&self, params: impl Serialize) -> RawRequest {
        self.request(Method::POST, &params)
    }

    /// `PUT` with parameters as a form body.
    pub fn put(&self, params: impl Serialize) -> RawRequest {
        self.request(Method::PUT, &params)
    }

    /// `DELETE` with parameters in the query string.
    pub fn delete(&self, params: impl Serialize) -> RawRequest {
        self.request(Method::DELETE, &params)
    }

    fn request(&self, method: Method, params: &impl Serialize) -> RawRequest {
        RawRequest {
            client: self.client.clone(),
            method,
            path: self.path.clone(),
            form: match self.refused {
                Some(why) => Err(Error::Validation(Box::new(ValidationError {
                    param: "segment".into(),
                    rule: "path segment".into(),
                    message: why.into(),
                }))),
                None => Form::from_serialize(params),
            },
        }
    }
}

/// One raw call. `.await` it for the answer's `data` as JSON, or use
/// [`decode`](RawRequest::decode) for a typed answer.
#[derive(Debug)]
#[must_use = "a request does nothing until it is awaited"]
pub struct RawRequest {
    client: Client,
    method: Method,
    path: String,
    // An encoding error is reported when the request is sent, keeping the builder chain
    // infallible.
    form: Result<Form>,
}

impl RawRequest {
    /// Sends it and returns the answer's `data` as JSON.
    pub async fn send(self) -> Result<Value> {
        let form = self.form?;
        self.client.call(self.method, &self.path, form).await
    }

    /// Sends it and decodes the answer's `data` as `T`. A mismatch is an
    /// [`Error::Decode`](crate::Error::Decode) naming the JSON path and keeping the body.
    pub async fn decode<T: DeserializeOwned>(self) -> Result<T> {
        let form = self.form?;
        let method = self.method.clone();
        let body = self.client.send(self.method, &self.path, form).await?;
        crate::decode::data_as(&body).map_err(|e| e.answering(method.as_str()))
    }

    /// Sends it and returns the whole answer body, envelope included.
    pub async fn bytes(self) -> Result<Vec<u8>> {
        let form = self.form?;
        let body = self.client.send(self.method, &self.path, form).await?;
        Ok(body.to_vec())
    }
}

impl IntoFuture for RawRequest {
    type Output = Result<Value>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Value>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
