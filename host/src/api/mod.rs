//! The HTTP API (`/v1`), on axum: tenants and tokens, plugins per tenant, events in,
//! tickets and their audit trail out, webhooks and the stream of applied actions.
//!
//! Every route under `/v1/tenants/{tenant}` checks the caller's token against that
//! tenant and the scope the route needs. A token of another tenant gets the same
//! `404` as a tenant that does not exist, so tokens cannot be used to discover other
//! tenants; the operator's token gets a `403` that names the tokens to use. Request
//! bodies are read as bytes, checked against the schema the OpenAPI description gives
//! them ([`conform`]) and only then parsed, so that every bad input (malformed JSON,
//! a body of the wrong shape, unknown fields, a value out of its range, an oversized
//! body) gets a problem answer that says what to fix; nothing is stored before the
//! whole request is valid. Every error, including those axum answers by itself (a
//! method a route does not have, a path it cannot read), is a problem
//! ([`problem_everywhere`]).
//!
//! Routes are registered through `utoipa-axum`: the path and method in each handler's
//! `#[utoipa::path]` attribute are the ones axum routes, so the OpenAPI description
//! served at `/v1/openapi.json` is generated from the code it describes.
//!
//! Handlers translate between HTTP and the store and pipeline; they hold no business
//! rules of their own.

mod conform;
mod console;
mod events;
#[doc(hidden)]
pub mod fuzzing;
mod inbound;
mod kpis;
mod lifecycle;
mod macros;
mod openapi;
mod plugins;
mod problem;
mod replays;
mod stream;
mod tenants;
mod tickets;
mod webhooks;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
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
    /// One change at a time per plugin (see [`PluginChanges`]).
    pub plugin_changes: Arc<PluginChanges>,
    /// One inbound delivery at a time per channel adapter (see `inbound`), so that
    /// two messages of a new conversation never open two tickets.
    pub intake: Arc<PluginChanges>,
}

/// One change of a plugin's settings or component at a time, per (tenant, plugin):
/// a change reads the stored plugin, checks it (compiling the component and asking it
/// about its configuration, up to a call's deadline) and writes it back, so two at
/// once would lose one of them. Other plugins and tenants are not held up.
#[derive(Default)]
pub struct PluginChanges {
    locks: std::sync::Mutex<std::collections::HashMap<PluginKey, PluginLock>>,
}

/// (tenant, plugin name).
type PluginKey = (String, String);
/// Held by the change of one plugin under way.
type PluginLock = Arc<tokio::sync::Mutex<()>>;

impl PluginChanges {
    /// Waits for the other changes of `tenant`'s plugin `name` to finish; the change
    /// holds the guard until it is stored. One entry per plugin ever changed.
    pub async fn lock(&self, tenant: &str, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((tenant.to_string(), name.to_string()))
            .or_default()
            .clone();
        lock.lock_owned().await
    }
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
        .routes(routes!(lifecycle::list_versions, lifecycle::create_version))
        .routes(routes!(lifecycle::activate_version))
        .routes(routes!(
            lifecycle::put_shadow,
            lifecycle::get_shadow,
            lifecycle::delete_shadow
        ))
        .routes(routes!(lifecycle::resume_plugin))
        .routes(routes!(replays::post_replay))
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
        .routes(routes!(inbound::post_inbound, inbound::get_inbound))
        .routes(routes!(inbound::get_inbound_view))
        .routes(routes!(macros::list_macros))
        .routes(routes!(macros::apply_macro))
        .routes(routes!(kpis::get_kpis))
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
        // The admin console's files (not in the description: not part of the API).
        .merge(console::routes())
        .fallback(|| async {
            Problem::not_found(format!(
                "no such route; the API is described at {} (paths start with /v1)",
                openapi::PATH
            ))
        })
        .layer(axum::middleware::map_response(problem_everywhere))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::DEBUG))
                .on_failure(DefaultOnFailure::new().level(Level::WARN)),
        )
        .with_state(state)
}

/// Turns the error answers that axum makes by itself into problems: a method the route
/// does not have (405, whose `Allow` header axum adds afterwards), a path parameter
/// that is not UTF-8 (400). The handlers' own errors already are problems.
async fn problem_everywhere(method: Method, response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if status.as_u16() < 400 || is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (kind, detail) = match status {
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            format!(
                "this route does not take `{method}`; the `Allow` header lists the methods it \
                 takes, and {} describes them",
                openapi::PATH
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("body-too-large", text),
        StatusCode::NOT_FOUND => ("not-found", text),
        _ => ("invalid-request", text),
    };
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        detail
    };
    let mut answer = Problem::new(status, kind, detail).into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
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

/// The answer to a request refused because its tenant's backlog is full: `429` with
/// `Retry-After: 1` (the pipeline drains hundreds of events a second).
fn backlogged(full: crate::pipeline::Backlogged) -> Problem {
    let mut problem = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "backlog-full",
        full.to_string(),
    );
    problem.retry_after = Some(1);
    problem
}

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
            "only the operator token may create and list tenants; a tenant's tokens act \
             inside their own tenant",
        )),
    }
}

/// An extractor: the caller may act inside the tenant the route's path names
/// (`{tenant}`) as its admin. Its rejection is [`tenant_access`]'s problem: 401
/// without a valid token, 403 for an integration token or the operator's, 404 for
/// another tenant's token and for a tenant that does not exist.
pub(super) struct TenantAdmin;

/// An extractor: the caller may act inside the path's tenant with an integration
/// token (or the admin one), whose scope it holds; rejected as [`TenantAdmin`] is.
pub(super) struct TenantIntegration(pub(super) Scope);

/// [`tenant_access`] to the tenant the route's path names (`{tenant}`).
async fn path_access(parts: &mut Parts, state: &AppState, needed: Scope) -> ApiResult<Scope> {
    let Path(params) =
        Path::<std::collections::HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| Problem::bad_request("invalid-path", e.body_text()))?;
    let tenant = params
        .get("tenant")
        .ok_or_else(|| Problem::internal("a tenant's route without `{tenant}` in its path"))?;
    tenant_access(state, &parts.headers, tenant, needed).await
}

impl FromRequestParts<AppState> for TenantAdmin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        path_access(parts, state, Scope::Admin)
            .await
            .map(|_| TenantAdmin)
    }
}

impl FromRequestParts<AppState> for TenantIntegration {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        path_access(parts, state, Scope::Integration)
            .await
            .map(TenantIntegration)
    }
}

/// Checks that the caller holds a token of `tenant` with `needed` scope (an admin
/// token may do what an integration token may); answers the token's scope.
async fn tenant_access(
    state: &AppState,
    headers: &HeaderMap,
    tenant: &str,
    needed: Scope,
) -> ApiResult<Scope> {
    let not_found = || Problem::not_found(format!("no tenant `{tenant}`"));
    match caller(state, headers).await? {
        Caller::Tenant { tenant: own, scope } if own == tenant => {
            if needed == Scope::Admin && scope != Scope::Admin {
                return Err(Problem::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "this needs the tenant's admin token; integration tokens send events and \
                     read tickets, plugins and their audit",
                ));
            }
            if state.store.tenant(tenant)?.is_none() {
                return Err(not_found());
            }
            Ok(scope)
        }
        // The operator manages tenants, and may know which exist: for one that does
        // not, say so; for one that does, say what it may do rather than pretend the
        // tenant is missing.
        Caller::Operator if state.store.tenant(tenant)?.is_none() => Err(not_found()),
        Caller::Operator => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "operator-outside-tenants",
            format!(
                "the operator token creates and lists tenants and cannot act inside one: this \
                 route needs {} of tenant `{tenant}` (its first admin token came with its \
                 creation)",
                if needed == Scope::Admin {
                    "an admin token"
                } else {
                    "an integration or admin token"
                },
            ),
        )),
        // Another tenant's token: the same answer as for a tenant that does not exist.
        Caller::Tenant { .. } => Err(not_found()),
    }
}

/// Reads a JSON body of type `T`: JSON first, then the schema the API description
/// gives `T` ([`conform`]), and only then `T` itself, so that nothing outside the
/// described shape gets through serde's leniency (a struct from an array, say).
fn parse_json<T: DeserializeOwned + utoipa::ToSchema>(
    body: Result<Bytes, BytesRejection>,
    what: &str,
) -> ApiResult<T> {
    let body = body.map_err(body_problem)?;
    let invalid = |e: &dyn std::fmt::Display| {
        Problem::bad_request(
            "invalid-json",
            format!("the body is not a valid {what}: {e}"),
        )
    };
    let mut value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| invalid(&e))?;
    conform::whole_numbers_as_integers(&mut value);
    conforms(&value, &openapi::schema_ref(&T::name()), |e| {
        Problem::bad_request("invalid-json", format!("{e}; expected {what}"))
    })?;
    T::deserialize(&value).map_err(|e| invalid(&e))
}

/// Checks `value` against `schema` (a schema of the API description, usually a
/// `$ref` to one of its components); a violation becomes the problem `refused` makes.
fn conforms(
    value: &serde_json::Value,
    schema: &serde_json::Value,
    refused: impl Fn(&conform::Refusal) -> Problem,
) -> ApiResult<()> {
    match conform::check(openapi::json(), schema, value) {
        Ok(()) => Ok(()),
        Err(e @ conform::Refusal::Violation { .. }) => Err(refused(&e)),
        Err(e @ conform::Refusal::Description(_)) => Err(Problem::internal(e)),
    }
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

/// Names chosen by callers end up in storage keys and URLs: keep them to
/// [`openapi::NAME_PATTERN`], as the description says.
fn check_slug(kind: &str, value: &str) -> ApiResult<()> {
    if openapi::is_name(value) {
        Ok(())
    } else {
        Err(Problem::bad_request(
            "invalid-name",
            format!(
                "`{value}` is not a valid {kind}: use 1–{} lower-case letters, digits and \
                 dashes, starting with a letter",
                openapi::NAME_MAX
            ),
        ))
    }
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
    // A counter kept by the store, O(1): scraping costs the same however much waits.
    let backlog = state.store.outbox_backlog()? as usize;
    // O(snapshots held), at most `MAX_SNAPSHOTS`.
    let snapshots = state.pipeline.plugins().snapshot_counts();
    state
        .metrics
        .set_snapshots(snapshots.ready, snapshots.making, snapshots.failed);
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
