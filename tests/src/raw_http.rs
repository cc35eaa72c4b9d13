//! A plain HTTP/1.1 server scripted byte by byte, behind a [`TlsFront`]: for answers an HTTP
//! library would not write (no `Date` header, a body that stops half-way and hangs).
//!
//! Each connection carries one request: its head is recorded (and its body read, unless the
//! server reads heads only), then the script gets the head and the socket and writes what
//! it likes (`Connection: close` keeps the client from reusing the connection); a script
//! that never returns holds the connection open.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::TlsFront;

/// The server. Stops accepting when dropped.
pub struct RawHttp {
    pub front: TlsFront,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl RawHttp {
    /// Starts a server answering each request with `script(head, socket)`, once its body
    /// (of its `Content-Length`) is read.
    pub async fn start<F, Fut>(script: F) -> RawHttp
    where
        F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        RawHttp::serve(script, true).await
    }

    /// Like [`start`](RawHttp::start), but the body is left unread: a server that stops
    /// reading.
    pub async fn start_reading_heads_only<F, Fut>(script: F) -> RawHttp
    where
        F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        RawHttp::serve(script, false).await
    }

    async fn serve<F, Fut>(script: F, read_body: bool) -> RawHttp
    where
        F: Fn(String, TcpStream) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("address");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let Some(head) = read_request(&mut socket, read_body).await else {
                        return;
                    };
                    seen.lock().expect("heads").push(head.clone());
                    script(head, socket).await;
                });
            }
        });
        let front = TlsFront::start(addr).await;
        RawHttp { front, heads, task }
    }

    /// The heads of the requests received so far (request line and headers).
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }

    /// The request lines (`GET /api2/json/version HTTP/1.1`) received so far.
    pub fn request_lines(&self) -> Vec<String> {
        self.heads()
            .iter()
            .map(|head| head.lines().next().unwrap_or("").to_owned())
            .collect()
    }
}

impl Drop for RawHttp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request: its head (returned) and, with `read_body`, a body of its
/// `Content-Length`.
async fn read_request(socket: &mut TcpStream, read_body: bool) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    if !read_body {
        return Some(head);
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).await.ok()?;
    Some(head)
}

/// The path of a request head's request line (`/api2/json/version`), query cut off.
pub fn path_of(head: &str) -> &str {
    let target = head.split(' ').nth(1).unwrap_or("");
    target.split('?').next().unwrap_or(target)
}
