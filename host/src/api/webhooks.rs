//! A tenant's webhook endpoints and the dead letters of their deliveries.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::openapi::Name;
use super::{ApiResult, AppState, Problem, TenantAdmin, answer, check_slug, parse_json};
use crate::store::{OutboxItem, Webhook};
use crate::tenancy;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookSettings {
    /// An `http://` or `https://` URL that receives the deliveries: a host name or
    /// address, an optional port, a path and a query in the characters a URI allows
    /// as they are, no fragment. An https receiver's certificate is checked against
    /// the Mozilla root certificates.
    #[schema(
        example = "http://127.0.0.1:9000/hooks/guichet",
        max_length = 2048,
        pattern = "^https?://([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?(\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
    )]
    pub(super) url: String,
    /// The signing key, at least 16 characters; a random one when absent or null.
    #[serde(default)]
    #[schema(min_length = 16)]
    pub(super) secret: Option<String>,
}

/// A webhook as registered: the only time its secret is shown.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct RegisteredWebhook {
    name: String,
    url: String,
    secret: String,
    #[schema(value_type = String)]
    note: &'static str,
}

/// A webhook as listed: never its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct WebhookView {
    name: String,
    url: String,
    created_at: DateTime<Utc>,
}

/// Registers (or replaces) a webhook endpoint. Each applied action set is delivered
/// as a JSON `POST` signed with `X-Guichet-Signature: sha256=<hex HMAC-SHA256 of
/// "<X-Guichet-Timestamp>.<body>">`, at least once, retried with back-off, and put in
/// the dead letters after the last attempt.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant}/webhooks/{name}",
    tag = "actions",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The webhook's name within the tenant"),
    ),
    request_body = WebhookSettings,
    responses((status = 200, description = "Registered, with the signing secret", body = RegisteredWebhook)),
    security(("admin_token" = []))
)]
pub(super) async fn put_webhook(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    check_slug("webhook name", &name)?;
    let settings = webhook_settings(body)?;
    let webhook = Webhook {
        name,
        url: settings.url,
        secret: settings.secret.unwrap_or_else(tenancy::random_secret),
        created_at: state.clock.now(),
    };
    state.store.put_webhook(&tenant, &webhook)?;
    state.store.flush()?;
    answer(
        StatusCode::OK,
        RegisteredWebhook {
            name: webhook.name,
            url: webhook.url,
            secret: webhook.secret,
            note: "deliveries carry X-Guichet-Signature: sha256=HMAC(secret, \
                   \"<X-Guichet-Timestamp>.<body>\")",
        },
    )
}

/// A `PUT …/webhooks/{name}` body, with a URL the deliveries can be sent to, or the
/// problem with it.
pub(super) fn webhook_settings(body: Result<Bytes, BytesRejection>) -> ApiResult<WebhookSettings> {
    let settings: WebhookSettings = parse_json(
        body,
        "webhook (`{\"url\": \"https://…\", \"secret\": \"…\"}`)",
    )?;
    // The description's pattern has been checked; the URL must also be one that the
    // deliveries can be sent to.
    let parsed: Result<axum::http::Uri, _> = settings.url.parse();
    if !parsed
        .is_ok_and(|uri| matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some())
    {
        return Err(Problem::bad_request(
            "invalid-webhook-url",
            format!("`{}` is not an http:// or https:// URL", settings.url),
        ));
    }
    Ok(settings)
}

/// Lists the tenant's webhooks (never their secrets).
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/webhooks",
    tag = "actions",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    responses((status = 200, description = "The tenant's webhooks", body = Vec<WebhookView>)),
    security(("admin_token" = []))
)]
pub(super) async fn list_webhooks(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
) -> ApiResult<Response> {
    let list: Vec<_> = state
        .store
        .webhooks(&tenant)?
        .into_iter()
        .map(|w| WebhookView {
            name: w.name,
            url: w.url,
            created_at: w.created_at,
        })
        .collect();
    answer(StatusCode::OK, list)
}

/// Removes a webhook; deliveries still queued for it go to the dead letters when due.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant}/webhooks/{name}",
    tag = "actions",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The webhook's name within the tenant"),
    ),
    responses((status = 204, description = "Removed")),
    security(("admin_token" = []))
)]
pub(super) async fn delete_webhook(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    if !state.store.delete_webhook(&tenant, &name)? {
        return Err(Problem::not_found(format!("no webhook `{name}`")));
    }
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Lists deliveries that failed every attempt, with their last error.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/dead-letters",
    tag = "actions",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    responses((status = 200, description = "The dead letters", body = Vec<OutboxItem>)),
    security(("admin_token" = []))
)]
pub(super) async fn list_dead_letters(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
) -> ApiResult<Response> {
    answer(StatusCode::OK, state.store.dead_letters(&tenant)?)
}

/// Puts a dead letter back in the outbox, due now, with its attempts reset.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/dead-letters/{id}/replay",
    tag = "actions",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("id" = String, Path, description = "The dead letter's id"),
    ),
    responses((status = 202, description = "Queued for delivery again", body = OutboxItem)),
    security(("admin_token" = []))
)]
pub(super) async fn replay_dead_letter(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let item = state
        .store
        .replay_dead_letter(&tenant, &id, state.clock.now())?
        .ok_or_else(|| Problem::not_found(format!("no dead letter `{id}`")))?;
    state.store.flush()?;
    answer(StatusCode::ACCEPTED, item)
}
