//! The HTTPS side of the fake: TLS with a generated certificate, HTTP/1.1 with hyper, and
//! the request body as PVE reads it (query, form, JSON, multipart upload).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming as Body;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::dispatch;
use super::request::{self, Failure, Incoming, Outcome};
use super::state::State;

/// Largest request body accepted (uploads are kept in memory).
const MAX_BODY: usize = 256 << 20;

/// Accepts connections until the fake is dropped; `stopped` ends (its sender is dropped)
/// then, and with it every connection, keep-alive ones included, and every request still in
/// work.
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    state: Arc<Mutex<State>>,
    stopped: watch::Receiver<()>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        let state = state.clone();
        let connection_stopped = stopped.clone();
        let mut until_stopped = stopped.clone();
        tokio::spawn(async move {
            let connection = async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| {
                    dated(state.clone(), req, connection_stopped.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tls), service)
                    // Console websockets (`vncwebsocket`).
                    .with_upgrades()
                    .await;
            };
            // `biased`: once the fake is dropped, a request already on the wire is not
            // served either.
            tokio::select! {
                biased;
                _ = until_stopped.changed() => {}
                () = connection => {}
            }
        });
    }
}

/// A dropped connection, as a fault asks for.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault")
    }
}

impl std::error::Error for Dropped {}

/// How often a request waiting for a held config lock looks again.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The answer, with a `Date` header by the fake's clock (see `MockPve::set_clock_offset`).
async fn dated(
    state: Arc<Mutex<State>>,
    req: Request<Body>,
    stopped: watch::Receiver<()>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let mut response = respond(state.clone(), req, stopped).await?;
    let now = state.lock().unwrap_or_else(|e| e.into_inner()).server_now();
    let date = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(now));
    if let Ok(value) = hyper::header::HeaderValue::from_str(&date) {
        response.headers_mut().insert(hyper::header::DATE, value);
    }
    Ok(response)
}

async fn respond(
    state: Arc<Mutex<State>>,
    #[cfg_attr(not(feature = "console"), allow(unused_mut))] mut req: Request<Body>,
    mut stopped: watch::Receiver<()>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    // A slow network delays everything, before the fake sees the request.
    let latency = state.lock().unwrap_or_else(|e| e.into_inner()).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    #[cfg(feature = "console")]
    let upgrade = super::console::upgrade_of(&mut req);
    let incoming = match read(req).await {
        Ok(incoming) => incoming,
        Err(failure) => return Ok(response(&Err(failure))),
    };
    let incoming = match incoming {
        Some(incoming) => incoming,
        None => {
            return Ok(response(&Err(Failure::new(404, "Not Found"))));
        }
    };
    #[cfg(feature = "console")]
    if let Some(upgrade) = upgrade {
        return websocket(state, incoming, upgrade, stopped).await;
    }
    // The request has arrived: as PVE does, the fake handles it to the end (a delay, a wait
    // for a config lock) even if the client gives up and closes the connection, which drops
    // this future, not the spawned work.
    let work = tokio::spawn(async move {
        tokio::select! {
            biased;
            _ = stopped.changed() => None,
            outcome = process(state, incoming) => Some(outcome),
        }
    });
    match work.await {
        Ok(Some(outcome)) => outcome,
        _ => Err(Dropped),
    }
}

/// Handles a request: faults, then the answer (after a delay fault, or once a held config
/// lock is free).
async fn process(
    state: Arc<Mutex<State>>,
    incoming: Incoming,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (mut outcome, mut file) = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        let outcome = dispatch::handle(&mut state, incoming.clone_for_retry());
        state.handled();
        (outcome, state.file_answer.take())
    };
    loop {
        let pause = match outcome {
            Outcome::Answer(Ok(_)) if file.is_some() => {
                return Ok(file_response(file.take().unwrap_or_default()));
            }
            Outcome::Answer(result) => return Ok(response(&result)),
            Outcome::Page(status, page) => return Ok(page_response(status, page)),
            Outcome::Drop => return Err(Dropped),
            Outcome::Delay(d) => d,
            Outcome::Wait => LOCK_POLL,
        };
        tokio::time::sleep(pause).await;
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        outcome = dispatch::answer_now(&mut state, incoming.clone_for_retry());
        state.handled();
        file = state.file_answer.take();
    }
}

/// A websocket upgrade (`vncwebsocket`): the call's answer as for a plain GET (faults and
/// all), then the upgrade or PVE's refusal of it.
#[cfg(feature = "console")]
async fn websocket(
    state: Arc<Mutex<State>>,
    incoming: Incoming,
    upgrade: super::console::Upgrade,
    stopped: watch::Receiver<()>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let outcome = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        let outcome = dispatch::handle(&mut state, incoming.clone_for_retry());
        state.handled();
        outcome
    };
    let outcome = match outcome {
        Outcome::Delay(pause) => {
            tokio::time::sleep(pause).await;
            let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
            let outcome = dispatch::answer_now(&mut state, incoming);
            state.handled();
            outcome
        }
        other => other,
    };
    match outcome {
        Outcome::Answer(answer) => Ok(
            match super::console::upgrade(state, upgrade, answer, stopped) {
                Ok(switching) => switching,
                Err(refused) => response(&Err(refused)),
            },
        ),
        Outcome::Page(status, page) => Ok(page_response(status, page)),
        Outcome::Drop | Outcome::Delay(_) | Outcome::Wait => Err(Dropped),
    }
}

/// A file answer, as PVE streams one (`application/octet-stream`).
fn file_response(data: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(data));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/octet-stream"),
    );
    response
}

/// An HTML error page with the status's standard reason, as a proxy sends it.
fn page_response(status: u16, page: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(page)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

fn response(result: &Result<serde_json::Value, Failure>) -> Response<Full<Bytes>> {
    let (status, reason, body) = request::body(result);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    // PVE puts its message in the status line.
    let reason: String = reason
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .collect();
    if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(reason.into_bytes()) {
        response.extensions_mut().insert(phrase);
    }
    response
}

/// The request as the API layer sees it; `None` outside `/api2/json`.
async fn read(req: Request<Body>) -> Result<Option<Incoming>, Failure> {
    let method = req.method().as_str().to_owned();
    let Some(path) = req.uri().path().strip_prefix("/api2/json") else {
        return Ok(None);
    };
    let path = path.to_owned();
    let mut params = req.uri().query().map(form_pairs).unwrap_or_default();
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let cookie_ticket = header("cookie").and_then(|c| {
        c.split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == "PVEAuthCookie")
            .map(|(_, v)| v.to_owned())
    });
    let csrf = header("csrfpreventiontoken");
    let token =
        header("authorization").and_then(|a| a.strip_prefix("PVEAPIToken=").map(str::to_owned));
    let content_type = header("content-type").unwrap_or_default();
    let declared_length = header("content-length").and_then(|l| l.parse::<usize>().ok());
    let body = http_body_util::Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|_| Failure::new(413, "Request body too large"))?
        .to_bytes();
    let mut upload = None;
    if content_type.starts_with("multipart/form-data") {
        if declared_length != Some(body.len()) {
            return Err(Failure::new(400, "bad upload request"));
        }
        let boundary = content_type
            .split("boundary=")
            .nth(1)
            .map(|b| b.trim_matches('"').to_owned())
            .ok_or_else(|| Failure::new(400, "bad upload request"))?;
        let (fields, file) =
            multipart(&body, &boundary).ok_or_else(|| Failure::new(400, "bad upload request"))?;
        params.extend(fields);
        upload = file;
    } else if content_type.starts_with("application/json") && !body.is_empty() {
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| Failure::param("body", "request body is not a JSON object"))?;
        let object = value
            .as_object()
            .ok_or_else(|| Failure::param("body", "request body is not a JSON object"))?;
        for (k, v) in object {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => if *b { "1" } else { "0" }.to_owned(),
                other => other.to_string(),
            };
            params.push((k.clone(), text));
        }
    } else if !body.is_empty() {
        let text = std::str::from_utf8(&body)
            .map_err(|_| Failure::param("body", "request body is not valid UTF-8"))?;
        params.extend(form_pairs(text));
    }
    Ok(Some(Incoming {
        method,
        path,
        params,
        cookie_ticket,
        csrf,
        token,
        upload,
        since: Instant::now(),
    }))
}

/// `a=1&b=x%20y` (`+` is a space, as in forms).
fn form_pairs(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// A multipart body: its text fields, and the file part's name and size.
type Parts = (Vec<(String, String)>, Option<(String, u64)>);

fn multipart(body: &[u8], boundary: &str) -> Option<Parts> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut fields = Vec::new();
    let mut file = None;
    let mut rest = body;
    // Skip to the first delimiter.
    let start = find(rest, delimiter)?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return Some((fields, file));
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        rest = &rest[head_end + 4..];
        let end = find(rest, delimiter)?;
        let data = rest[..end].strip_suffix(b"\r\n")?;
        rest = &rest[end + delimiter.len()..];
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?;
        let attr = |name: &str| {
            disposition
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.trim_matches('"').to_owned())
        };
        let name = attr("name")?;
        match attr("filename") {
            // PVE takes the file part's name as the parameter of that name (`filename`).
            Some(filename) => {
                fields.push((name, filename.clone()));
                file = Some((filename, data.len() as u64));
            }
            None => fields.push((name, String::from_utf8_lossy(data).into_owned())),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl Incoming {
    /// A copy for the delayed second look (the first one may consume a fault).
    fn clone_for_retry(&self) -> Incoming {
        Incoming {
            method: self.method.clone(),
            path: self.path.clone(),
            params: self.params.clone(),
            cookie_ticket: self.cookie_ticket.clone(),
            csrf: self.csrf.clone(),
            token: self.token.clone(),
            upload: self.upload.clone(),
            since: self.since,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_are_split() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nvztmpl\r\n--XX\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"t.tar.zst\"\r\nContent-Type: application/octet-stream\r\n\r\nabcdef\r\n--XX--\r\n";
        let (fields, file) = multipart(body, "XX").unwrap();
        assert_eq!(
            fields,
            [
                ("content".to_owned(), "vztmpl".to_owned()),
                ("filename".to_owned(), "t.tar.zst".to_owned())
            ]
        );
        assert_eq!(file, Some(("t.tar.zst".to_owned(), 6)));
        assert!(multipart(b"garbage", "XX").is_none());
    }

    #[test]
    fn form_pairs_decode_plus_and_percent() {
        assert_eq!(
            form_pairs("a=1&b=x+y%2Cz&c"),
            [
                ("a".into(), "1".into()),
                ("b".into(), "x y,z".into()),
                ("c".into(), "".into())
            ]
        );
    }
}
