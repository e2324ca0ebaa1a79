//! The HTTP API (`/v1`), on axum: tenants and tokens, plugins per tenant, events in,
//! tickets and their audit trail out, webhooks and the stream of applied actions.
//!
//! Every route under `/v1/tenants/{tenant}` checks the caller's token against that
//! tenant and the scope the route needs. A token of another tenant gets the same
//! `404` as a tenant that does not exist, so tokens cannot be used to discover other
//! tenants. Request bodies are read as bytes and parsed here, so that every bad input
//! (malformed JSON, unknown fields, oversized bodies) gets a problem answer that
//! says what to fix; nothing is stored before the whole request is valid.
//!
//! Routes are registered through `utoipa-axum`: the path and method in each handler's
//! `#[utoipa::path]` attribute are the ones axum routes, so the OpenAPI description
//! served at `/v1/openapi.json` is generated from the code it describes.
//!
//! Handlers translate between HTTP and the store and pipeline; they hold no business
//! rules of their own.

mod events;
mod openapi;
mod plugins;
mod problem;
mod stream;
mod tenants;
mod tickets;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::pipeline::Pipeline;
use crate::store::{Scope, Store};
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
    /// The time for records the API writes (creation dates, replays).
    pub clock: Arc<dyn crate::clock::Clock>,
    /// Turns true when the service stops: open streams end, so that the graceful
    /// shutdown does not wait for their clients.
    pub closing: tokio::sync::watch::Receiver<bool>,
}

/// The routes and the OpenAPI description generated from them, before any state.
fn routes() -> OpenApiRouter<AppState> {
    let json_routes = OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(health))
        .routes(routes!(openapi::serve))
        .routes(routes!(metrics))
        .routes(routes!(tenants::create_tenant, tenants::list_tenants))
        .routes(routes!(tenants::create_token, tenants::list_tokens))
        .routes(routes!(tenants::delete_token))
        .routes(routes!(tenants::put_settings))
        .routes(routes!(plugins::list_reference_plugins))
        .routes(routes!(plugins::list_plugins))
        .routes(routes!(plugins::get_ticks))
        .routes(routes!(
            plugins::put_plugin,
            plugins::get_plugin,
            plugins::delete_plugin
        ))
        .routes(routes!(events::post_events))
        .routes(routes!(tickets::list_tickets))
        .routes(routes!(tickets::get_ticket))
        .routes(routes!(tickets::get_audit))
        .routes(routes!(tickets::get_timers))
        .routes(routes!(stream::stream_actions))
        .routes(routes!(webhooks::list_webhooks))
        .routes(routes!(webhooks::put_webhook, webhooks::delete_webhook))
        .routes(routes!(webhooks::list_dead_letters))
        .routes(routes!(webhooks::replay_dead_letter))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY));
    let upload_routes = OpenApiRouter::new()
        .routes(routes!(plugins::upload_component))
        .layer(DefaultBodyLimit::max(MAX_COMPONENT_BODY));
    json_routes.merge(upload_routes)
}

/// The service's routes, with a span per request and the OpenAPI description at
/// `/v1/openapi.json`.
pub fn router(state: AppState) -> Router {
    let (router, _) = routes().split_for_parts();
    router
        .fallback(|| async {
            Problem::not_found(format!(
                "no such route; the API is described at {} (paths start with /v1)",
                openapi::PATH
            ))
        })
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::DEBUG))
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .with_state(state)
}

/// The description of every route, as served at `/v1/openapi.json`.
pub fn description() -> utoipa::openapi::OpenApi {
    openapi::finish(routes().into_openapi())
}

/// One span per request, named by its route template rather than its path, so that
/// `/v1/tenants/acme/tickets/t-1` and `…/t-2` group together; the tenant and ids are in
/// the path for whoever needs them.
fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("(no route)");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        path = %request.uri().path(),
    )
}

type ApiResult<T> = Result<T, Problem>;

/// A JSON answer with a status: what most handlers return.
fn answer<T: Serialize>(status: StatusCode, body: T) -> ApiResult<Response> {
    Ok((status, axum::Json(body)).into_response())
}

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

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok` while the service answers.
    status: &'static str,
}

/// Liveness: answers while the service runs. Needs no token.
#[utoipa::path(
    get,
    path = "/v1/health",
    tag = "service",
    responses((status = 200, description = "The service is up", body = Health))
)]
async fn health() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Prometheus scrape endpoint (OpenMetrics text): events processed, plugin calls by
/// outcome and duration, events in flight, webhook deliveries, outbox backlog.
/// Unauthenticated, like a health check: it carries no tenant data.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "service",
    responses((
        status = 200,
        description = "The service's metrics",
        body = String,
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    ))
)]
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
