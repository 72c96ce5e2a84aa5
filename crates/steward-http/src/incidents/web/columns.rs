//! The queue's columns (issue 17, "queue power"): each reader chooses which show and in what
//! order; a cell carries its column's label so that on a phone each row reads as a card.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use steward_app::DirectoryNames;
use steward_app::sla::TicketSla;
use steward_core::tickets::{QueueColumn, Ticket};

use super::{sla_badge, state_key};
use crate::AppState;
use crate::extract::CurrentActor;
use crate::web::{Page, WebForm, WebResult, form_error};

/// One cell of the queue.
pub(super) struct Cell {
    /// The column's name in the reader's language (shown before the value on phones).
    pub(super) label: String,
    pub(super) text: String,
    /// A CSS class for a badge (`prio p2`, `state`, `sla breached`); empty: plain text.
    pub(super) class: String,
    /// Whether the text links to the ticket.
    pub(super) link: bool,
}

/// The catalogue key of a column's heading.
pub(super) fn label_key(c: QueueColumn) -> &'static str {
    match c {
        QueueColumn::Number => "incident.number",
        QueueColumn::Title => "incident.title",
        QueueColumn::Priority => "incident.priority",
        QueueColumn::State => "incident.state",
        QueueColumn::Team => "incident.team",
        QueueColumn::Assignee => "incident.assignee",
        QueueColumn::Requester => "incident.requester",
        QueueColumn::Category => "incident.category",
        QueueColumn::Service => "incident.service",
        QueueColumn::Created => "incident.created",
        QueueColumn::Updated => "incident.updated",
        QueueColumn::Sla => "queue.column_sla",
    }
}

/// What the queue needs to fill cells besides the ticket.
pub(super) struct Lookups<'a> {
    pub(super) names: &'a DirectoryNames,
    pub(super) categories: &'a [steward_store::Category],
}

pub(super) fn cells(
    page: &Page,
    columns: &[QueueColumn],
    with: &Lookups,
    t: &Ticket,
    clock: Option<&TicketSla>,
) -> Vec<Cell> {
    columns
        .iter()
        .map(|c| {
            let plain = |text: String| (text, String::new());
            let (text, class) = match c {
                QueueColumn::Number => plain(t.number.clone()),
                QueueColumn::Title => plain(t.title.clone()),
                QueueColumn::Priority => {
                    (format!("P{}", t.priority.get()), format!("prio p{}", t.priority.get()))
                }
                QueueColumn::State => (page.t.get(state_key(t.state)).to_owned(), "state".to_owned()),
                QueueColumn::Team => plain(with.names.team(t.team_id)),
                QueueColumn::Assignee => plain(with.names.user(t.assignee_id)),
                QueueColumn::Requester => plain(with.names.user(Some(t.requester_id))),
                QueueColumn::Category => {
                    plain(super::category_label(with.categories, t.category_id, t.subcategory_id))
                }
                QueueColumn::Service => plain(t.service.clone().unwrap_or_default()),
                QueueColumn::Created => plain(page.minute(t.created_at)),
                QueueColumn::Updated => plain(page.minute(t.updated_at)),
                QueueColumn::Sla => match clock {
                    Some(s) => {
                        let (class, key, detail) = sla_badge(page, &s.resolution);
                        (format!("{} {detail}", page.t.get(key)).trim().to_owned(), format!("sla {class}"))
                    }
                    None => plain(String::new()),
                },
            };
            Cell {
                label: page.t.get(label_key(*c)).to_owned(),
                text,
                class,
                link: matches!(c, QueueColumn::Number | QueueColumn::Title),
            }
        })
        .collect()
}

/// `POST /incidents/columns`: the chooser's `col` boxes in their order, optionally `up=<col>`
/// (move it one place earlier) or `reset`; `back` is the queue's query to return to.
pub async fn save_columns(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let values =
        |key: &str| form.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let back = values("back").pop().unwrap_or_default();
    let to = format!("/incidents?{back}");
    let incidents = state.app.incidents();
    let result = if !values("reset").is_empty() {
        incidents.set_queue_columns(&actor, None).await
    } else {
        let mut chosen = values("col");
        if let Some(up) = values("up").pop()
            && let Some(i) = chosen.iter().position(|c| *c == up)
            && i > 0
        {
            chosen.swap(i - 1, i);
        }
        incidents.set_queue_columns(&actor, Some(&chosen)).await
    };
    match result {
        Ok(_) => {
            let sep = if back.is_empty() { "" } else { "&" };
            Ok(Redirect::to(&format!("{to}{sep}notice=saved")).into_response())
        }
        // Only a tampered form names an unknown column; the filters are not worth keeping then.
        Err(e) => form_error(e, "/incidents"),
    }
}
