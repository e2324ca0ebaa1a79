//! Fixture requests of the channel adapters (`plugins/<name>/fixtures/*.http`): read
//! byte for byte, and sent to a running service as the platform sends them.

use std::path::Path;

use serde_json::Value;

use super::service::{Answer, Running};

/// A fixture request: an HTTP/1.1 request as the platform sends it.
pub struct Fixture {
    pub method: String,
    /// Relative to the inbound address: `/` or `/?…`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads a `.http` fixture: the request line, header lines, an empty line, and the
/// body byte for byte.
pub fn read_fixture(path: &Path) -> Fixture {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (head, body) = match find(&bytes, b"\r\n\r\n") {
        Some(at) => (&bytes[..at], &bytes[at + 4..]),
        None => {
            let at = find(&bytes, b"\n\n")
                .unwrap_or_else(|| panic!("{}: no empty line after the headers", path.display()));
            (&bytes[..at], &bytes[at + 2..])
        }
    };
    let head = String::from_utf8(head.to_vec()).expect("UTF-8 headers");
    let mut lines = head.lines();
    let request_line = lines.next().expect("a request line");
    let mut parts = request_line.split_whitespace();
    let method = parts.next().expect("a method").to_string();
    let target = parts.next().expect("a path").to_string();
    let headers = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (name, value) = l.split_once(':').expect("a `Name: value` header line");
            (name.trim().to_string(), value.trim().to_string())
        })
        .collect();
    Fixture {
        method,
        path: target,
        headers,
        body: body.to_vec(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Posts `fixture` to the inbound path as the platform would.
pub fn send(service: &Running, inbound: &str, fixture: &Fixture) -> Answer {
    let path = match fixture.path.strip_prefix('/') {
        Some(rest) if !rest.is_empty() => format!("{inbound}{}", rest.trim_start_matches('/')),
        _ => inbound.to_string(),
    };
    let url = format!("{}{path}", service.base);
    let mut request = ureq::http::Request::builder()
        .method(fixture.method.as_str())
        .uri(&url);
    for (name, value) in &fixture.headers {
        if !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("host") {
            request = request.header(name.as_str(), value.as_str());
        }
    }
    let request = request.body(fixture.body.clone()).unwrap();
    let mut response = service.http.run(request).expect("the service answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        content_type,
    }
}
