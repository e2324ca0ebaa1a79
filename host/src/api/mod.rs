//! The HTTP API (`/v1`), on axum: tenants and tokens, plugins per tenant, events in,
//! tickets and their audit trail out.
//!
//! Every route under `/v1/tenants/{tenant}` checks the caller's token against that
//! tenant and the scope the route needs. A token of another tenant gets the same
//! `404` as a tenant that does not exist, so tokens cannot be used to discover other
//! tenants. Request bodies are read as bytes and parsed here, so that every bad input
//! (malformed JSON, unknown fields, oversized bodies) gets a problem answer that
//! says what to fix; nothing is stored before the whole request is valid.
//!
//! Handlers translate between HTTP and the store and pipeline; they hold no business
//! rules of their own.

mod problem;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::Event;
use crate::pipeline::Pipeline;
use crate::reference_plugins;
use crate::store::{
    Enqueued, InstalledPlugin, PluginSource, Scope, Store, Tenant, TicketFilter, Webhook,
};
use crate::tenancy::{self, Caller};

pub use problem::Problem;

/// Largest JSON body accepted (events, settings).
pub const MAX_JSON_BODY: usize = 1 << 20;
/// Largest component upload.
pub const MAX_COMPONENT_BODY: usize = 64 << 20;
/// Most events in one batch.
pub const MAX_BATCH: usize = 1_000;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub pipeline: Pipeline,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Turns true when the service stops: open streams end, so that the graceful
    /// shutdown does not wait for their clients.
    pub closing: tokio::sync::watch::Receiver<bool>,
}

/// The service's routes.
pub fn router(state: AppState) -> Router {
    let json_routes = Router::new()
        .route("/v1/tenants", post(create_tenant).get(list_tenants))
        .route(
            "/v1/tenants/{tenant}/tokens",
            post(create_token).get(list_tokens),
        )
        .route(
            "/v1/tenants/{tenant}/tokens/{id}",
            axum::routing::delete(delete_token),
        )
        .route("/v1/tenants/{tenant}/plugins", get(list_plugins))
        .route(
            "/v1/tenants/{tenant}/plugins/{name}",
            put(put_plugin).get(get_plugin).delete(delete_plugin),
        )
        .route("/v1/tenants/{tenant}/events", post(post_events))
        .route("/v1/tenants/{tenant}/tickets", get(list_tickets))
        .route("/v1/tenants/{tenant}/actions/stream", get(stream_actions))
        .route("/v1/tenants/{tenant}/tickets/{id}", get(get_ticket))
        .route("/v1/tenants/{tenant}/tickets/{id}/audit", get(get_audit))
        .route("/v1/tenants/{tenant}/webhooks", get(list_webhooks))
        .route(
            "/v1/tenants/{tenant}/webhooks/{name}",
            put(put_webhook).delete(delete_webhook),
        )
        .route("/v1/tenants/{tenant}/dead-letters", get(list_dead_letters))
        .route(
            "/v1/tenants/{tenant}/dead-letters/{id}/replay",
            post(replay_dead_letter),
        )
        .route("/v1/reference-plugins", get(list_reference_plugins))
        .route("/v1/health", get(health))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    let upload_routes = Router::new()
        .route(
            "/v1/tenants/{tenant}/plugins/{name}/component",
            put(upload_component),
        )
        .layer(DefaultBodyLimit::max(MAX_COMPONENT_BODY));
    json_routes
        .merge(upload_routes)
        .fallback(|| async {
            Problem::not_found(
                "no such route; the API is described in the README (paths start with /v1)",
            )
        })
        .with_state(state)
}

type ApiResult<T> = Result<T, Problem>;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn caller(state: &AppState, headers: &HeaderMap) -> ApiResult<Caller> {
    let token = bearer(headers).ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send a token as `Authorization: Bearer <token>`",
        )
    })?;
    let store = state.store.clone();
    let token = token.to_string();
    let found = tokio::task::spawn_blocking(move || tenancy::authenticate(store.as_ref(), &token))
        .await
        .map_err(Problem::internal)??;
    found.ok_or_else(|| {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "the token is not valid (revoked, mistyped, or not a guichet token)",
        )
    })
}

async fn operator(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    match caller(state, headers).await? {
        Caller::Operator => Ok(()),
        Caller::Tenant { .. } => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only the operator token may manage tenants",
        )),
    }
}

/// Checks that the caller holds a token of `tenant` with `needed` scope (an admin
/// token may do what an integration token may).
async fn tenant_access(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &str,
    needed: Scope,
) -> ApiResult<()> {
    let not_found = || Problem::not_found(format!("no tenant `{tenant}`"));
    match caller(state, headers).await? {
        Caller::Tenant { tenant: own, scope } if own == tenant => {
            if needed == Scope::Admin && scope != Scope::Admin {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "this needs an admin token; integration tokens send events and read tickets",
                ));
            }
            if state.store.tenant(tenant)?.is_none() {
                return Err(not_found());
            }
            Ok(())
        }
        // Another tenant's token, or the operator's: the same answer as for a tenant
        // that does not exist.
        _ => Err(not_found()),
    }
}

fn parse_json<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    what: &str,
) -> ApiResult<T> {
    let body = body.map_err(body_problem)?;
    serde_json::from_slice(&body).map_err(|e| {
        Problem::bad_request(
            "invalid-json",
            format!("the body is not a valid {what}: {e}"),
        )
    })
}

fn body_problem(rejection: BytesRejection) -> Problem {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            status,
            "body-too-large",
            format!(
                "the body is too large: JSON bodies may be at most {MAX_JSON_BODY} bytes, \
                 components {MAX_COMPONENT_BODY} bytes; send events in smaller batches"
            ),
        )
    } else {
        Problem::new(status, "unreadable-body", rejection.body_text())
    }
}

/// Ids chosen by callers end up in storage keys and URLs: keep them printable.
fn check_slug(kind: &str, value: &str) -> ApiResult<()> {
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && value.starts_with(|c: char| c.is_ascii_lowercase());
    if ok {
        Ok(())
    } else {
        Err(Problem::bad_request(
            "invalid-name",
            format!(
                "`{value}` is not a valid {kind}: use 1–64 lower-case letters, digits and \
                 dashes, starting with a letter"
            ),
        ))
    }
}

fn check_external_id(kind: &str, value: &str) -> ApiResult<()> {
    if value.is_empty() || value.len() > 256 || value.chars().any(char::is_control) {
        return Err(Problem::bad_request(
            "invalid-id",
            format!("the {kind} `{value}` must be 1–256 characters without control characters"),
        ));
    }
    Ok(())
}

async fn health() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

/// Prometheus scrape endpoint. Unauthenticated, like a health check: it carries no
/// tenant data (see the `metrics` module).
async fn metrics(State(state): State<AppState>) -> ApiResult<Response> {
    let store = state.store.clone();
    let backlog = tokio::task::spawn_blocking(move || store.outbox().map(|o| o.len()))
        .await
        .map_err(Problem::internal)??;
    let text = state.metrics.render(state.pipeline.in_flight(), backlog);
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

// ---- tenants and tokens ----------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTenant {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

async fn create_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    operator(&state, &headers).await?;
    let new: NewTenant = parse_json(body, "tenant (`{\"id\": \"acme\", \"name\": \"Acme\"}`)")?;
    check_slug("tenant id", &new.id)?;
    let tenant = Tenant {
        name: new.name.unwrap_or_else(|| new.id.clone()),
        id: new.id,
        created_at: Utc::now(),
    };
    if !state.store.create_tenant(&tenant)? {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "tenant-exists",
            format!("a tenant `{}` already exists", tenant.id),
        ));
    }
    let admin = tenancy::issue(&tenant.id, Scope::Admin);
    state.store.put_token(&admin.record)?;
    state.store.flush()?;
    tracing::info!(tenant = %tenant.id, "tenant created");
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "tenant": tenant,
            "admin_token": admin.token,
            "note": "the token is shown once; keep it"
        })),
    )
        .into_response())
}

async fn list_tenants(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    operator(&state, &headers).await?;
    Ok(axum::Json(state.store.tenants()?).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    scope: Scope,
}

#[derive(Serialize)]
struct TokenView {
    id: String,
    scope: Scope,
    created_at: chrono::DateTime<Utc>,
}

async fn create_token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    let new: NewToken = parse_json(body, "token request (`{\"scope\": \"integration\"}`)")?;
    let issued = tenancy::issue(&tenant, new.scope);
    state.store.put_token(&issued.record)?;
    state.store.flush()?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": issued.record.id,
            "scope": issued.record.scope,
            "token": issued.token,
            "note": "the token is shown once; keep it"
        })),
    )
        .into_response())
}

async fn list_tokens(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    let tokens: Vec<TokenView> = state
        .store
        .tokens(&tenant)?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            scope: t.scope,
            created_at: t.created_at,
        })
        .collect();
    Ok(axum::Json(tokens).into_response())
}

async fn delete_token(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    if !state.store.delete_token(&tenant, &id)? {
        return Err(Problem::not_found(format!("no token `{id}`")));
    }
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- plugins ---------------------------------------------------------------------

async fn list_reference_plugins(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller(&state, &headers).await?;
    let list: Vec<_> = reference_plugins::ALL
        .iter()
        .map(|p| json!({"name": p.name, "summary": p.summary, "size": p.component.len()}))
        .collect();
    Ok(axum::Json(list).into_response())
}

/// Settings of a plugin; absent fields keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginSettings {
    /// Install this reference plugin under the name (or switch to it).
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    config: Option<serde_json::Value>,
    #[serde(default)]
    order: Option<i64>,
    #[serde(default)]
    subscriptions: Option<Vec<String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

const EVENT_KINDS: [&str; 8] = [
    "ticket_created",
    "message_added",
    "status_changed",
    "assignment_changed",
    "tags_changed",
    "timer_fired",
    "scheduled_tick",
    "missed_call",
];

async fn put_plugin(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    check_slug("plugin name", &name)?;
    let settings: PluginSettings = parse_json(
        body,
        "plugin settings (`{\"reference\": \"triage\", \"config\": {…}, \"order\": 10, \
         \"subscriptions\": [\"ticket_created\"], \"enabled\": true}`)",
    )?;
    if let Some(kinds) = &settings.subscriptions
        && let Some(bad) = kinds.iter().find(|k| !EVENT_KINDS.contains(&k.as_str()))
    {
        return Err(Problem::bad_request(
            "invalid-subscription",
            format!(
                "`{bad}` is not an event kind; use: {}",
                EVENT_KINDS.join(", ")
            ),
        ));
    }
    let existing = state.store.plugin(&tenant, &name)?;
    let mut plugin = match (existing, &settings.reference) {
        (existing, Some(reference)) => {
            let found = reference_plugins::find(reference).ok_or_else(|| {
                Problem::bad_request(
                    "unknown-reference-plugin",
                    format!(
                        "no reference plugin `{reference}`; available: {}",
                        reference_plugins::ALL
                            .iter()
                            .map(|p| p.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let version = crate::runtime::sha256_hex(found.component);
            let mut plugin = existing.unwrap_or_else(|| new_plugin(&name));
            plugin.source = PluginSource::Reference {
                name: reference.clone(),
            };
            plugin.version = version;
            plugin
        }
        (Some(existing), None) => existing,
        (None, None) => {
            return Err(Problem::not_found(format!(
                "no plugin `{name}`: give `reference` to install a reference plugin, or upload \
                 a component to /v1/tenants/{tenant}/plugins/{name}/component"
            )));
        }
    };
    if let Some(config) = settings.config {
        plugin.config = config.to_string();
    }
    if let Some(order) = settings.order {
        plugin.order = order;
    }
    if let Some(subscriptions) = settings.subscriptions {
        plugin.subscriptions = subscriptions;
    }
    if let Some(enabled) = settings.enabled {
        plugin.enabled = enabled;
    }
    plugin.updated_at = Utc::now();
    // Compile now, so that a broken plugin is refused here rather than at its first event.
    let pipeline = state.pipeline.clone();
    let check = plugin.clone();
    tokio::task::spawn_blocking(move || pipeline.plugins().get(&check).map(drop))
        .await
        .map_err(Problem::internal)?
        .map_err(|e| {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-plugin",
                e.to_string(),
            )
        })?;
    state.store.put_plugin(&tenant, &plugin)?;
    state.store.flush()?;
    tracing::info!(%tenant, plugin = %name, enabled = plugin.enabled, "plugin settings changed");
    Ok(axum::Json(plugin).into_response())
}

fn new_plugin(name: &str) -> InstalledPlugin {
    InstalledPlugin {
        name: name.to_string(),
        source: PluginSource::Reference {
            name: String::new(),
        },
        version: String::new(),
        config: "{}".to_string(),
        order: 0,
        subscriptions: Vec::new(),
        enabled: false,
        updated_at: Utc::now(),
    }
}

async fn upload_component(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    check_slug("plugin name", &name)?;
    let bytes = body.map_err(body_problem)?;
    let pipeline = state.pipeline.clone();
    let compiled =
        tokio::task::spawn_blocking(move || pipeline.plugins().load(&bytes).map(|c| (c, bytes)))
            .await
            .map_err(Problem::internal)?;
    let (component, bytes) = compiled.map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-component",
            format!("the upload is not a valid guichet plugin: {e}"),
        )
    })?;
    let info = component.info().clone();
    state.store.put_component(&info.sha256, &bytes)?;
    let mut plugin = state
        .store
        .plugin(&tenant, &name)?
        .unwrap_or_else(|| new_plugin(&name));
    plugin.source = PluginSource::Uploaded {
        sha256: info.sha256.clone(),
    };
    plugin.version = info.sha256.clone();
    plugin.updated_at = Utc::now();
    state.store.put_plugin(&tenant, &plugin)?;
    state.store.flush()?;
    tracing::info!(%tenant, plugin = %name, version = %info.sha256, "component uploaded");
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"plugin": plugin, "world": info.world, "size": info.size})),
    )
        .into_response())
}

async fn list_plugins(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    Ok(axum::Json(state.store.plugins(&tenant)?).into_response())
}

async fn get_plugin(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    let plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| Problem::not_found(format!("no plugin `{name}`")))?;
    Ok(axum::Json(plugin).into_response())
}

async fn delete_plugin(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    if !state.store.delete_plugin(&tenant, &name)? {
        return Err(Problem::not_found(format!("no plugin `{name}`")));
    }
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- events ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(untagged)]
enum EventsBody {
    One(Box<Event>),
    Many(Vec<Event>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Wait for the decisions and return them.
    #[serde(default)]
    wait: bool,
    /// How long to wait, in milliseconds (default 10,000).
    #[serde(default)]
    timeout_ms: Option<u64>,
}

async fn post_events(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    let body = body.map_err(body_problem)?;
    // Parse the events one by one for a message that names the bad one.
    let parsed: EventsBody = match serde_json::from_slice::<serde_json::Value>(&body) {
        Err(e) => {
            return Err(Problem::bad_request(
                "invalid-json",
                format!("the body is not JSON: {e}"),
            ));
        }
        Ok(serde_json::Value::Array(items)) => {
            let mut events = Vec::with_capacity(items.len());
            for (n, item) in items.into_iter().enumerate() {
                events.push(serde_json::from_value(item).map_err(|e| {
                    Problem::bad_request("invalid-event", format!("event {n} of the batch: {e}"))
                })?);
            }
            EventsBody::Many(events)
        }
        Ok(value) => EventsBody::One(Box::new(serde_json::from_value(value).map_err(|e| {
            Problem::bad_request("invalid-event", format!("the event is not valid: {e}"))
        })?)),
    };
    let (events, batch) = match parsed {
        EventsBody::One(event) => (vec![*event], false),
        EventsBody::Many(events) => (events, true),
    };
    if events.is_empty() || events.len() > MAX_BATCH {
        return Err(Problem::bad_request(
            "invalid-batch",
            format!("send 1 to {MAX_BATCH} events"),
        ));
    }
    for (n, event) in events.iter().enumerate() {
        let Some(ticket) = &event.ticket else {
            return Err(Problem::bad_request(
                "invalid-event",
                format!("event {n} (`{}`) carries no `ticket`", event.id),
            ));
        };
        check_external_id("event id", &event.id)?;
        check_external_id("ticket id", &ticket.id)?;
    }
    let idempotency_key = headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 256)
                .map(str::to_string)
                .ok_or_else(|| {
                    Problem::bad_request(
                        "invalid-idempotency-key",
                        "the Idempotency-Key header must be 1–256 visible ASCII characters",
                    )
                })
        })
        .transpose()?;

    // Persist before acknowledging: every event is stored and flushed to disk
    // before the answer, and only then handed to the pipeline.
    let store = state.store.clone();
    let tenant_id = tenant.clone();
    let enqueued = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        let mut results = Vec::with_capacity(events.len());
        for (n, event) in events.iter().enumerate() {
            let key = idempotency_key
                .as_ref()
                .map(|k| if batch { format!("{k}#{n}") } else { k.clone() });
            results.push(store.enqueue_event(&tenant_id, event, key.as_deref(), now)?);
        }
        store.flush()?;
        Ok::<_, crate::store::StoreError>(results)
    })
    .await
    .map_err(Problem::internal)??;

    let mut accepted = Vec::new();
    let mut waiting = Vec::new();
    for result in enqueued {
        match result {
            Enqueued::New(stored) => {
                accepted.push(
                    json!({"event_id": stored.event.id, "seq": stored.seq, "duplicate": false}),
                );
                if let Some(rx) = state.pipeline.submit(*stored, query.wait) {
                    waiting.push(rx);
                }
            }
            Enqueued::Duplicate { seq } => {
                accepted.push(json!({"seq": seq, "duplicate": true}));
            }
        }
    }
    if !query.wait {
        return Ok((
            StatusCode::ACCEPTED,
            axum::Json(json!({"accepted": accepted})),
        )
            .into_response());
    }
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(10_000).min(60_000));
    let mut outcomes = Vec::new();
    let deadline = tokio::time::Instant::now() + timeout;
    for rx in waiting {
        match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(outcome)) => outcomes.push(outcome),
            _ => {
                return Ok((
                    StatusCode::ACCEPTED,
                    axum::Json(json!({
                        "accepted": accepted,
                        "note": "accepted, but the decisions were not ready in time; read the tickets' audit trail"
                    })),
                )
                    .into_response());
            }
        }
    }
    Ok((
        StatusCode::OK,
        axum::Json(json!({"accepted": accepted, "outcomes": outcomes})),
    )
        .into_response())
}

// ---- tickets ---------------------------------------------------------------------

async fn list_tickets(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    query: Result<Query<TicketFilter>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    let Query(filter) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!(
                "{}; filters: status, group, assignee, requester, limit",
                e.body_text()
            ),
        )
    })?;
    Ok(axum::Json(state.store.tickets(&tenant, &filter)?).into_response())
}

async fn get_ticket(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    let ticket = state
        .store
        .ticket(&tenant, &id)?
        .ok_or_else(|| Problem::not_found(format!("no ticket `{id}`")))?;
    Ok(axum::Json(ticket).into_response())
}

async fn get_audit(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    if state.store.ticket(&tenant, &id)?.is_none() {
        return Err(Problem::not_found(format!("no ticket `{id}`")));
    }
    let records = state.store.audit(&tenant, &id)?;
    Ok(axum::Json(records).into_response())
}

// ---- webhooks ----------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSettings {
    url: String,
    /// The signing key; generated when absent.
    #[serde(default)]
    secret: Option<String>,
}

async fn put_webhook(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    check_slug("webhook name", &name)?;
    let settings: WebhookSettings = parse_json(
        body,
        "webhook (`{\"url\": \"http://…\", \"secret\": \"…\"}`)",
    )?;
    let parsed: Result<axum::http::Uri, _> = settings.url.parse();
    match parsed {
        Ok(uri) if uri.scheme_str() == Some("http") && uri.host().is_some() => {}
        Ok(uri) if uri.scheme_str() == Some("https") => {
            return Err(Problem::bad_request(
                "invalid-webhook-url",
                "https endpoints are not supported yet: deliveries are plain HTTP, so reach \
                 an https receiver through a TLS-terminating proxy on your side",
            ));
        }
        _ => {
            return Err(Problem::bad_request(
                "invalid-webhook-url",
                format!("`{}` is not an http:// URL", settings.url),
            ));
        }
    }
    if settings.secret.as_ref().is_some_and(|s| s.len() < 16) {
        return Err(Problem::bad_request(
            "weak-webhook-secret",
            "a webhook secret must be at least 16 characters; leave it out to get a random one",
        ));
    }
    let webhook = Webhook {
        name,
        url: settings.url,
        secret: settings.secret.unwrap_or_else(tenancy::random_secret),
        created_at: Utc::now(),
    };
    state.store.put_webhook(&tenant, &webhook)?;
    state.store.flush()?;
    Ok(axum::Json(json!({
        "name": webhook.name,
        "url": webhook.url,
        "secret": webhook.secret,
        "note": "deliveries carry X-Guichet-Signature: sha256=HMAC(secret, \"<X-Guichet-Timestamp>.<body>\")"
    }))
    .into_response())
}

async fn list_webhooks(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    let list: Vec<_> = state
        .store
        .webhooks(&tenant)?
        .into_iter()
        .map(|w| json!({"name": w.name, "url": w.url, "created_at": w.created_at}))
        .collect();
    Ok(axum::Json(list).into_response())
}

async fn delete_webhook(
    State(state): State<AppState>,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    if !state.store.delete_webhook(&tenant, &name)? {
        return Err(Problem::not_found(format!("no webhook `{name}`")));
    }
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_dead_letters(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    Ok(axum::Json(state.store.dead_letters(&tenant)?).into_response())
}

async fn replay_dead_letter(
    State(state): State<AppState>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    tenant_access(&state, &headers, &tenant, Scope::Admin).await?;
    let item = state
        .store
        .replay_dead_letter(&tenant, &id, Utc::now())?
        .ok_or_else(|| Problem::not_found(format!("no dead letter `{id}`")))?;
    state.store.flush()?;
    Ok((StatusCode::ACCEPTED, axum::Json(item)).into_response())
}

// ---- the stream of applied actions ---------------------------------------------------

/// Server-sent events: one `actions` event per processed event whose plugins returned
/// actions, with the body the webhooks get; `id` is the event's sequence number. A
/// listener that falls more than 1,024 events behind gets a `lagged` event and goes
/// on from the newest.
async fn stream_actions(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;

    tenant_access(&state, &headers, &tenant, Scope::Integration).await?;
    let receiver = state.pipeline.subscribe();
    let closing = state.closing.clone();
    let stream = futures_util::stream::unfold(
        (receiver, closing, tenant),
        |(mut receiver, mut closing, tenant)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let next = tokio::select! {
                    next = receiver.recv() => next,
                    _ = closing.changed() => return None,
                };
                let event = match next {
                    Ok(notice) if notice.0 == tenant => {
                        let seq = serde_json::from_str::<Value>(&notice.1)
                            .ok()
                            .and_then(|v| v["event_seq"].as_u64())
                            .unwrap_or(0);
                        SseEvent::default()
                            .event("actions")
                            .id(seq.to_string())
                            .data(notice.1.clone())
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => SseEvent::default()
                        .event("lagged")
                        .data(format!("{{\"missed\": {missed}}}")),
                    Err(RecvError::Closed) => return None,
                };
                return Some((
                    Ok::<_, std::convert::Infallible>(event),
                    (receiver, closing, tenant),
                ));
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}
