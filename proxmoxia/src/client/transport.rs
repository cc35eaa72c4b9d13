//! One HTTP exchange: URL, headers, body, tracing, and turning failures into [`Error`]s.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use super::Inner;
use super::session::RequestAuth;
use crate::encode::Form;
use crate::error::{ApiError, Error, Result, TransportError, TransportErrorKind};

/// A request body other than the form.
pub(crate) enum Body {
    None,
    Multipart(reqwest::multipart::Form),
}

impl Inner {
    /// Sends one request with these credentials; the body of a 2xx answer, or the error.
    pub(super) async fn transport(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        body: Body,
        auth: &RequestAuth,
        timeout: Option<Duration>,
    ) -> Result<bytes::Bytes> {
        let span = tracing::debug_span!(
            "pve_request",
            method = %method,
            path = %path,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let result = self.exchange(method, path, form, body, auth, timeout).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match &result {
                Ok((status, _)) => {
                    span.record("status", status.as_u16());
                    tracing::debug!("PVE answered");
                }
                Err(Error::Api(e)) => {
                    span.record("status", e.status);
                    tracing::debug!(message = %e.message, "PVE answered with an error");
                }
                Err(e) => tracing::debug!(error = %e, "request failed"),
            }
            result.map(|(_, body)| body)
        }
        .instrument(span)
        .await
    }

    async fn exchange(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        body: Body,
        auth: &RequestAuth,
        timeout: Option<Duration>,
    ) -> Result<(StatusCode, bytes::Bytes)> {
        let (request, shown_url) = self.prepare(method, path, form, body, auth, timeout)?;
        let transport_error = |e: reqwest::Error| map_reqwest_error(e, method, &shown_url);
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        self.auth.clock.observe(response.headers());
        if status.is_success() {
            match read_body(response, self.max_body_bytes, false).await {
                Ok(bytes) => Ok((status, bytes)),
                Err(ReadError::Http(e)) => Err(transport_error(e)),
                Err(ReadError::TooLarge) => Err(too_large(method, &shown_url, self.max_body_bytes)),
            }
        } else {
            Err(self
                .error_answer(method, path, form, response, &shown_url)
                .await)
        }
    }

    /// Sends one request and returns a 2xx response with its body still unread (a download
    /// streams it), or the error; also the URL as errors show it (secret values as `***`),
    /// for errors while the body is read.
    pub(super) async fn open(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        auth: &RequestAuth,
        timeout: Option<Duration>,
    ) -> Result<(reqwest::Response, String)> {
        let (request, shown_url) = self.prepare(method, path, form, Body::None, auth, timeout)?;
        tracing::debug!(method = %method, path = %path, "PVE download");
        let transport_error = |e: reqwest::Error| map_reqwest_error(e, method, &shown_url);
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        self.auth.clock.observe(response.headers());
        if status.is_success() {
            return Ok((response, shown_url));
        }
        Err(self
            .error_answer(method, path, form, response, &shown_url)
            .await)
    }

    /// The error of an error answer: only the start of its body is read and kept, and the
    /// request's secret values are scrubbed from whatever the server echoed.
    async fn error_answer(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        response: reqwest::Response,
        shown_url: &str,
    ) -> Error {
        let status = response.status();
        let reason = reason_phrase(&response);
        let limit = self.max_body_bytes.min(ERROR_BODY_PREFIX);
        let bytes = match read_body(response, limit, true).await {
            Ok(bytes) => bytes,
            Err(ReadError::Http(e)) => return map_reqwest_error(e, method, shown_url),
            Err(ReadError::TooLarge) => bytes::Bytes::new(),
        };
        let mut error = api_error(method, path, status, reason, &bytes);
        scrub_api_error(&mut error, form);
        Error::Api(Box::new(error))
    }

    /// The request, ready to send, and its URL as errors and logs show it (secret values as
    /// `***`).
    fn prepare(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        body: Body,
        auth: &RequestAuth,
        timeout: Option<Duration>,
    ) -> Result<(reqwest::RequestBuilder, String)> {
        let mut url = format!("{}/{}", self.base, path.trim_start_matches('/'));
        let mut shown_url = url.clone();
        let in_query = matches!(*method, Method::GET | Method::DELETE | Method::HEAD);
        if in_query && !form.is_empty() {
            url.push('?');
            url.push_str(&form.to_urlencoded());
            shown_url.push('?');
            shown_url.push_str(&form.to_redacted_urlencoded());
        }
        let mut request = self
            .http
            .request(method.clone(), &url)
            .headers(auth_headers(auth, method)?);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        request = match body {
            Body::Multipart(multipart) => request.multipart(multipart),
            Body::None if !in_query => request
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .body(form.to_urlencoded()),
            Body::None => request,
        };
        Ok((request, shown_url))
    }
}

/// How much of an error answer's body is read and kept in the [`ApiError`]: PVE's error
/// bodies are a few hundred bytes; a hostile server's may be endless.
pub(crate) const ERROR_BODY_PREFIX: u64 = 64 * 1024;

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

/// Reads a body of at most `limit` bytes, as it streams in (nothing past the limit is
/// buffered). Past the limit: `truncate` keeps the first `limit` bytes, otherwise it fails.
async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
    truncate: bool,
) -> std::result::Result<bytes::Bytes, ReadError> {
    if !truncate && response.content_length().is_some_and(|len| len > limit) {
        return Err(ReadError::TooLarge);
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Http)? {
        let room = usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
        if chunk.len() > room {
            if !truncate {
                return Err(ReadError::TooLarge);
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_large(method: &Method, url: &str, limit: u64) -> Error {
    Error::Transport(Box::new(TransportError {
        kind: TransportErrorKind::BodyTooLarge,
        method: method.to_string(),
        url: url.to_owned(),
        message: format!(
            "the answer is larger than {limit} bytes (see ClientBuilder::max_body_bytes)"
        ),
        retry_safe: false,
        source: None,
    }))
}

/// Hides the request's secret values wherever the server echoed them in its error.
fn scrub_api_error(error: &mut ApiError, form: &Form) {
    let scrub = |text: &str| scrub(text, form.secret_values());
    error.reason = scrub(&error.reason);
    error.message = scrub(&error.message);
    error.body = scrub(&error.body);
    for text in error.errors.values_mut() {
        *text = scrub(text);
    }
}

fn auth_headers(auth: &RequestAuth, method: &Method) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    let sensitive = |value: String| {
        let mut v = HeaderValue::from_str(&value).map_err(|_| {
            Error::Config("credentials contain characters not allowed in HTTP headers".into())
        })?;
        v.set_sensitive(true);
        Ok::<_, Error>(v)
    };
    match auth {
        RequestAuth::None => {}
        RequestAuth::Token(header) => {
            headers.insert(AUTHORIZATION, sensitive(header.expose().to_owned())?);
        }
        RequestAuth::Ticket { cookie, csrf, .. } => {
            // PVE reads the cookie raw: percent-encoding the ticket would break it.
            headers.insert(
                COOKIE,
                sensitive(format!("PVEAuthCookie={}", cookie.expose()))?,
            );
            if *method != Method::GET && *method != Method::HEAD {
                headers.insert("CSRFPreventionToken", sensitive(csrf.expose().to_owned())?);
            }
        }
    }
    Ok(headers)
}

/// PVE puts its error message in the status line; hyper keeps a non-canonical reason.
fn reason_phrase(response: &reqwest::Response) -> String {
    response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .or_else(|| response.status().canonical_reason().map(str::to_owned))
        .unwrap_or_default()
}

/// An [`ApiError`] from an error answer: PVE's JSON (`message`, `errors`) when present.
pub(crate) fn api_error(
    method: &Method,
    path: &str,
    status: StatusCode,
    reason: String,
    body: &[u8],
) -> ApiError {
    let text = String::from_utf8_lossy(body).into_owned();
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let message = json
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(|m| m.as_str())
        .map(|m| m.trim_end().to_owned())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| reason.clone());
    let errors = json
        .as_ref()
        .and_then(|v| v.get("errors"))
        .and_then(|e| e.as_object())
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.trim_end().to_owned(),
                        other => other.to_string(),
                    };
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default();
    ApiError {
        method: method.to_string(),
        path: path.to_owned(),
        status: status.as_u16(),
        reason,
        message,
        errors,
        body: text,
    }
}

/// `text` with every occurrence of each secret value replaced by `***`: a server may
/// echo a value it refused, as sent, trimmed, JSON-escaped (in a JSON body), URL-encoded
/// (quoting the URL), or one line of a multi-line value (a PEM key) at a time.
fn scrub<'a>(text: &str, secrets: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        let mut forms = vec![secret.to_owned(), secret.trim().to_owned()];
        if let Ok(json) = serde_json::to_string(secret) {
            forms.push(json.trim_matches('"').to_owned());
        }
        forms.push(crate::encode::form_encode(secret));
        if secret.trim().contains('\n') {
            // Short lines (`-----END-----` aside) could be anything: only long ones count.
            forms.extend(
                secret
                    .lines()
                    .map(str::trim)
                    .filter(|l| l.len() >= 8)
                    .map(str::to_owned),
            );
        }
        // Longest first, so a whole value goes before its pieces.
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        for form in forms {
            if !form.is_empty() && out.contains(&form) {
                out = out.replace(&form, crate::secret::REDACTED);
            }
        }
    }
    out
}

/// `api_error` from plain parts, for the fuzz targets; `None` for a status HTTP has not.
#[doc(hidden)]
pub fn api_error_of(status: u16, reason: &str, body: &[u8]) -> Option<ApiError> {
    let status = StatusCode::from_u16(status).ok()?;
    Some(api_error(
        &Method::GET,
        "fuzz",
        status,
        reason.to_owned(),
        body,
    ))
}

/// `url` is the shown (redacted) URL; reqwest's own copy of the real one is dropped from the
/// error so that neither its text nor its `Debug` carries a secret.
pub(crate) fn map_reqwest_error(err: reqwest::Error, method: &Method, url: &str) -> Error {
    let err = err.without_url();
    if let Some(message) = crate::tls::tls_cause(&err) {
        return Error::Tls {
            url: url.to_owned(),
            message,
            source: Some(Box::new(err)),
        };
    }
    let read_only = matches!(*method, Method::GET | Method::HEAD);
    let (kind, retry_safe) = if err.is_connect() && err.is_timeout() {
        (TransportErrorKind::ConnectTimeout, true)
    } else if err.is_connect() {
        (TransportErrorKind::Connect, true)
    } else if err.is_timeout() {
        (TransportErrorKind::Timeout, read_only)
    } else {
        (TransportErrorKind::Io, read_only)
    };
    Error::Transport(Box::new(TransportError {
        kind,
        method: method.to_string(),
        url: url.to_owned(),
        message: error_chain(&err),
        retry_safe,
        source: Some(err),
    }))
}

/// The messages of an error and its causes, `a: b: c`, without repeats.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_reads_pve_message_and_errors() {
        let body = br#"{"data":null,"message":"Parameter verification failed.\n","errors":{"net0":"invalid format - missing key\n"}}"#;
        let err = api_error(
            &Method::POST,
            "nodes/pve1/qemu",
            StatusCode::BAD_REQUEST,
            "Parameter verification failed.".into(),
            body,
        );
        assert_eq!(err.errors["net0"], "invalid format - missing key");
        assert_eq!(
            err.to_string(),
            "Parameter verification failed: net0: invalid format - missing key (HTTP 400 on POST nodes/pve1/qemu)"
        );
    }

    #[test]
    fn api_error_without_json_uses_the_reason() {
        let err = api_error(
            &Method::GET,
            "nodes/x/status",
            StatusCode::INTERNAL_SERVER_ERROR,
            "hostname lookup 'x' failed".into(),
            b"<html>oops</html>",
        );
        assert_eq!(err.message, "hostname lookup 'x' failed");
        assert_eq!(err.body, "<html>oops</html>");
    }

    #[test]
    fn csrf_header_only_on_writes_and_cookie_is_raw() {
        let auth = RequestAuth::Ticket {
            cookie: crate::secret::Secret::new("PVE:root@pam:4EEC61E2::a/b+c="),
            csrf: crate::secret::Secret::new("4EEC61E2:tok"),
            generation: 1,
        };
        let get = auth_headers(&auth, &Method::GET).unwrap();
        assert!(get.get("CSRFPreventionToken").is_none());
        assert_eq!(
            get.get(COOKIE).unwrap(),
            "PVEAuthCookie=PVE:root@pam:4EEC61E2::a/b+c="
        );
        let post = auth_headers(&auth, &Method::POST).unwrap();
        assert_eq!(post.get("CSRFPreventionToken").unwrap(), "4EEC61E2:tok");
        assert!(post.get(COOKIE).unwrap().is_sensitive());
    }

    #[test]
    fn scrub_finds_escaped_and_partial_echoes() {
        let pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----\n";
        assert_eq!(
            scrub(
                r#"{"m":"bad -----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----\n"}"#,
                [pem]
            ),
            r#"{"m":"bad ***"}"#
        );
        assert_eq!(scrub("line MIIEvQIBADANBgkq", [pem]), "line ***");
        assert_eq!(
            scrub("GET /x?password=a%20b%26c", ["a b&c"]),
            "GET /x?password=***"
        );
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        assert_eq!(
            scrub("bad value 'pw1' (pw1)", ["pw1", ""]),
            "bad value '***' (***)"
        );
    }
}
