//! Queue power (issue 17): act on many tickets at once, and take the filtered list away as
//! CSV (UTF-8 with a BOM, so Excel shows Chinese) or XLSX.
//!
//! A bulk action is each ticket's own update and move, one transaction each, checked as if
//! done one by one; the result page says what happened to every ticket, so a refusal on one
//! never hides behind the success of the rest.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::{AppError, IncidentPatch};
use steward_core::ids::{TeamId, TicketId, UserId};
use steward_core::tickets::{
    HoldReason, ResolutionCode, State as TicketState, TicketKind, TransitionRequest,
};

use super::{opt_id, state_key};
use crate::AppState;
use crate::extract::CurrentActor;
use crate::ticket_query;
use crate::web::{Page, WebError, WebForm, WebResult, form_errors, render};

/// The most rows an export holds.
const EXPORT_ROWS: i64 = 10_000;

#[derive(Template)]
#[template(path = "bulk_result.html")]
struct BulkPage<'a> {
    page: Page<'a>,
    /// (ticket id, number or id, what happened, done)
    results: Vec<(TicketId, String, String, bool)>,
    back: String,
}

/// `POST /incidents/bulk`: `ids` (repeated), and any of `team_id`, `assignee_id`, `to` (with
/// `hold_reason`, `resolution_code`, `resolution_note`), and `back` (the queue's query).
pub async fn bulk(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let get =
        |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let ids: Vec<TicketId> =
        form.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect();
    let page = Page::new(&state, &actor, &headers, &uri, "bulk.title");
    let parsed = async {
        if ids.is_empty() {
            return Err(AppError::invalid("ids", "tick the tickets to change"));
        }
        let team: Option<TeamId> = opt_id("team_id", &get("team_id"))?;
        let assignee: Option<UserId> = opt_id("assignee_id", &get("assignee_id"))?;
        let to = match get("to").as_str() {
            "" => None,
            s => Some(TicketState::parse(s).map_err(AppError::from)?),
        };
        if team.is_none() && assignee.is_none() && to.is_none() {
            return Err(AppError::invalid("to", "choose a team, a person or a state"));
        }
        Ok((team, assignee, to))
    }
    .await;
    let (team, assignee, to) = match parsed {
        Ok(p) => p,
        Err(e) => {
            let text = form_errors::error_text(page.t, &e).ok_or_else(|| WebError::from(e))?;
            let results = vec![(TicketId(0), String::new(), text, false)];
            return Ok(render(&BulkPage { page, results, back: get("back") }));
        }
    };
    let mut results = Vec::new();
    for id in ids {
        // The number of a ticket whose assignment was saved before its move was refused.
        let mut assigned: Option<String> = None;
        let outcome = async {
            let mut ticket = state.app.incidents().get(&actor, id).await?.ticket;
            if team.is_some() || assignee.is_some() {
                let patch = IncidentPatch {
                    team_id: team.map(Some),
                    assignee_id: assignee.map(Some),
                    ..IncidentPatch::default()
                };
                ticket = state.app.incidents().update(&actor, id, None, patch).await?;
                assigned = Some(ticket.number.clone());
            }
            if let Some(to) = to {
                let request = TransitionRequest {
                    to: Some(to),
                    hold_reason: (!get("hold_reason").is_empty())
                        .then(|| HoldReason::parse(&get("hold_reason")))
                        .transpose()
                        .map_err(AppError::from)?,
                    resolution_code: (!get("resolution_code").is_empty())
                        .then(|| ResolutionCode::parse(&get("resolution_code")))
                        .transpose()
                        .map_err(AppError::from)?,
                    resolution_note: Some(get("resolution_note")),
                };
                ticket = state.app.incidents().transition(&actor, id, None, request).await?;
            }
            Ok::<_, AppError>(ticket)
        }
        .await;
        results.push(match outcome {
            Ok(t) => (id, t.number, page.t.get("bulk.done").to_owned(), true),
            Err(e) => {
                let text = form_errors::error_text(page.t, &e)
                    .unwrap_or_else(|| page.t.get("bulk.refused").to_owned());
                match assigned.take() {
                    Some(number) => {
                        (id, number, format!("{} {text}", page.t.get("bulk.assigned_only")), false)
                    }
                    None => (id, format!("#{id}"), text, false),
                }
            }
        });
    }
    Ok(render(&BulkPage { page, results, back: get("back") }))
}

/// The filtered list's rows for an export: header, then one row per ticket.
async fn export_rows(
    state: &AppState,
    actor: &steward_app::Actor,
    uri: &Uri,
    page: &Page<'_>,
) -> Result<Vec<Vec<String>>, WebError> {
    let t = page.t;
    let raw = uri.query().unwrap_or("");
    let mut query =
        ticket_query::parse_form(TicketKind::Incident, Some(raw), actor.user.id).map_err(WebError)?;
    query.limit = EXPORT_ROWS;
    let list = state.app.incidents().list(actor, &query).await?;
    let names = state.app.directory().names().await?;
    let clocks = state.app.sla().of_incidents(actor, &list.items).await?;
    let header = [
        "incident.number",
        "incident.title",
        "incident.priority",
        "incident.state",
        "incident.team",
        "incident.assignee",
        "incident.requester",
        "incident.created",
        "incident.updated",
        "sla.resolution",
    ];
    let mut rows = vec![header.iter().map(|k| t.get(k).to_owned()).collect::<Vec<_>>()];
    for (ticket, clock) in list.items.iter().zip(clocks) {
        let sla = clock.map(|c| {
            let (_, key, detail) = super::sla_badge(page, &c.resolution);
            format!("{} {detail}", t.get(key)).trim().to_owned()
        });
        rows.push(vec![
            ticket.number.clone(),
            ticket.title.clone(),
            format!("P{}", ticket.priority.get()),
            t.get(state_key(ticket.state)).to_owned(),
            names.team(ticket.team_id),
            names.user(ticket.assignee_id),
            names.user(Some(ticket.requester_id)),
            page.minute(ticket.created_at),
            page.minute(ticket.updated_at),
            sla.unwrap_or_default(),
        ]);
    }
    Ok(rows)
}

/// A cell a spreadsheet will not run: text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return (a title like `=HYPERLINK(…)`) gets a leading `'`, which shows it as typed.
fn spreadsheet_safe(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// `GET /incidents/export.csv?<the queue's filters>`.
pub async fn export_csv(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let page = Page::new(&state, &actor, &headers, &uri, "queue.title");
    let rows = export_rows(&state, &actor, &uri, &page).await?;
    // The byte order mark tells Excel the file is UTF-8 (without it Chinese shows garbled).
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        for row in &rows {
            let row: Vec<String> = row.iter().map(|cell| spreadsheet_safe(cell)).collect();
            writer.write_record(&row).map_err(|e| WebError::from(AppError::Internal(e.into())))?;
        }
        writer.flush().map_err(|e| WebError::from(AppError::Internal(e.into())))?;
    }
    Ok(crate::web::download("text/csv; charset=utf-8", "incidents.csv", out))
}

/// `GET /incidents/export.xlsx?<the queue's filters>`.
pub async fn export_xlsx(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let page = Page::new(&state, &actor, &headers, &uri, "queue.title");
    let rows = export_rows(&state, &actor, &uri, &page).await?;
    let fail =
        |e: rust_xlsxwriter::XlsxError| WebError::from(AppError::Internal(anyhow::anyhow!("xlsx: {e}")));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).unwrap_or(u32::MAX), u16::try_from(c).unwrap_or(u16::MAX));
            if r == 0 {
                sheet.write_string_with_format(r, c, value, &bold).map_err(fail)?;
            } else {
                sheet.write_string(r, c, value).map_err(fail)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    sheet.autofit();
    let body = book.save_to_buffer().map_err(fail)?;
    Ok(crate::web::download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "incidents.xlsx",
        body,
    ))
}
