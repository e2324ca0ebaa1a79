//! Tickets as the host keeps them, and the audit trail of each: the answer to "why
//! did this happen?".

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::openapi::{ExternalId, Name};
use super::{ApiResult, AppState, Problem, TenantIntegration, answer};
use crate::model::Ticket;
use crate::store::{AuditRecord, TicketFilter, Timer};

/// The largest `?limit` of a ticket listing.
const MAX_LIMIT: usize = 10_000;

/// Lists the tenant's tickets, filtered.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/tickets",
    tag = "tickets",
    params(("tenant" = Name, Path, description = "The tenant's id"), TicketFilter),
    responses(
        (status = 200, description = "The tickets that match", body = Vec<Ticket>),
        (status = 400, description = "An unknown filter or a bad value", body = Problem, content_type = "application/problem+json"),
    ),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn list_tickets(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path(tenant): Path<String>,
    query: Result<Query<TicketFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(filter) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!(
                "{}; filters: status, group, assignee, requester, limit",
                e.body_text()
            ),
        )
    })?;
    if filter.limit.is_some_and(|l| l > MAX_LIMIT) {
        return Err(Problem::bad_request(
            "invalid-query",
            format!("limit may be at most {MAX_LIMIT}"),
        ));
    }
    answer(StatusCode::OK, state.store.tickets(&tenant, &filter)?)
}

/// Reads a ticket with its messages.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/tickets/{id}",
    tag = "tickets",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("id" = ExternalId, Path, description = "The ticket's id"),
    ),
    responses((status = 200, description = "The ticket", body = Ticket)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn get_ticket(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    answer(StatusCode::OK, stored_ticket(&state, &tenant, &id)?)
}

/// Reads a ticket's audit trail: every plugin call on its events, in order, with the
/// plugin's version, the actions it returned, its error, time and fuel, and its log.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/tickets/{id}/audit",
    tag = "tickets",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("id" = ExternalId, Path, description = "The ticket's id"),
    ),
    responses((status = 200, description = "The audit records, oldest first", body = Vec<AuditRecord>)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn get_audit(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    stored_ticket(&state, &tenant, &id)?;
    answer(StatusCode::OK, state.store.audit(&tenant, &id)?)
}

/// Lists a ticket's pending timers, soonest first: what its plugins are waiting for,
/// and when they will act.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/tickets/{id}/timers",
    tag = "tickets",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("id" = ExternalId, Path, description = "The ticket's id"),
    ),
    responses((status = 200, description = "The pending timers, soonest first", body = Vec<Timer>)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn get_timers(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path((tenant, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    stored_ticket(&state, &tenant, &id)?;
    answer(StatusCode::OK, state.store.timers(&tenant, &id)?)
}

/// The tenant's ticket `id`, or the not-found answer.
fn stored_ticket(state: &AppState, tenant: &str, id: &str) -> ApiResult<Ticket> {
    state
        .store
        .ticket(tenant, id)?
        .ok_or_else(|| Problem::not_found(format!("no ticket `{id}`")))
}
