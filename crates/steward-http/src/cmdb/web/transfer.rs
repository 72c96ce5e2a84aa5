//! CMDB import and export from the UI (issue 17, "CMDB usability"), with the command line's
//! formats and checks: a file (or pasted text) is checked row by row, a dry run reports what
//! would change, and nothing is written unless every row is good.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::Actor;
use steward_app::cmdb::{ImportReport, RowError, parse_any};
use steward_core::identity::Permission;

use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::web::{Page, WebError, WebForm, WebResult, answer, download, render, unprocessable};

#[derive(Template)]
#[template(path = "cmdb_transfer.html")]
struct TransferPage<'a> {
    page: Page<'a>,
    can_write: bool,
    /// The last import's outcome, and whether it wrote anything.
    report: Option<(ImportReport, bool)>,
    /// Rows refused while reading the file, before any check against the CMDB.
    errors: Vec<RowError>,
    text: String,
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    transfer_page(&state, &actor, &headers, &uri, None, Vec::new(), String::new())
}

fn transfer_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    report: Option<(ImportReport, bool)>,
    errors: Vec<RowError>,
    text: String,
) -> WebResult {
    actor.require(Permission::ReadCmdb).map_err(WebError::from)?;
    Ok(render(&TransferPage {
        page: Page::new(state, actor, headers, uri, "cmdb.transfer"),
        can_write: actor.can(Permission::WriteCmdb),
        report,
        errors,
        text,
    }))
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    text: String,
    /// `json` when the chosen file's name ends so (the text is sniffed otherwise).
    #[serde(default)]
    format: String,
    #[serde(default)]
    dry_run: Option<String>,
}

/// `POST /cmdb/import`: checks the text; writes it unless it is a dry run or a row is bad.
pub async fn import(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(form): WebForm<ImportForm>,
) -> WebResult {
    actor.require(Permission::WriteCmdb).map_err(WebError::from)?;
    let dry_run = form.dry_run.is_some();
    let file = match parse_any(&form.text, form.format == "json") {
        Ok(file) => file,
        Err(errors) => {
            let html = transfer_page(&state, &actor, &headers, &uri, None, errors, form.text)?;
            return Ok(unprocessable(html));
        }
    };
    let report = state.app.cmdb().import(Some(&actor), file, dry_run, &|_, _| {}).await?;
    let written = !dry_run && report.errors.is_empty();
    let failed = !report.errors.is_empty();
    // A written import's text is not offered again, so a second click does not resend it.
    let text = if written { String::new() } else { form.text };
    let html = transfer_page(&state, &actor, &headers, &uri, Some((report, written)), Vec::new(), text)?;
    answer(html, failed)
}

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    relations: bool,
}

/// `GET /cmdb/export.json`: the whole CMDB, the import's JSON format.
pub async fn export_json(State(state): State<AppState>, CurrentActor(actor): CurrentActor) -> WebResult {
    let doc = state.app.cmdb().export_json(Some(&actor)).await?;
    let body = serde_json::to_vec_pretty(&doc)
        .map_err(|e| WebError::from(steward_app::AppError::Internal(e.into())))?;
    Ok(download("application/json", "cmdb.json", body))
}

/// `GET /cmdb/export.csv[?relations=true]`: the CIs (or relationships) as the import's CSV.
pub async fn export_csv(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> WebResult {
    let text = state.app.cmdb().export_csv(Some(&actor), q.relations).await?;
    let name = if q.relations { "cmdb-relations.csv" } else { "cmdb-cis.csv" };
    Ok(download("text/csv; charset=utf-8", name, text.into_bytes()))
}
