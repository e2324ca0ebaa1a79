//! The live stream of a tenant's applied actions, as server-sent events: for
//! consumers that prefer listening to receiving webhooks.

use axum::extract::{Path, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::openapi::Name;
use super::{ApiResult, AppState, TenantIntegration};

/// Streams the tenant's applied actions as server-sent events: one `actions` event per
/// processed event whose plugins returned actions, with the body the webhooks get;
/// its `id` is the event's sequence number. A listener that falls more than 1,024
/// events behind gets a `lagged` event (`{"missed": n}`) and goes on from the newest.
/// Streams end when the service stops.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/actions/stream",
    tag = "actions",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    responses((
        status = 200,
        description = "An endless `text/event-stream`; each `data` is an `ActionsNotice` (the schema), the body of a webhook delivery",
        content_type = "text/event-stream",
        body = String
    )),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn stream_actions(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path(tenant): Path<String>,
) -> ApiResult<Response> {
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
                    Ok(notice) if notice.tenant == tenant => SseEvent::default()
                        .event("actions")
                        .id(notice.event_seq.to_string())
                        .data(notice.body()),
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
