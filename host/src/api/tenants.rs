//! Tenants (the operator's) and each tenant's tokens (its admins').

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::openapi::{Name, TimeZone};
use super::{ApiResult, AppState, Problem, TenantAdmin, answer, operator, parse_json};
use crate::store::{Scope, Tenant};
use crate::tenancy;
use crate::timekeeper::parse_time_zone;

/// Shown with every token: it cannot be read again.
const SHOWN_ONCE: &str = "the token is shown once; keep it";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTenant {
    /// 1–64 lower-case letters, digits and dashes, starting with a letter.
    #[schema(value_type = Name)]
    id: String,
    /// A display name; the id when absent or null.
    #[serde(default)]
    name: Option<String>,
    /// The IANA time zone schedules and business hours are read in; UTC when absent
    /// or null.
    #[serde(default)]
    #[schema(value_type = Option<TimeZone>)]
    time_zone: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CreatedTenant {
    tenant: Tenant,
    /// The tenant's first admin token.
    admin_token: String,
    #[schema(value_type = String)]
    note: &'static str,
}

/// Creates a tenant and its first admin token.
#[utoipa::path(
    post,
    path = "/v1/tenants",
    tag = "tenants",
    request_body = NewTenant,
    responses(
        (status = 201, description = "Created, with the tenant's first admin token", body = CreatedTenant),
        (status = 409, description = "A tenant with this id exists", body = Problem, content_type = "application/problem+json"),
    ),
    security(("operator_token" = []))
)]
pub(super) async fn create_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    operator(&state, &headers).await?;
    let tenant = new_tenant(body, state.clock.now())?;
    if !state.store.create_tenant(&tenant)? {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "tenant-exists",
            format!("a tenant `{}` already exists", tenant.id),
        ));
    }
    let admin = tenancy::issue(&tenant.id, Scope::Admin, state.clock.now());
    state.store.put_token(&admin.record)?;
    state.store.flush()?;
    tracing::info!(tenant = %tenant.id, "tenant created");
    answer(
        StatusCode::CREATED,
        CreatedTenant {
            tenant,
            admin_token: admin.token,
            note: SHOWN_ONCE,
        },
    )
}

/// The tenant a `POST /v1/tenants` body describes, created `now`, or the problem with
/// the body.
pub(super) fn new_tenant(
    body: Result<Bytes, BytesRejection>,
    now: DateTime<Utc>,
) -> ApiResult<Tenant> {
    let new: NewTenant = parse_json(body, "tenant (`{\"id\": \"acme\", \"name\": \"Acme\"}`)")?;
    let time_zone = new.time_zone.unwrap_or_else(|| "UTC".to_string());
    parse_time_zone(&time_zone)
        .map_err(|e| Problem::bad_request("invalid-time-zone", e.to_string()))?;
    Ok(Tenant {
        name: new.name.unwrap_or_else(|| new.id.clone()),
        time_zone,
        id: new.id,
        created_at: now,
        business_calendar: None,
    })
}

/// Lists every tenant.
#[utoipa::path(
    get,
    path = "/v1/tenants",
    tag = "tenants",
    responses((status = 200, description = "All tenants", body = Vec<Tenant>)),
    security(("operator_token" = []))
)]
pub(super) async fn list_tenants(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    operator(&state, &headers).await?;
    answer(StatusCode::OK, state.store.tenants()?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TenantSettings {
    /// A display name; absent or null keeps it.
    #[serde(default)]
    name: Option<String>,
    /// The IANA time zone schedules are read in; absent or null keeps it.
    #[serde(default)]
    #[schema(value_type = Option<TimeZone>)]
    time_zone: Option<String>,
    /// The business calendar for the KPIs (see `Tenant`): an object sets it (its
    /// `time_zone` defaults to the tenant's), `false` removes it, absent or null keeps
    /// it.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    business_calendar: Option<serde_json::Value>,
}

impl TenantSettings {
    /// The settings given, set on `record`; a time zone must be an IANA one.
    fn apply_to(self, record: &mut Tenant) -> ApiResult<()> {
        if let Some(zone) = self.time_zone {
            parse_time_zone(&zone)
                .map_err(|e| Problem::bad_request("invalid-time-zone", e.to_string()))?;
            record.time_zone = zone;
        }
        if let Some(name) = self.name {
            record.name = name;
        }
        match self.business_calendar {
            None => {}
            Some(serde_json::Value::Bool(false)) => record.business_calendar = None,
            Some(serde_json::Value::Object(mut calendar)) => {
                calendar
                    .entry("time_zone")
                    .or_insert_with(|| record.time_zone.clone().into());
                let calendar = serde_json::Value::Object(calendar);
                crate::kpi::read_calendar(&calendar).map_err(|e| {
                    Problem::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid-business-calendar",
                        e.to_string(),
                    )
                })?;
                record.business_calendar = Some(calendar);
            }
            Some(other) => {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid-business-calendar",
                    format!(
                        "`business_calendar` is an object (`{{\"hours\": {{\"mon-fri\": [\"09:00-18:00\"]}}}}`) or `false`, not `{other}`"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `record` changed as a `PUT …/settings` body says, or the problem with the body.
pub(super) fn changed_tenant(body: &[u8], mut record: Tenant) -> ApiResult<Tenant> {
    let settings: TenantSettings = parse_json(Ok(Bytes::copy_from_slice(body)), "tenant settings")?;
    settings.apply_to(&mut record)?;
    Ok(record)
}

/// Changes the tenant's name or time zone; absent fields keep their value. Schedules
/// follow the new time zone from their next tick.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant}/settings",
    tag = "tenants",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    request_body = TenantSettings,
    responses((status = 200, description = "The tenant with its new settings", body = Tenant)),
    security(("admin_token" = []))
)]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let settings: TenantSettings = parse_json(
        body,
        "tenant settings (`{\"time_zone\": \"Europe/Paris\", \"name\": \"Acme\"}`)",
    )?;
    let mut record = state
        .store
        .tenant(&tenant)?
        .ok_or_else(|| Problem::not_found(format!("no tenant `{tenant}`")))?;
    settings.apply_to(&mut record)?;
    state.store.update_tenant(&record)?;
    state.store.flush()?;
    tracing::info!(%tenant, time_zone = %record.time_zone, "tenant settings changed");
    answer(StatusCode::OK, record)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    scope: Scope,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct IssuedToken {
    /// The token's public id, for listing and revoking it.
    id: String,
    scope: Scope,
    /// The token itself.
    token: String,
    #[schema(value_type = String)]
    note: &'static str,
}

/// A token as listed: never its secret.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct TokenView {
    id: String,
    scope: Scope,
    created_at: DateTime<Utc>,
}

/// Issues a token for the tenant.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/tokens",
    tag = "tenants",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    request_body = NewToken,
    responses((status = 201, description = "Issued; the token is shown once", body = IssuedToken)),
    security(("admin_token" = []))
)]
pub(super) async fn create_token(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let new: NewToken = parse_json(body, "token request (`{\"scope\": \"integration\"}`)")?;
    let issued = tenancy::issue(&tenant, new.scope, state.clock.now());
    state.store.put_token(&issued.record)?;
    state.store.flush()?;
    answer(
        StatusCode::CREATED,
        IssuedToken {
            id: issued.record.id,
            scope: issued.record.scope,
            token: issued.token,
            note: SHOWN_ONCE,
        },
    )
}

/// Lists the tenant's tokens (ids and scopes, never secrets).
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/tokens",
    tag = "tenants",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    responses((status = 200, description = "The tenant's tokens", body = Vec<TokenView>)),
    security(("admin_token" = []))
)]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
) -> ApiResult<Response> {
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
    answer(StatusCode::OK, tokens)
}

/// Revokes a token.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant}/tokens/{id}",
    tag = "tenants",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("id" = String, Path, description = "The token's id"),
    ),
    responses((status = 204, description = "Revoked")),
    security(("admin_token" = []))
)]
pub(super) async fn delete_token(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    if !state.store.delete_token(&tenant, &id)? {
        return Err(Problem::not_found(format!("no token `{id}`")));
    }
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
