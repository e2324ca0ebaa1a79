//! Entry points for the fuzz targets in `fuzz/` (run by `scripts/fuzz`): what the
//! API does with the bytes a caller sends, without a service around it. Each calls
//! the code the handlers run, not a copy of it. Not an API to build on: it changes
//! with the handlers.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use chrono::{DateTime, Utc};

use super::Problem;
use crate::model::{Event, HttpAnswer, IncomingRequest};
use crate::runtime::{CallError, CallLimits};
use crate::store::{InboundRefusal, Tenant};

/// A `POST …/events` body read as the handler reads it: the events, and whether
/// they came as a batch.
pub fn events_body(body: &[u8]) -> Result<(Vec<Event>, bool), Problem> {
    super::events::parse_events(body)
}

/// `POST …/events`' query string (`wait`, `timeout_ms`) read as the handler reads it.
pub fn events_query(query: &str) -> Result<(bool, Option<u64>), Problem> {
    let uri: Uri = format!("/?{query}")
        .parse()
        .map_err(|_| Problem::bad_request("invalid-query", "not a query string"))?;
    let query = super::events::wait_query(Query::try_from_uri(&uri))?;
    Ok((query.wait, query.timeout_ms))
}

/// An `Idempotency-Key` header's value read as `POST …/events` reads it; `None` when
/// HTTP itself would not carry the value.
pub fn idempotency_key(value: &[u8]) -> Option<Result<Option<String>, Problem>> {
    let value = HeaderValue::from_bytes(value).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert("idempotency-key", value);
    Some(super::events::idempotency_key(&headers))
}

/// An inbound request as the host hands it to its adapter.
#[derive(Debug)]
pub struct InboundRead {
    /// What the adapter gets.
    pub request: IncomingRequest,
    /// Whether the caller asked to wait for the decisions.
    pub wait: bool,
    /// The headers that HTTP carried, as the host saw them.
    pub headers: Vec<(String, Vec<u8>)>,
    /// What the admin would be shown of it, were the adapter to refuse it.
    pub refusal: InboundRefusal,
}

/// `POST /v1/inbound/{address}` with `target` (the path and query after the address,
/// e.g. `/?hub.mode=subscribe`), `headers` and `body`, up to the adapter: `None` for
/// what HTTP itself would refuse (a method, header or target it cannot carry).
pub fn inbound_request(
    method: &[u8],
    target: &[u8],
    headers: &[(&[u8], &[u8])],
    body: &[u8],
) -> Option<InboundRead> {
    let method = Method::from_bytes(method).ok()?;
    let target = std::str::from_utf8(target).ok()?;
    let uri: Uri = format!("/v1/inbound/fuzz{target}").parse().ok()?;
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name).ok()?;
        let value = HeaderValue::from_bytes(value).ok()?;
        map.append(name, value);
    }
    let request = super::inbound::incoming_request(&method, &uri, &map, body);
    let refusal = super::inbound::refusal_record(
        DateTime::<Utc>::UNIX_EPOCH,
        StatusCode::UNAUTHORIZED,
        &CallError::Adapter(crate::model::AdapterError::Rejected(
            String::from_utf8_lossy(body).into_owned(),
        )),
        &request,
    );
    Some(InboundRead {
        wait: super::inbound::wants_wait(&uri),
        headers: map
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
            .collect(),
        request,
        refusal,
    })
}

/// The status and headers a platform gets when its adapter answers it itself.
pub fn adapter_answer(answer: HttpAnswer) -> (u16, Vec<(String, Vec<u8>)>) {
    let response = super::inbound::answer_as_adapter_said(answer);
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect();
    (response.status().as_u16(), headers)
}

/// A `PUT …/plugins/{name}` body, checked as the handler checks it before it looks at
/// the store and the component, against the service's default maximum limits: the
/// configuration text the plugin would read and the subscriptions, if it sets them.
pub fn plugin_settings(body: &[u8]) -> Result<(Option<String>, Option<Vec<String>>), Problem> {
    super::plugins::checked_settings_body(body, &CallLimits::default())
}

/// A `POST /v1/tenants` body: the tenant it makes.
pub fn new_tenant(body: &[u8]) -> Result<Tenant, Problem> {
    super::tenants::new_tenant(
        Ok(Bytes::copy_from_slice(body)),
        DateTime::<Utc>::UNIX_EPOCH,
    )
}

/// `record` changed by a `PUT …/settings` body.
pub fn tenant_settings(body: &[u8], record: Tenant) -> Result<Tenant, Problem> {
    super::tenants::changed_tenant(body, record)
}

/// A `PUT …/webhooks/{name}` body: the URL and the secret, if given.
pub fn webhook_settings(body: &[u8]) -> Result<(String, Option<String>), Problem> {
    super::webhooks::webhook_settings(Ok(Bytes::copy_from_slice(body)))
        .map(|settings| (settings.url, settings.secret))
}

/// Whether `value` is a name (a tenant's id, a plugin's, a webhook's) as the handlers
/// check names.
pub fn is_name(value: &str) -> bool {
    super::openapi::is_name(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fuzz targets are not built by `cargo test`: each entry point is run here
    /// once on an input it accepts and one it refuses.
    #[test]
    fn each_entry_point_reads_what_its_handler_reads() {
        let event = br#"{"id": "evt-1", "kind": {"type": "ticket_created"},
            "occurred_at": "2026-11-23T09:00:00Z",
            "ticket": {"id": "t-1", "channel": "email", "requester": {},
                       "created_at": "2026-11-23T09:00:00Z",
                       "updated_at": "2026-11-23T09:00:00Z"}}"#;
        let (events, batch) = events_body(event).unwrap();
        assert_eq!((events.len(), batch), (1, false));
        assert_eq!(events_body(b"[]").unwrap_err().status, 400);
        assert_eq!(
            events_query("wait=true&timeout_ms=5").unwrap(),
            (true, Some(5))
        );
        assert_eq!(events_query("timeout_ms=60001").unwrap_err().status, 400);
        assert_eq!(
            idempotency_key(b"d-1").unwrap().unwrap().as_deref(),
            Some("d-1")
        );
        assert!(idempotency_key(b" d-1").unwrap().is_err());

        let read = inbound_request(
            b"POST",
            b"/?wait=true&token=secret",
            &[(b"X-Hub-Signature".as_slice(), b"sha1=00".as_slice())],
            b"{}",
        )
        .unwrap();
        assert!(read.wait);
        assert_eq!(read.request.path, "/?wait=true&token=secret");
        assert_eq!(read.request.headers[0].name, "x-hub-signature");
        assert_eq!(read.refusal.path, "/");
        assert!(inbound_request(b"PO ST", b"/", &[], b"").is_none());
        let (status, headers) = adapter_answer(HttpAnswer {
            status: 302,
            headers: Vec::new(),
            body: crate::model::Body::Text("challenge".into()),
        });
        assert_eq!(status, 200);
        assert!(
            headers
                .iter()
                .any(|(n, v)| n == "x-content-type-options" && v == b"nosniff")
        );

        let (config, _) = plugin_settings(br#"{"config": {"rules": []}, "label": "v2"}"#).unwrap();
        assert_eq!(config.as_deref(), Some(r#"{"rules":[]}"#));
        assert_eq!(
            plugin_settings(br#"{"label": "v\u0001"}"#)
                .unwrap_err()
                .status,
            400
        );
        let tenant = new_tenant(br#"{"id": "acme", "time_zone": "Europe/Paris"}"#).unwrap();
        assert_eq!(tenant.name, "acme");
        let renamed = tenant_settings(br#"{"name": "Acme"}"#, tenant).unwrap();
        assert_eq!(renamed.name, "Acme");
        assert_eq!(new_tenant(br#"{"id": "Acme"}"#).unwrap_err().status, 400);
        let (url, secret) = webhook_settings(br#"{"url": "https://example.com/h"}"#).unwrap();
        assert_eq!((url.as_str(), secret), ("https://example.com/h", None));
        assert!(is_name("acme") && !is_name("Acme"));
    }
}
