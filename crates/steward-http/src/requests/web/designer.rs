//! The catalogue designer (admins): items with their name in both languages, category, who may
//! order, delivery time and owning team; and each item's form and fulfilment plan, edited as
//! rows (a field per row, empty rows to add, a cleared key to drop) and published as the next
//! version. A refused design comes back as typed, with the reason naming the row.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use steward_app::AppError;
use steward_app::requests::{
    ApproverInput, ConditionInput, Design, FieldInput, ItemSpec, PlanInput, TaskInput,
};
use steward_core::ids::TeamId;
use steward_store::ItemRecord;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Page, WebForm, WebResult, answer, render, rerender};

/// Empty rows the designer offers for new fields, levels and tasks.
const SPARE_FIELDS: usize = 3;
const LEVELS: usize = 3;
const SPARE_TASKS: usize = 2;

pub const KINDS: &[(&str, &str)] = &[
    ("text", "catalogue.kind_text"),
    ("textarea", "catalogue.kind_textarea"),
    ("number", "catalogue.kind_number"),
    ("date", "catalogue.kind_date"),
    ("choice", "catalogue.kind_choice"),
    ("multi_choice", "catalogue.kind_multi_choice"),
    ("user", "catalogue.kind_user"),
    ("ci", "catalogue.kind_ci"),
    ("attachment", "catalogue.kind_attachment"),
];

/// The item form's values as typed.
#[derive(Default)]
pub struct SpecView {
    name: String,
    name_zh: String,
    category: String,
    description: String,
    audience: String,
    delivery_hours: String,
    team_id: String,
    active: bool,
}

impl From<&ItemRecord> for SpecView {
    fn from(i: &ItemRecord) -> SpecView {
        SpecView {
            name: i.input.name.clone(),
            name_zh: i.input.name_zh.clone().unwrap_or_default(),
            category: i.input.category.clone(),
            description: i.input.description.clone(),
            audience: i.input.audience.join(", "),
            delivery_hours: i.input.delivery_hours.to_string(),
            team_id: i.input.team_id.map(|t| t.get().to_string()).unwrap_or_default(),
            active: i.input.active,
        }
    }
}

fn spec_of(f: &BTreeMap<String, String>) -> ItemSpec {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    ItemSpec {
        name: get("name"),
        name_zh: Some(get("name_zh")),
        category: get("category"),
        description: get("description"),
        audience: get("audience").split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect(),
        delivery_hours: get("delivery_hours").trim().parse().unwrap_or(0),
        team_id: get("team_id").trim().parse().ok().map(TeamId),
        active: f.get("active").is_some_and(|v| v == "true"),
    }
}

fn view_of(f: &BTreeMap<String, String>) -> SpecView {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    SpecView {
        name: get("name"),
        name_zh: get("name_zh"),
        category: get("category"),
        description: get("description"),
        audience: get("audience"),
        delivery_hours: get("delivery_hours"),
        team_id: get("team_id"),
        active: f.get("active").is_some_and(|v| v == "true"),
    }
}

#[derive(Template)]
#[template(path = "catalogue_admin.html")]
struct ListPage<'a> {
    page: Page<'a>,
    items: Vec<ItemRecord>,
    deflected: i64,
    action: &'static str,
    spec: SpecView,
    teams: Vec<(i64, String)>,
}

async fn teams(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    let mut teams: Vec<(i64, String)> =
        state.app.directory().names().await?.teams.into_iter().map(|(id, n)| (id.get(), n)).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(teams)
}

async fn list_page(
    state: &AppState,
    mut page: Page<'_>,
    actor: &steward_app::Actor,
    spec: SpecView,
    err: Option<AppError>,
) -> WebResult {
    let failed = rerender(&mut page, err)?;
    let items = state.app.catalogue().list(actor).await?;
    let now = state.app.now();
    let month_ago = now.checked_sub(jiff::SignedDuration::from_hours(24 * 30)).unwrap_or(now);
    let deflected = state
        .app
        .store()
        .deflections_between(month_ago, now)
        .await
        .map_err(AppError::from)?
        .iter()
        .map(|r| r.1)
        .sum();
    let html = render(&ListPage {
        page,
        items,
        deflected,
        action: "/admin/catalogue",
        spec,
        teams: teams(state).await?,
    });
    answer(html, failed)
}

/// `GET /admin/catalogue`.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    actor.require(steward_core::identity::Permission::ManageCatalogue)?;
    let page = Page::new(&state, &actor, &headers, &uri, "catalogue.title");
    let spec = SpecView { delivery_hours: "72".into(), active: true, ..SpecView::default() };
    list_page(&state, page, &actor, spec, None).await
}

/// `POST /admin/catalogue`: a new item, then its page to design the form.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<BTreeMap<String, String>>,
) -> WebResult {
    match state.app.catalogue().create(Some(&actor), spec_of(&f)).await {
        Ok(item) => Ok(Redirect::to(&format!("/admin/catalogue/{}?notice=saved", item.id)).into_response()),
        Err(e) => {
            let page = Page::new(&state, &actor, &headers, &uri, "catalogue.title");
            list_page(&state, page, &actor, view_of(&f), Some(e)).await
        }
    }
}

pub struct TaskRow {
    name: String,
    team_id: i64,
    stage: i64,
}

#[derive(Template)]
#[template(path = "catalogue_item.html")]
struct ItemPage<'a> {
    page: Page<'a>,
    id: i64,
    version: i64,
    action: String,
    spec: SpecView,
    teams: Vec<(i64, String)>,
    rows: Vec<FieldInput>,
    kinds: &'static [(&'static str, &'static str)],
    approvals: Vec<String>,
    /// (`group:<id>`, name)
    groups: Vec<(String, String)>,
    task_rows: Vec<TaskRow>,
}

async fn item_page(
    state: &AppState,
    mut page: Page<'_>,
    item: &ItemRecord,
    spec: SpecView,
    design: Design,
    err: Option<AppError>,
) -> WebResult {
    let failed = rerender(&mut page, err)?;
    let mut rows = design.fields.clone();
    rows.extend((0..SPARE_FIELDS).map(|_| FieldInput { kind: "text".into(), ..FieldInput::default() }));
    let mut approvals: Vec<String> = design
        .plan
        .approvals
        .iter()
        .map(|a| match a.group_id {
            Some(g) if a.approver == "group" => format!("group:{g}"),
            _ => a.approver.clone(),
        })
        .collect();
    approvals.resize(LEVELS.max(approvals.len()), String::new());
    let mut task_rows: Vec<TaskRow> = design
        .plan
        .tasks
        .iter()
        .map(|t| TaskRow { name: t.name.clone(), team_id: t.team_id, stage: t.stage })
        .collect();
    task_rows.extend((0..SPARE_TASKS).map(|_| TaskRow { name: String::new(), team_id: 0, stage: 1 }));
    let groups = state
        .app
        .store()
        .approver_groups()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|g| (format!("group:{}", g.id), g.name))
        .collect();
    let html = render(&ItemPage {
        page,
        id: item.id,
        version: item.version,
        action: format!("/admin/catalogue/{}", item.id),
        spec,
        teams: teams(state).await?,
        rows,
        kinds: KINDS,
        approvals,
        groups,
        task_rows,
    });
    answer(html, failed)
}

/// `GET /admin/catalogue/{id}`.
pub async fn item(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    actor.require(steward_core::identity::Permission::ManageCatalogue)?;
    let item = state.app.catalogue().item(&actor, id).await?;
    let mut page = Page::new(&state, &actor, &headers, &uri, "catalogue.title");
    page.title.clone_from(&item.record.input.name);
    let spec = SpecView::from(&item.record);
    item_page(&state, page, &item.record, spec, item.design.unwrap_or_default(), None).await
}

/// `POST /admin/catalogue/{id}`: the item's own fields.
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<BTreeMap<String, String>>,
) -> WebResult {
    match state.app.catalogue().update(Some(&actor), id, spec_of(&f)).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/catalogue/{id}?notice=saved")).into_response()),
        Err(e) => {
            let item = state.app.catalogue().item(&actor, id).await?;
            let page = Page::new(&state, &actor, &headers, &uri, "catalogue.title");
            item_page(&state, page, &item.record, view_of(&f), item.design.unwrap_or_default(), Some(e)).await
        }
    }
}

fn lines(v: Option<&String>) -> Vec<String> {
    v.map(|s| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The design as the rows were typed: rows without a key are dropped.
fn design_of(f: &BTreeMap<String, String>) -> Design {
    let get = |k: String| f.get(&k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let num = |k: String| f.get(&k).and_then(|v| v.trim().parse::<f64>().ok());
    let mut fields = Vec::new();
    for i in 0..200 {
        if !f.contains_key(&format!("f{i}.key")) {
            break;
        }
        let key = get(format!("f{i}.key"));
        if key.is_empty() {
            continue;
        }
        let show_field = get(format!("f{i}.show_field"));
        let kind = get(format!("f{i}.kind"));
        fields.push(FieldInput {
            label: get(format!("f{i}.label")),
            label_zh: Some(get(format!("f{i}.label_zh"))).filter(|l| !l.is_empty()),
            required: f.get(&format!("f{i}.required")).is_some_and(|v| v == "true"),
            options: lines(f.get(&format!("f{i}.options"))),
            max_length: f.get(&format!("f{i}.max_length")).and_then(|v| v.trim().parse().ok()),
            min: num(format!("f{i}.min")),
            max: num(format!("f{i}.max")),
            query: Some(get(format!("f{i}.query"))).filter(|q| !q.is_empty() && kind == "ci"),
            show_if: (!show_field.is_empty()).then(|| ConditionInput {
                field: show_field,
                any_of: lines(f.get(&format!("f{i}.show_values"))),
            }),
            kind,
            key,
        });
    }
    let mut approvals = Vec::new();
    for i in 0..LEVELS * 2 {
        match f.get(&format!("ap{i}")).map(|v| v.trim()) {
            Some("manager") => approvals.push(ApproverInput { approver: "manager".into(), group_id: None }),
            Some(g) if g.starts_with("group:") => approvals.push(ApproverInput {
                approver: "group".into(),
                group_id: g.trim_start_matches("group:").parse().ok(),
            }),
            _ => {}
        }
    }
    let mut tasks = Vec::new();
    for i in 0..100 {
        if !f.contains_key(&format!("t{i}.name")) {
            break;
        }
        let name = get(format!("t{i}.name"));
        if name.is_empty() {
            continue;
        }
        tasks.push(TaskInput {
            name,
            team_id: get(format!("t{i}.team")).parse().unwrap_or(0),
            stage: get(format!("t{i}.stage")).parse().unwrap_or(1),
        });
    }
    Design { fields, plan: PlanInput { approvals, tasks } }
}

/// `POST /admin/catalogue/{id}/design`: publishes the rows as the next version.
pub async fn publish(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<BTreeMap<String, String>>,
) -> WebResult {
    let design = design_of(&f);
    match state.app.catalogue().publish(Some(&actor), id, design.clone()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/catalogue/{id}?notice=published")).into_response()),
        Err(e) => {
            let item = state.app.catalogue().item(&actor, id).await?;
            let page = Page::new(&state, &actor, &headers, &uri, "catalogue.title");
            let spec = SpecView::from(&item.record);
            item_page(&state, page, &item.record, spec, design, Some(e)).await
        }
    }
}
