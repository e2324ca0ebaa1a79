//! A loopback HTTP server that records every request it receives and answers each as
//! the test decides: the receiving end of webhooks in the delivery tests, and the
//! fake helpdesk whose calls end-to-end tests assert (method, path, headers, body).
//! One request per connection (`connection: close`), read whole before it is
//! answered; HTTP/1.1 with a `content-length`, which is what guichet sends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the recorder got it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// When it arrived (its request line was read).
    pub at: Instant,
    pub method: String,
    /// The path with its query string, as sent.
    pub path: String,
    /// Header names in lower case, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// What it was answered.
    pub status: u16,
}

impl Recorded {
    /// The value of header `name` (lower case); panics when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// The running recorder; it stops with the test process.
pub struct Recorder {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    /// Starts on a free loopback port. `answer` is called with each request, in the
    /// order they arrive, after it is recorded (so a test sees it while its answer is
    /// held) and gives the status to answer with; it may wait, to hold the answer.
    pub fn start(answer: impl FnMut(&Recorded) -> u16 + Send + 'static) -> Recorder {
        Recorder::start_on("127.0.0.1:0", answer)
    }

    /// [`Recorder::start`] on `addr` (`127.0.0.1:PORT`): a helpdesk that comes up
    /// where guichet was already told to send.
    pub fn start_on(
        addr: &str,
        mut answer: impl FnMut(&Recorded) -> u16 + Send + 'static,
    ) -> Recorder {
        let listener = TcpListener::bind(addr).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::<Recorded>::new()));
        let record = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(mut request) = read(&stream) else {
                    continue;
                };
                let index = {
                    let mut all = record.lock().unwrap();
                    all.push(request.clone());
                    all.len() - 1
                };
                request.status = answer(&request);
                record.lock().unwrap()[index].status = request.status;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    request.status
                );
            }
        });
        Recorder { base, requests }
    }

    /// A recorder that answers every request with 200.
    pub fn ok() -> Recorder {
        Recorder::start(|_| 200)
    }

    /// `base` followed by `path` (`/hooks`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Waits until `until` holds of the requests so far, at most `within`; whether it
    /// did.
    pub fn wait(&self, within: Duration, until: impl Fn(&[Recorded]) -> bool) -> bool {
        let end = Instant::now() + within;
        loop {
            if until(&self.requests.lock().unwrap()) {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Reads one request off `stream`; `None` when it is not one.
fn read(stream: &std::net::TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let at = Instant::now();
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        if let Some((k, v)) = trimmed.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        at,
        method,
        path,
        headers,
        body,
        status: 0,
    })
}
