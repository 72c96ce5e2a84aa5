//! Live pages by server-sent events (issue 17): every few seconds `/live` tells a signed-in
//! page the unread notifications (the bell), when a ticket of the reader's queues last changed
//! (the queue offers a refresh) and, for the ticket on screen, its version (a note when
//! someone else changed it), and when alerts last arrived (the alert console redraws itself).
//! Each connection reads four small numbers per tick; the page decides what to show
//! (`static/app.js`).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use steward_app::Actor;
use steward_core::ids::TicketId;

use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};

/// How often a live page hears from the server.
const TICK: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
pub struct LiveQuery {
    /// The ticket on screen, whose version the page wants to hear of.
    ticket: Option<TicketId>,
}

#[derive(Serialize)]
struct Status {
    unread: i64,
    /// When a ticket of the reader's queues last changed (ms since the epoch).
    latest: i64,
    /// The ticket's version, when one was named and the reader may see it.
    version: Option<i64>,
    /// When alerts last arrived or changed (ms), for those who work them.
    alerts: Option<i64>,
}

async fn status(state: &AppState, actor: &Actor, ticket: Option<TicketId>) -> Status {
    let unread = state.app.notifications().unread(actor).await.unwrap_or(0);
    let latest = state.app.incidents().latest_change(actor).await.unwrap_or(0);
    let version = match ticket {
        Some(id) => state.app.incidents().get(actor, id).await.ok().map(|v| v.ticket.version),
        None => None,
    };
    let alerts = state.app.alerts().latest_activity(actor).await.ok();
    Status { unread, latest, version, alerts }
}

pub async fn stream(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<LiveQuery>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = futures_util::stream::unfold(
        (state, actor, headers, q.ticket, true),
        |(state, actor, headers, ticket, first)| async move {
            let actor = if first {
                actor
            } else {
                tokio::time::sleep(TICK).await;
                // The session is checked every tick: a stream ends with the sign-out, a
                // revoked session or a disabled account, and follows a changed role.
                crate::auth::resolve(&state, &headers).await.ok().flatten()?
            };
            let now = status(&state, &actor, ticket).await;
            let event = Event::default().event("status").json_data(&now).unwrap_or_default();
            Some((Ok(event), (state, actor, headers, ticket, false)))
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}
