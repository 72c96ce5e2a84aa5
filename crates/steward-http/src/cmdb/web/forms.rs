//! CI forms typed by class (issue 17, "CMDB usability"): each attribute of the class gets the
//! field its type calls for — a number, a date, a yes/no, a list of the allowed values, a CI
//! picker for a reference — and a refused save comes back with what was typed.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use steward_app::cmdb::{CiInput, CiPatch};
use steward_app::{Actor, AppError};
use steward_core::cmdb::{AttrType, ClassDef, RawValue};
use steward_core::ids::CiId;

use super::{CiTyped, detail_page, picked_ci};
use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, answer, form_errors, render, rerender};

/// One attribute's field.
pub(super) struct AttrField {
    pub(super) name: String,
    /// `text`, `number`, `date`, `bool`, `ip`, `enum` or `reference`.
    pub(super) kind: &'static str,
    /// The allowed values of an `enum`.
    pub(super) options: Vec<String>,
    pub(super) value: String,
    pub(super) required: bool,
}

impl AttrField {
    /// The `type` of an `<input>` for this kind.
    pub(super) fn input_type(&self) -> &'static str {
        match self.kind {
            "number" => "number",
            "date" => "date",
            _ => "text",
        }
    }
}

/// The class's fields, filled with `values` (as stored, or as typed).
pub(super) fn attr_fields(class: &ClassDef, values: &BTreeMap<String, String>) -> Vec<AttrField> {
    class
        .attrs
        .iter()
        .map(|a| {
            let (kind, options) = match &a.ty {
                AttrType::Text => ("text", Vec::new()),
                AttrType::Number => ("number", Vec::new()),
                AttrType::Date => ("date", Vec::new()),
                AttrType::Bool => ("bool", Vec::new()),
                AttrType::Ip => ("ip", Vec::new()),
                AttrType::Enum(values) => ("enum", values.clone()),
                AttrType::Reference(_) => ("reference", Vec::new()),
            };
            let value = values.get(&a.name).cloned().unwrap_or_default();
            // A stored reference is an id; the picker shows it as `#id`.
            let value = match kind {
                "reference" if value.chars().all(|c| c.is_ascii_digit()) && !value.is_empty() => {
                    format!("#{value}")
                }
                _ => value,
            };
            AttrField { name: a.name.clone(), kind, options, value, required: a.required }
        })
        .collect()
}

/// The `attr.<name>` fields of a posted form, as typed.
fn typed_attrs(pairs: &[(String, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("attr.").map(|name| (name.to_owned(), v.trim().to_owned())))
        .collect()
}

/// What typed attributes mean: blank ones left out, a picked reference as its id.
fn raw_attrs(
    class: &ClassDef,
    typed: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, RawValue>, AppError> {
    let mut out = BTreeMap::new();
    for (name, text) in typed.iter().filter(|(_, v)| !v.is_empty()) {
        let reference = class.attrs.iter().any(|a| &a.name == name && matches!(a.ty, AttrType::Reference(_)));
        let value = match reference {
            true => picked_ci("attributes", text)?.map(|id| id.to_string()).unwrap_or_default(),
            false => text.clone(),
        };
        out.insert(name.clone(), RawValue::Text(value));
    }
    Ok(out)
}

fn one(pairs: &[(String, String)], key: &str) -> String {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "ci_new.html")]
struct NewCiPage<'a> {
    page: Page<'a>,
    classes: Vec<String>,
    class: String,
    name: String,
    external_id: String,
    attr_fields: Vec<AttrField>,
}

#[derive(serde::Deserialize, Default)]
pub struct NewQuery {
    class: Option<String>,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

/// `GET /cmdb/new?class=server`: the form for a CI of that class.
pub async fn new_ci(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> WebResult {
    let typed = vec![("class".to_owned(), q.class.unwrap_or_default())];
    new_page(&state, &actor, &headers, &uri, &typed, None).await
}

async fn new_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    typed: &[(String, String)],
    error: Option<AppError>,
) -> WebResult {
    actor.require(steward_core::identity::Permission::WriteCmdb).map_err(crate::web::WebError::from)?;
    let classes = state.app.cmdb().classes(actor).await?;
    let wanted = one(typed, "class");
    let class =
        classes.iter().find(|c| c.name == wanted).or(classes.first()).ok_or(AppError::NotFound("class"))?;
    let mut page = Page::new(state, actor, headers, uri, "cmdb.new");
    let failed = rerender(&mut page, error)?;
    let html = render(&NewCiPage {
        page,
        class: class.name.clone(),
        name: one(typed, "name"),
        external_id: one(typed, "external_id"),
        attr_fields: attr_fields(class, &typed_attrs(typed)),
        classes: classes.iter().map(|c| c.name.clone()).collect(),
    });
    answer(html, failed)
}

/// `POST /cmdb`: class, name, external id and `attr.<name>` fields.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let result = async {
        let classes = state.app.cmdb().classes(&actor).await?;
        let class_name = one(&pairs, "class");
        let class = classes.iter().find(|c| c.name == class_name);
        let attrs = match class {
            Some(class) => raw_attrs(class, &typed_attrs(&pairs))?,
            None => BTreeMap::new(),
        };
        let input = CiInput {
            class: class_name,
            name: one(&pairs, "name"),
            external_id: Some(one(&pairs, "external_id")),
            attrs,
            ..CiInput::default()
        };
        state.app.cmdb().create_ci(&actor, input).await
    }
    .await;
    match result {
        Ok(ci) => {
            Ok(Redirect::to(&format!("/cmdb/{}?notice={}", ci.id, Notice::CiCreated.as_str()))
                .into_response())
        }
        Err(e) if form_errors::users_to_fix(&e) => {
            new_page(&state, &actor, &headers, &uri, &pairs, Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /cmdb/{id}`: the edit form (name, status, criticality, owner team, version and the
/// class's `attr.<name>` fields; a blank field removes its attribute).
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<CiId>,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let typed = CiTyped {
        name: one(&pairs, "name"),
        status: one(&pairs, "status"),
        criticality: one(&pairs, "criticality"),
        owner_team_id: one(&pairs, "owner_team_id"),
        attrs: typed_attrs(&pairs),
    };
    let result = async {
        let current = state.app.cmdb().ci(&actor, id).await?.ci;
        let classes = state.app.cmdb().classes(&actor).await?;
        let class = classes.iter().find(|c| c.name == current.class).ok_or(AppError::NotFound("class"))?;
        let given = raw_attrs(class, &typed.attrs)?;
        // Every attribute of the class is on the form: a blank one is removed.
        let mut attrs: BTreeMap<String, Option<RawValue>> =
            current.attrs.keys().map(|k| (k.clone(), None)).collect();
        attrs.extend(given.into_iter().map(|(k, v)| (k, Some(v))));
        let criticality = typed
            .criticality
            .trim()
            .parse()
            .map_err(|_| AppError::invalid("criticality", "a criticality is a whole number, 1 to 5"))?;
        let patch = CiPatch {
            name: Some(typed.name.clone()),
            status: Some(typed.status.clone()),
            criticality: Some(criticality),
            owner_team_id: Some(typed.owner_team_id.trim().parse().ok()),
            attrs,
            ..CiPatch::default()
        };
        let version = one(&pairs, "version").trim().parse().ok();
        state.app.cmdb().update_ci(&actor, id, version, patch).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cmdb/{id}?notice={}", Notice::CiSaved.as_str())).into_response()),
        Err(e) if form_errors::users_to_fix(&e) => {
            detail_page(&state, &actor, &headers, &uri, id, Some(typed), Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}
