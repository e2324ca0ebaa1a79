//! Webhooks in from the channels and helpdesks a tenant uses, as they send them, to
//! the tenant's channel adapter: `POST` (deliveries) and `GET` (verification
//! handshakes such as Meta's `hub.challenge`) on `/v1/inbound/{address}`.
//!
//! Platforms cannot send guichet's bearer tokens: the address itself, 256 random
//! bits given to each adapter when it is installed, says which tenant and adapter a
//! request is for, and the adapter checks the platform's own signature with the
//! secret in its configuration. What it refuses is answered `401` (not authentic) or
//! `400` (unreadable): nothing of it is stored but the refusal itself, kept with the
//! adapter's reason for the tenant's admin (`GET
//! /v1/tenants/{tenant}/plugins/{name}/inbound`) and never told to the caller.
//! What it reads becomes events (see `pipeline::intake`), stored and flushed before
//! the answer, in the same ordered pipeline as the JSON events; a delivery id seen
//! before makes the request a no-op.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::openapi::Name;
use super::{ApiResult, AppState, Problem, TenantAdmin, answer, body_problem};
use crate::model::{Body, Header, HttpAnswer, IncomingRequest};
use crate::pipeline::EventOutcome;
use crate::runtime::{CallError, CallReport};
use crate::store::{InboundEnqueued, InboundRefusal};

/// How long `?wait=true` waits for the plugins' decisions.
const WAIT: Duration = Duration::from_secs(10);

/// What guichet answers a platform whose adapter gave no answer of its own.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct InboundAnswer {
    /// The delivery id the adapter found, if the platform sends one.
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_id: Option<String>,
    /// The delivery id was seen before: nothing was stored or processed again.
    duplicate: bool,
    /// The events stored, in order.
    events: Vec<InboundEvent>,
    /// Items already received under their own ids (a message, call or change
    /// delivered twice), stored once.
    duplicates: usize,
    /// Items left out, and why (an update of a ticket guichet has not seen).
    ignored: Vec<String>,
    /// With `?wait=true`: what the plugins decided, one entry per event that was
    /// decided within 10 s (without the ticket).
    #[serde(skip_serializing_if = "Option::is_none")]
    outcomes: Option<Vec<EventOutcome>>,
    /// Said when some decisions were not ready in time.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    note: Option<&'static str>,
}

/// One event stored from a delivery.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct InboundEvent {
    event_id: String,
    seq: u64,
    /// The event's kind (`ticket_created`, `message_added`, `missed_call`,
    /// `external_update`).
    kind: &'static str,
    ticket_id: String,
}

/// A platform's webhook delivery, posted as the platform sends it: its adapter checks
/// the signature and reads it. `?wait=true` waits (up to 10 s) for the plugins'
/// decisions and answers them, for a platform that reads the answer.
#[utoipa::path(
    post,
    path = "/v1/inbound/{address}",
    tag = "inbound",
    params(("address" = String, Path, description = "The adapter's inbound address (its plugin's `inbound_path`)")),
    request_body(content = String, description = "The platform's webhook body, as it sends it (JSON, a form, anything its adapter reads)", content_type = "*/*"),
    responses(
        (status = 200, description = "Stored (or a duplicate); or the adapter's own answer", body = InboundAnswer),
        (status = 400, description = "The adapter could not read the body; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "The adapter refused the request (a missing or wrong signature); nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No adapter has this address, or it is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The tenant's backlog is full (`backlog-full`): nothing stored; the platform retries (after `Retry-After` seconds)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn post_inbound(
    State(state): State<AppState>,
    Path(address): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(body_problem)?;
    receive(state, address, Method::POST, uri, headers, body).await
}

/// A platform's verification handshake (e.g. Meta's `hub.mode=subscribe` with
/// `hub.challenge`), answered by the adapter.
#[utoipa::path(
    get,
    path = "/v1/inbound/{address}",
    tag = "inbound",
    params(("address" = String, Path, description = "The adapter's inbound address")),
    responses(
        (status = 200, description = "The adapter's answer (e.g. the challenge, as text)", content_type = "text/plain", body = String),
        (status = 401, description = "The adapter refused the request; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No adapter has this address, or it is disabled", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn get_inbound(
    State(state): State<AppState>,
    Path(address): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    receive(state, address, Method::GET, uri, headers, Bytes::new()).await
}

async fn receive(
    state: AppState,
    address: String,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let unknown = || Problem::not_found("no adapter has this inbound address");
    let (tenant, name) = state.store.inbound_target(&address)?.ok_or_else(unknown)?;
    let installed = state
        .store
        .plugin(&tenant, &name)?
        .filter(|p| p.enabled && p.inbound_address.as_deref() == Some(address.as_str()))
        .ok_or_else(unknown)?;
    // A platform whose deliveries the tenant cannot keep up with is told to retry.
    state
        .pipeline
        .admit(&tenant, 1)
        .map_err(super::backlogged)?;
    let wait = wants_wait(&uri);
    let request = incoming_request(&method, &uri, &headers, &body);
    // The rest runs on its own task: a platform that hangs up (its timeout) must not
    // leave events stored but never handed to the pipeline, nor free the adapter's
    // lock while its delivery is still being stored.
    let task = tokio::spawn(store_delivery(
        state.clone(),
        tenant.clone(),
        name.clone(),
        installed,
        request,
        wait,
    ));
    let delivered = task.await.map_err(Problem::internal)??;
    let (accepted, waiting) = match delivered {
        Delivered::Answer(adapter_answer) => return Ok(answer_as_adapter_said(adapter_answer)),
        Delivered::Stored(accepted, waiting) => (accepted, waiting),
    };
    let mut accepted = *accepted;
    if wait {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut outcomes = Vec::new();
        for rx in waiting {
            match tokio::time::timeout_at(deadline, rx).await {
                // The decisions, not the ticket: the caller holds only the address.
                Ok(Ok(mut outcome)) => {
                    outcome.ticket = None;
                    outcomes.push(outcome);
                }
                _ => {
                    accepted.note = Some(
                        "stored, but not every decision was ready in time; the tickets' audit \
                         trail has them",
                    );
                }
            }
        }
        accepted.outcomes = Some(outcomes);
    }
    answer(StatusCode::OK, accepted)
}

/// Whether the request asks to wait for the decisions (`?wait=true`).
pub(super) fn wants_wait(uri: &Uri) -> bool {
    uri.query()
        .is_some_and(|q| form_pairs(q).any(|(k, v)| k == "wait" && v == "true"))
}

/// The request as its adapter gets it: the method, the path `/` with the query as
/// it came, every header (its value read as UTF-8, lossily) and the body's bytes.
pub(super) fn incoming_request(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> IncomingRequest {
    IncomingRequest {
        method: method.to_string(),
        path: match uri.query() {
            Some(query) => format!("/?{query}"),
            None => "/".to_string(),
        },
        headers: headers
            .iter()
            .map(|(name, value)| Header {
                name: name.as_str().to_string(),
                value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
            })
            .collect(),
        body: Body::from_bytes(body.to_vec()),
    }
}

/// What became of a delivery: the adapter's own answer, or what was stored and the
/// receivers of the decisions waited for.
enum Delivered {
    Answer(HttpAnswer),
    Stored(
        Box<InboundAnswer>,
        Vec<tokio::sync::oneshot::Receiver<EventOutcome>>,
    ),
}

/// Reads `request` with the adapter, then, one delivery of the adapter at a time
/// (two messages of a new conversation must not open two tickets), stores what it
/// read and hands the events to the pipeline. The adapter reads outside the lock, so
/// requests that fail its signature check never hold up the platform's real ones.
async fn store_delivery(
    state: AppState,
    tenant: String,
    name: String,
    installed: crate::store::InstalledPlugin,
    request: IncomingRequest,
    wait: bool,
) -> ApiResult<Delivered> {
    let now = state.clock.now();
    let mut report = read(&state, &tenant, &name, &installed, &request, now).await?;
    if let Err(error) = report.result {
        // Refused without waiting for the platform's real deliveries.
        return Err(refuse(&state, &tenant, &name, error, &request));
    }

    let _one_delivery = state.intake.lock(&tenant, &name).await;
    // Removed, disabled or given a new address while this request was read: it is no
    // longer for this adapter (nothing of it may outlive the removal).
    let current = state.store.plugin(&tenant, &name)?;
    if !current.is_some_and(|p| p.enabled && p.inbound_address == installed.inbound_address) {
        return Err(Problem::not_found("no adapter has this inbound address"));
    }
    if !report.storage_writes.is_empty() {
        // What the adapter wrote follows from what it read of its storage, which
        // another delivery may have changed since: read again, under the lock.
        report = read(&state, &tenant, &name, &installed, &request, now).await?;
    }
    let batch = match report.result {
        Ok(batch) => batch,
        Err(error) => return Err(refuse(&state, &tenant, &name, error, &request)),
    };
    let adapter_answer = batch.answer.clone();
    let writes: Vec<_> = report
        .storage_writes
        .into_iter()
        .map(|w| (name.clone(), w.key, w.value))
        .collect();
    let (pipeline, store) = (state.pipeline.clone(), state.store.clone());
    let (t, n) = (tenant.clone(), name.clone());
    let (intake, stored, flushed) = tokio::task::spawn_blocking(move || {
        let mut intake = pipeline.intake(&t, &n, batch)?;
        intake.delivery.storage_writes = writes;
        let stored = store.enqueue_inbound(&t, &intake.delivery, now)?;
        // Committed: whatever the flush says, the events are handed over below.
        let flushed = store.flush();
        Ok::<_, crate::store::StoreError>((intake, stored, flushed))
    })
    .await
    .map_err(Problem::internal)??;
    state.metrics.inbound("accepted");
    let InboundEnqueued::Stored { events, duplicates } = stored else {
        flushed?;
        tracing::info!(%tenant, adapter = %name, "inbound delivery seen before; ignored");
        return Ok(match adapter_answer {
            Some(given) => Delivered::Answer(given),
            None => Delivered::Stored(
                Box::new(InboundAnswer {
                    delivery_id: intake.delivery.delivery_id,
                    duplicate: true,
                    events: Vec::new(),
                    duplicates: 0,
                    ignored: Vec::new(),
                    outcomes: None,
                    note: None,
                }),
                Vec::new(),
            ),
        });
    };
    let mut listed = Vec::new();
    let mut waiting = Vec::new();
    for event in events {
        listed.push(InboundEvent {
            event_id: event.event.id.clone(),
            seq: event.seq,
            kind: event.event.kind.name(),
            ticket_id: event
                .event
                .ticket
                .as_ref()
                .map(|t| t.id.clone())
                .unwrap_or_default(),
        });
        // Handed over while the lock is held: the next delivery's events of the same
        // ticket queue behind these.
        if let Some(rx) = state
            .pipeline
            .submit(event, wait && adapter_answer.is_none())
        {
            waiting.push(rx);
        }
    }
    tracing::info!(%tenant, adapter = %name, events = listed.len(), duplicates = duplicates + intake.duplicates, "inbound delivery stored");
    // Not acknowledged unless on disk: the platform sends it again, a duplicate then.
    flushed?;
    Ok(match adapter_answer {
        Some(given) => Delivered::Answer(given),
        None => Delivered::Stored(
            Box::new(InboundAnswer {
                delivery_id: intake.delivery.delivery_id,
                duplicate: false,
                events: listed,
                duplicates: duplicates + intake.duplicates,
                ignored: intake.ignored,
                outcomes: None,
                note: None,
            }),
            waiting,
        ),
    })
}

/// `request` read by the adapter, or the refusal to answer when the adapter cannot
/// be loaded.
async fn read(
    state: &AppState,
    tenant: &str,
    name: &str,
    installed: &crate::store::InstalledPlugin,
    request: &IncomingRequest,
    now: crate::model::Timestamp,
) -> ApiResult<CallReport<crate::model::InboundBatch>> {
    let pipeline = state.pipeline.clone();
    let (t, plugin, given) = (tenant.to_string(), installed.clone(), request.clone());
    let report =
        tokio::task::spawn_blocking(move || pipeline.read_inbound(&t, &plugin, &given, now))
            .await
            .map_err(Problem::internal)?;
    report.map_err(|e| {
        tracing::warn!(%tenant, adapter = %name, error = %e, "inbound adapter cannot be loaded");
        let error = CallError::Plugin(format!("the adapter cannot be loaded: {e}"));
        refuse(state, tenant, name, error, request)
    })
}

/// The problem a platform is answered when its adapter refused its request, after
/// keeping the adapter's reason for the admin. The caller learns only the status.
fn refuse(
    state: &AppState,
    tenant: &str,
    adapter: &str,
    error: CallError,
    request: &IncomingRequest,
) -> Problem {
    let (status, kind, detail) = match &error {
        CallError::Adapter(crate::model::AdapterError::Rejected(_)) => (
            StatusCode::UNAUTHORIZED,
            "inbound-rejected",
            "the request was refused: its signature or credentials did not verify",
        ),
        CallError::Adapter(crate::model::AdapterError::Malformed(_)) => (
            StatusCode::BAD_REQUEST,
            "inbound-malformed",
            "the request could not be read",
        ),
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "adapter-failed",
            "the adapter failed on this request; nothing was stored",
        ),
    };
    tracing::warn!(%tenant, %adapter, status = status.as_u16(), error = %error, "inbound request refused");
    state.metrics.inbound(kind);
    let refusal = refusal_record(state.clock.now(), status, &error, request);
    if let Err(e) = state
        .store
        .record_inbound_refusal(tenant, adapter, &refusal)
    {
        tracing::error!(error = %e, "could not keep a refused inbound request");
    }
    Problem::new(status, kind, detail)
}

/// What the tenant's admin is shown of a refused request: its method and path
/// without the query (which may carry a platform's token), and the adapter's reason,
/// cut to 4 KiB.
pub(super) fn refusal_record(
    at: crate::model::Timestamp,
    status: StatusCode,
    error: &CallError,
    request: &IncomingRequest,
) -> InboundRefusal {
    InboundRefusal {
        at,
        status: status.as_u16(),
        method: request.method.clone(),
        path: request
            .path
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string(),
        reason: crate::model::truncate_text(error.to_string(), 4096),
    }
}

/// The adapter's answer (a handshake's), as it gave it: a status outside 200–299 is
/// answered 200; its content type is kept if it is text, JSON or XML (a challenge,
/// TwiML), else `application/octet-stream`, and the browser is told not to sniff or
/// run it (`X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox`): a
/// plugin cannot serve a page from guichet's origin.
pub(super) fn answer_as_adapter_said(given: HttpAnswer) -> Response {
    let status = StatusCode::from_u16(given.status)
        .ok()
        .filter(StatusCode::is_success)
        .unwrap_or(StatusCode::OK);
    let content_type = given
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .map(|h| h.value.trim().to_ascii_lowercase())
        .filter(|t| {
            [
                "text/plain",
                "application/json",
                "application/xml",
                "text/xml",
            ]
            .iter()
            .any(|allowed| t == allowed || t.starts_with(&format!("{allowed};")))
        })
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let mut response = (status, given.body.as_bytes().to_vec()).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::try_from(content_type) {
        headers.insert(axum::http::header::CONTENT_TYPE, value);
    }
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    response
}

/// `k=v` pairs of a query string, undecoded (enough for `wait=true`).
fn form_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
}

/// What the tenant's admin sees of an adapter's inbound side.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct InboundView {
    /// Where the platform posts: `/v1/inbound/{address}`, after the service's public
    /// origin.
    inbound_path: String,
    /// The last refused requests (at most 100), oldest first, with the adapter's
    /// reason: what the platform was not told.
    refusals: Vec<InboundRefusal>,
}

/// A channel adapter's inbound address and the requests it refused lately, with why.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/plugins/{name}/inbound",
    tag = "inbound",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The adapter's plugin name"),
    ),
    responses(
        (status = 200, description = "The adapter's inbound path and refused requests", body = InboundView),
        (status = 404, description = "No such plugin, or it is not a channel adapter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn get_inbound_view(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| Problem::not_found(format!("no plugin `{name}`")))?;
    let Some(address) = plugin.inbound_address else {
        return Err(Problem::not_found(format!(
            "plugin `{name}` is not a channel adapter: it has no inbound address"
        )));
    };
    answer(
        StatusCode::OK,
        InboundView {
            inbound_path: format!("/v1/inbound/{address}"),
            refusals: state.store.inbound_refusals(&tenant, &name)?,
        },
    )
}
