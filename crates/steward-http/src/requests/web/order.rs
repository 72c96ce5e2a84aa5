//! The order form: a catalogue item's current form drawn field by field (conditions shown and
//! hidden in the browser by `app.js`, checked again by the app), sent as a url-encoded form
//! (a file travels in its field as JSON with base64 content, filled in by `app.js`). A refused
//! order comes back with what was typed and the reason.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use serde_json::Value;
use steward_app::AppError;
use steward_app::incidents::AttachmentUpload;
use steward_app::requests::{CatalogueItem, NewOrder};
use steward_core::requests::{Approver, ci_query_matches};
use steward_store::CiQuery;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Page, WebForm, WebResult, answer, render, rerender};

/// One field as the form draws it.
pub struct FieldView {
    key: String,
    label: String,
    kind: String,
    required: bool,
    options: Vec<String>,
    min: Option<f64>,
    max: Option<f64>,
    max_length: Option<i64>,
    /// (the field it depends on, the values that show it as a JSON list, whether they
    /// compare as numbers)
    show_if: Option<(String, String, bool)>,
    /// What was typed (several for a multi-choice).
    values: Vec<String>,
    /// A CI field's choices: (id, name).
    cis: Vec<(i64, String)>,
}

impl FieldView {
    fn value(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "portal_order.html")]
struct OrderPage<'a> {
    page: Page<'a>,
    id: i64,
    version: i64,
    name: String,
    description: String,
    delivery_hours: i64,
    needs_manager: bool,
    fields: Vec<FieldView>,
}

/// The CIs a CI field offers: those its query selects (the first 300 of the class named).
async fn ci_choices(state: &AppState, query: &str) -> Result<Vec<(i64, String)>, AppError> {
    let class = query.split_whitespace().find_map(|t| t.strip_prefix("class:")).map(str::to_owned);
    let found = state.app.store().list_cis(&CiQuery { class, q: None, after: None, limit: 300 }).await?;
    Ok(found
        .into_iter()
        .filter(|c| ci_query_matches(query, &c.class, &c.attrs))
        .map(|c| (c.id.get(), c.name))
        .collect())
}

async fn draw(
    state: &AppState,
    page: Page<'_>,
    item: &CatalogueItem,
    typed: &[(String, String)],
    failed: bool,
) -> WebResult {
    let zh = page.lang_is_zh();
    let design = item.design.clone().unwrap_or_default();
    let mut fields = Vec::new();
    for f in &design.fields {
        let name = format!("a.{}", f.key);
        let cis = if f.kind == "ci" {
            ci_choices(state, f.query.as_deref().unwrap_or_default()).await?
        } else {
            Vec::new()
        };
        fields.push(FieldView {
            label: if zh { f.label_zh.clone().unwrap_or_else(|| f.label.clone()) } else { f.label.clone() },
            kind: f.kind.clone(),
            required: f.required,
            options: f.options.clone(),
            min: f.min,
            max: f.max,
            max_length: f.max_length,
            show_if: f.show_if.as_ref().map(|c| {
                let numeric = design.fields.iter().any(|g| g.key == c.field && g.kind == "number");
                (c.field.clone(), Value::from(c.any_of.clone()).to_string(), numeric)
            }),
            values: typed
                .iter()
                .filter(|(k, _)| *k == name && f.kind != "attachment")
                .map(|(_, v)| v.clone())
                .collect(),
            cis,
            key: f.key.clone(),
        });
    }
    let input = &item.record.input;
    let html = render(&OrderPage {
        id: item.record.id,
        version: item.record.version,
        name: if zh {
            input.name_zh.clone().unwrap_or_else(|| input.name.clone())
        } else {
            input.name.clone()
        },
        description: input.description.clone(),
        delivery_hours: input.delivery_hours,
        needs_manager: item.plan.as_ref().is_some_and(|p| p.approvals.contains(&Approver::Manager)),
        fields,
        page,
    });
    answer(html, failed)
}

/// `GET /portal/catalogue/{id}`: the order form.
pub async fn form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let item = state.app.catalogue().item(&actor, id).await?;
    if item.design.is_none() {
        return Err(AppError::NotFound("catalogue item").into());
    }
    let page = Page::new(&state, &actor, &headers, &uri, "portal.catalogue");
    draw(&state, page, &item, &[], false).await
}

/// The answers of a posted form, by field: lists for multi-choices, files for attachments.
fn order_of(item: &CatalogueItem, typed: &[(String, String)]) -> Result<NewOrder, AppError> {
    let design = item.design.clone().unwrap_or_default();
    let version =
        typed.iter().find(|(k, _)| k == "form_version").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut order = NewOrder { item_id: item.record.id, form_version: version, ..NewOrder::default() };
    let mut lists: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (name, value) in typed {
        let Some(key) = name.strip_prefix("a.") else { continue };
        let kind = design.fields.iter().find(|f| f.key == key).map(|f| f.kind.as_str());
        match kind {
            Some("multi_choice") => lists.entry(key.to_owned()).or_default().push(Value::from(value.clone())),
            Some("attachment") if value.trim().is_empty() => {}
            Some("attachment") => {
                let file: serde_json::Map<String, Value> = serde_json::from_str(value).map_err(|_| {
                    AppError::invalid("answers", format!("answers.{key}: the file did not come through"))
                })?;
                let text = |k: &str| file.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                use base64::Engine;
                let data = base64::engine::general_purpose::STANDARD.decode(text("content_base64")).map_err(
                    |_| AppError::invalid("answers", format!("answers.{key}: the file did not come through")),
                )?;
                order.files.insert(
                    key.to_owned(),
                    AttachmentUpload {
                        filename: text("filename"),
                        content_type: text("content_type"),
                        internal: false,
                        data,
                    },
                );
            }
            _ if value.trim().is_empty() => {}
            _ => {
                order.answers.insert(key.to_owned(), Value::from(value.clone()));
            }
        }
    }
    for (key, list) in lists {
        order.answers.insert(key, Value::Array(list));
    }
    Ok(order)
}

/// `POST /portal/catalogue/{id}`: orders it; the request's page, or the form again with why.
pub async fn submit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    uri: Uri,
    WebForm(typed): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let item = state.app.catalogue().item(&actor, id).await?;
    let result = match order_of(&item, &typed) {
        Ok(order) => state.app.requests().submit(&actor, order).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(ticket) => Ok(Redirect::to(&format!("/requests/{}?notice=ordered", ticket.id)).into_response()),
        Err(err) => {
            // A form changed meanwhile is drawn anew at its new version.
            let item = state.app.catalogue().item(&actor, id).await?;
            let mut page = Page::new(&state, &actor, &headers, &uri, "portal.catalogue");
            let failed = rerender(&mut page, Some(err))?;
            draw(&state, page, &item, &typed, failed).await
        }
    }
}
