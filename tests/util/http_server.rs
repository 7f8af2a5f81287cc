//! A tiny HTTP/1.1 server on 127.0.0.1 that plays a provider in verification tests: one request per
//! connection, answered by a closure the test can swap. Shared by the library's unit tests
//! (`src/verify/tests.rs`) and the CLI tests (`tests/verify.rs`). No test touches the internet.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// What the server saw of one request: the raw text plus any basic-auth pair and JWT payload decoded,
/// so a test can tell which secret it carried.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request line, headers and body, plus decoded basic-auth pairs and JWT payloads.
    pub visible: String,
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Body.
    pub body: String,
    /// Extra headers (`Location`).
    pub headers: Vec<(String, String)>,
}

/// An answer with no extra headers.
pub fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        body: body.to_string(),
        headers: Vec::new(),
    }
}

/// Decides the answer to a request.
pub type Responder = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A tiny HTTP/1.1 server on 127.0.0.1: one request per connection, answered by `respond`.
pub struct Server {
    addr: SocketAddr,
    /// Every request so far.
    pub seen: Arc<Mutex<Vec<Seen>>>,
    respond: Arc<Mutex<Arc<Responder>>>,
}

impl Server {
    /// Starts serving on a free loopback port.
    pub fn start(respond: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let respond: Arc<Mutex<Arc<Responder>>> = Arc::new(Mutex::new(Arc::new(respond)));
        let (seen2, respond2) = (Arc::clone(&seen), Arc::clone(&respond));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let responder = Arc::clone(&respond2.lock().unwrap());
                serve_one(stream, &seen2, &*responder);
            }
        });
        Server {
            addr,
            seen,
            respond,
        }
    }

    /// Swaps the responder and forgets the requests seen so far.
    pub fn set(&self, respond: impl Fn(&Seen) -> Reply + Send + Sync + 'static) {
        *self.respond.lock().unwrap() = Arc::new(respond);
        self.seen.lock().unwrap().clear();
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many requests arrived.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn serve_one(stream: TcpStream, seen: &Mutex<Vec<Seen>>, respond: &Responder) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok();
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut visible = format!("{head}\n{body}");
    for line in head.lines() {
        if let Some((_, b64)) = line.split_once("Basic ") {
            visible.push_str(&String::from_utf8_lossy(
                &STANDARD.decode(b64.trim()).unwrap_or_default(),
            ));
        }
    }
    if let Some(jwt) = body.split('&').find_map(|kv| kv.strip_prefix("assertion=")) {
        if let Some(payload) = jwt.split('.').nth(1) {
            visible.push_str(&String::from_utf8_lossy(
                &URL_SAFE_NO_PAD.decode(payload).unwrap_or_default(),
            ));
        }
    }
    let seen_now = Seen { visible };
    let r = respond(&seen_now);
    seen.lock().unwrap().push(seen_now);
    let mut out = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        r.body.len()
    );
    for (n, v) in &r.headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&r.body);
    let mut stream = stream;
    stream.write_all(out.as_bytes()).ok();
}
