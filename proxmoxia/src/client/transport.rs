//! One HTTP exchange: URL, headers, body, tracing, and turning failures into [`Error`]s.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderValue};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use super::Inner;
use super::session::RequestAuth;
use crate::decode::ValueCount;
use crate::encode::Form;
use crate::error::{ApiError, Error, Result, TransportErrorKind};

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
        let request = self.prepare(method, path, form, body, auth, timeout)?;
        // The URL as errors show it is made only for an error.
        let shown_url = || self.shown_url(method, path, form);
        let transport_error = |e: reqwest::Error| map_reqwest_error(e, method, &shown_url());
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        self.auth.clock.observe(response.headers());
        if status.is_success() {
            let values = ValueCount::new(self.max_answer_values);
            match read_body(response, self.max_body_bytes, false, Some(values)).await {
                Ok(bytes) => Ok((status, bytes)),
                Err(ReadError::Http(e)) => Err(transport_error(e)),
                Err(ReadError::TooLarge) => {
                    Err(too_large(method, &shown_url(), self.max_body_bytes))
                }
                Err(ReadError::TooManyValues) => Err(too_many_values(
                    method,
                    &shown_url(),
                    self.max_answer_values,
                )),
            }
        } else {
            // Boxed: the error path's state is then not carried in every request's future.
            let shown_url = shown_url();
            Err(Box::pin(self.error_answer(method, path, form, response, &shown_url)).await)
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
        let request = self.prepare(method, path, form, Body::None, auth, timeout)?;
        let shown_url = self.shown_url(method, path, form);
        tracing::debug!(method = %method, path = %path, "PVE download");
        let transport_error = |e: reqwest::Error| map_reqwest_error(e, method, &shown_url);
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        self.auth.clock.observe(response.headers());
        if status.is_success() {
            return Ok((response, shown_url));
        }
        Err(Box::pin(self.error_answer(method, path, form, response, &shown_url)).await)
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
        // At most 64 KiB of it is parsed: no budget of values needed.
        let bytes = match read_body(response, limit, true, None).await {
            Ok(bytes) => bytes,
            Err(ReadError::Http(e)) => return map_reqwest_error(e, method, shown_url),
            Err(ReadError::TooLarge | ReadError::TooManyValues) => bytes::Bytes::new(),
        };
        let mut error = api_error(method, path, status, reason, &bytes);
        scrub_api_error(&mut error, form);
        Error::Api(Box::new(error))
    }

    /// The request, ready to send.
    fn prepare(
        &self,
        method: &Method,
        path: &str,
        form: &Form,
        body: Body,
        auth: &RequestAuth,
        timeout: Option<Duration>,
    ) -> Result<reqwest::RequestBuilder> {
        let mut url = self.url(path);
        let in_query = in_query(method);
        if in_query && !form.is_empty() {
            url.push('?');
            url.push_str(&form.to_urlencoded());
        }
        let mut request = with_auth(self.http.request(method.clone(), &url), auth, method)?;
        // The client's own timeout is the HTTP client's default (set once, where a timeout
        // per request costs an entry in the request's extensions): only another is set here.
        if timeout != self.timeout {
            request = request.timeout(timeout.unwrap_or(NO_TIMEOUT));
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
        Ok(request)
    }

    /// The URL of `path`, without a query.
    fn url(&self, path: &str) -> String {
        let path = path.trim_start_matches('/');
        let mut url = String::with_capacity(self.base.len() + 1 + path.len());
        url.push_str(&self.base);
        url.push('/');
        url.push_str(path);
        url
    }

    /// The request's URL as errors and logs show it (secret values as `***`).
    pub(super) fn shown_url(&self, method: &Method, path: &str, form: &Form) -> String {
        let mut url = self.url(path);
        if in_query(method) && !form.is_empty() {
            url.push('?');
            url.push_str(&form.to_redacted_urlencoded());
        }
        url
    }
}

/// Whether a method's parameters go in the query (else in the body).
fn in_query(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::DELETE | Method::HEAD)
}

/// The timeout of a request that has none, where the client has one: tokio takes a
/// deadline this far away as never.
const NO_TIMEOUT: Duration = Duration::MAX;

/// How much of an error answer's body is read and kept in the [`ApiError`]: PVE's error
/// bodies are a few hundred bytes; a hostile server's may be endless.
pub(crate) const ERROR_BODY_PREFIX: u64 = 64 * 1024;

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
    TooManyValues,
}

/// Reads a body of at most `limit` bytes, as it streams in (nothing past the limit is
/// buffered). Past the limit: `truncate` keeps the first `limit` bytes, otherwise it fails.
/// With `values`, it fails too as soon as the body holds more JSON values than allowed.
async fn read_body(
    mut response: reqwest::Response,
    limit: u64,
    truncate: bool,
    mut values: Option<ValueCount>,
) -> std::result::Result<bytes::Bytes, ReadError> {
    if !truncate && response.content_length().is_some_and(|len| len > limit) {
        return Err(ReadError::TooLarge);
    }
    let mut too_many = |text: &[u8]| {
        if values.as_mut().is_some_and(|values| values.over(text)) {
            return Err(ReadError::TooManyValues);
        }
        Ok(())
    };
    // Most answers come in one chunk: that is the body, uncopied.
    let Some(first) = response.chunk().await.map_err(ReadError::Http)? else {
        return Ok(bytes::Bytes::new());
    };
    if first.len() as u64 > limit {
        if !truncate {
            return Err(ReadError::TooLarge);
        }
        let kept = usize::try_from(limit).map_or(first.len(), |limit| limit.min(first.len()));
        return Ok(first.slice(..kept));
    }
    too_many(&first)?;
    let Some(second) = response.chunk().await.map_err(ReadError::Http)? else {
        return Ok(first);
    };
    let room = usize::try_from(limit).map_or(usize::MAX, |limit| limit.saturating_sub(first.len()));
    let mut body = bytes::BytesMut::with_capacity(first.len() + second.len().min(room));
    body.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        let room = usize::try_from(limit.saturating_sub(body.len() as u64)).unwrap_or(usize::MAX);
        if chunk.len() > room {
            if !truncate {
                return Err(ReadError::TooLarge);
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
        too_many(&body)?;
        next = response.chunk().await.map_err(ReadError::Http)?;
    }
    Ok(body.freeze())
}

fn too_large(method: &Method, url: &str, limit: u64) -> Error {
    Error::transport(
        TransportErrorKind::BodyTooLarge,
        method.as_str(),
        url,
        format!("the answer is larger than {limit} bytes (see ClientBuilder::max_body_bytes)"),
        None,
    )
}

fn too_many_values(method: &Method, url: &str, limit: u64) -> Error {
    Error::transport(
        TransportErrorKind::BodyTooLarge,
        method.as_str(),
        url,
        format!(
            "the answer holds more than {limit} JSON values (see ClientBuilder::max_answer_values)"
        ),
        None,
    )
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

/// `request` with the headers of `auth` (the CSRF token only on writes).
fn with_auth(
    request: reqwest::RequestBuilder,
    auth: &RequestAuth,
    method: &Method,
) -> Result<reqwest::RequestBuilder> {
    let header = |value: &Option<HeaderValue>| {
        value.clone().ok_or_else(|| {
            Error::Config("credentials contain characters not allowed in HTTP headers".into())
        })
    };
    Ok(match auth {
        RequestAuth::None => request,
        RequestAuth::Token(token) => request.header(AUTHORIZATION, header(token)?),
        RequestAuth::Ticket { cookie, csrf, .. } => {
            let request = request.header(COOKIE, header(cookie)?);
            if *method != Method::GET && *method != Method::HEAD {
                request.header("CSRFPreventionToken", header(csrf)?)
            } else {
                request
            }
        }
    })
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
///
/// What happened is told apart here, whether it is safe to repeat is not (that is the one
/// rule of `error::retry`): a TLS failure while connecting is a failed handshake, nothing
/// sent ([`Error::Tls`]); after it, the request may have gone out.
pub(crate) fn map_reqwest_error(err: reqwest::Error, method: &Method, url: &str) -> Error {
    let err = err.without_url();
    let tls = crate::tls::tls_cause(&err);
    if let Some(message) = &tls
        && err.is_connect()
    {
        return Error::Tls {
            url: url.to_owned(),
            message: message.clone(),
            source: Some(Box::new(err)),
        };
    }
    let kind = if tls.is_some() {
        TransportErrorKind::Tls
    } else if err.is_connect() && err.is_timeout() {
        TransportErrorKind::ConnectTimeout
    } else if err.is_connect() {
        TransportErrorKind::Connect
    } else if err.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Io
    };
    Error::transport(kind, method.as_str(), url, error_chain(&err), Some(err))
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

    /// The HTTP client of a client (with its TLS set up), for building requests.
    fn http() -> reqwest::Client {
        crate::Client::builder("pve.invalid")
            .build()
            .unwrap()
            .inner
            .http
            .clone()
    }

    #[test]
    fn csrf_header_only_on_writes_and_cookie_is_raw() {
        let auth = RequestAuth::ticket("PVE:root@pam:4EEC61E2::a/b+c=", "4EEC61E2:tok", 1);
        let headers = |method: Method| {
            let request = http().request(method.clone(), "https://pve.invalid:8006/");
            with_auth(request, &auth, &method)
                .unwrap()
                .build()
                .unwrap()
                .headers()
                .clone()
        };
        let get = headers(Method::GET);
        assert!(get.get("CSRFPreventionToken").is_none());
        assert_eq!(
            get.get(COOKIE).unwrap(),
            "PVEAuthCookie=PVE:root@pam:4EEC61E2::a/b+c="
        );
        let post = headers(Method::POST);
        assert_eq!(post.get("CSRFPreventionToken").unwrap(), "4EEC61E2:tok");
        assert!(post.get(COOKIE).unwrap().is_sensitive());
        assert!(post.get("CSRFPreventionToken").unwrap().is_sensitive());
    }

    #[test]
    fn credentials_a_header_cannot_carry_are_refused_unsent() {
        let auth = RequestAuth::ticket("PVE:root@pam:4EEC61E2::a\nb", "tok\n", 1);
        let request = http().get("https://pve.invalid:8006/");
        let err = with_auth(request, &auth, &Method::GET).unwrap_err();
        assert!(
            err.to_string().contains("not allowed in HTTP headers"),
            "{err}"
        );
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
