//! The CMDB pages: the CI list with filters and a create form, a CI's page (attributes,
//! relationships, open incidents, edit), and its impact page with the graph drawn in SVG.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_core::cmdb::RelationType;
use steward_core::ids::{CiId, RelationId, TeamId, TicketId};
use steward_store::CiQuery;

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebError, WebForm, WebResult, after_form, render};

mod forms;
mod graph;
mod transfer;

pub use forms::{create, new_ci, update};
pub use transfer::{export_csv, export_json, import, page as transfer};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    class: Option<String>,
    q: Option<String>,
    after: Option<CiId>,
    #[serde(rename = "lang")]
    _lang: Option<String>,
    #[serde(rename = "notice")]
    _notice: Option<String>,
    #[serde(rename = "error")]
    _error: Option<String>,
}

#[derive(Template)]
#[template(path = "cmdb.html")]
struct ListPage<'a> {
    page: Page<'a>,
    rows: Vec<(CiId, String, String, String, i64)>,
    classes: Vec<String>,
    class: String,
    q: String,
    next: Option<String>,
    can_write: bool,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> WebResult {
    let classes = state.app.cmdb().classes(&actor).await?.into_iter().map(|c| c.name).collect();
    let q = CiQuery {
        class: query.class.clone().filter(|c| !c.is_empty()),
        q: query.q.clone().filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_owned()),
        after: query.after,
        limit: 50,
    };
    let cis = state.app.cmdb().list(&actor, &q).await?;
    let next = (cis.len() == 50).then(|| {
        let last = cis.last().map_or(0, |c| c.id.get());
        serde_urlencoded::to_string([
            ("class", q.class.clone().unwrap_or_default()),
            ("q", q.q.clone().unwrap_or_default()),
            ("after", last.to_string()),
        ])
        .unwrap_or_default()
    });
    let rows = cis
        .into_iter()
        .map(|c| (c.id, c.name, c.class, c.status.as_str().to_owned(), c.criticality))
        .collect();
    Ok(render(&ListPage {
        page: Page::new(&state, &actor, &headers, &uri, "cmdb.title"),
        rows,
        classes,
        class: query.class.unwrap_or_default(),
        q: query.q.unwrap_or_default(),
        next,
        can_write: actor.can(steward_core::identity::Permission::WriteCmdb),
    }))
}

#[derive(Template)]
#[template(path = "ci.html")]
struct CiPage<'a> {
    page: Page<'a>,
    ci: steward_store::CiRecord,
    /// (relation id, reads, other id, other name, other class)
    relations: Vec<(RelationId, String, CiId, String, String)>,
    tickets: Vec<(TicketId, String, String, i64, String)>,
    owner_team: Option<String>,
    teams: Vec<(TeamId, String)>,
    attr_fields: Vec<forms::AttrField>,
    /// What was typed into the edit form, when its save failed.
    typed: Option<CiTyped>,
    kinds: Vec<&'static str>,
    statuses: Vec<&'static str>,
    can_write: bool,
}

/// The edit form's fields as typed.
pub(super) struct CiTyped {
    pub(super) name: String,
    pub(super) status: String,
    pub(super) criticality: String,
    pub(super) owner_team_id: String,
    pub(super) attrs: BTreeMap<String, String>,
}

impl CiPage<'_> {
    fn shown_name(&self) -> &str {
        self.typed.as_ref().map_or(&self.ci.name, |t| &t.name)
    }

    fn shown_status(&self, s: &str) -> bool {
        self.typed.as_ref().map_or(self.ci.status.as_str() == s, |t| t.status == s)
    }

    fn shown_criticality(&self) -> String {
        self.typed.as_ref().map_or_else(|| self.ci.criticality.to_string(), |t| t.criticality.clone())
    }

    fn shown_owner(&self, team: &TeamId) -> bool {
        match &self.typed {
            Some(t) => t.owner_team_id.trim() == team.to_string(),
            None => self.ci.owner_team_id == Some(*team),
        }
    }
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<CiId>,
) -> WebResult {
    detail_page(&state, &actor, &headers, &uri, id, None, None).await
}

/// A CI's page; after a refused edit (`error`) with what was typed and status 422.
pub(super) async fn detail_page(
    state: &AppState,
    actor: &steward_app::Actor,
    headers: &HeaderMap,
    uri: &Uri,
    id: CiId,
    typed: Option<CiTyped>,
    error: Option<steward_app::AppError>,
) -> WebResult {
    let view = state.app.cmdb().ci(actor, id).await?;
    let relations = view
        .relations
        .iter()
        .map(|(r, other)| {
            let reads = if r.edge.from == id { r.edge.kind.as_str() } else { r.edge.kind.inverse_name() };
            (r.id, reads.to_owned(), other.id, other.name.clone(), other.class.clone())
        })
        .collect();
    let classes = state.app.cmdb().classes(actor).await?;
    let attr_fields = match classes.iter().find(|c| c.name == view.ci.class) {
        Some(class) => forms::attr_fields(class, typed.as_ref().map_or(&view.ci.attrs, |t| &t.attrs)),
        None => Vec::new(),
    };
    let mut page = Page::new(state, actor, headers, uri, "cmdb.ci");
    let failed = crate::web::rerender(&mut page, error)?;
    let html = render(&CiPage {
        page,
        attr_fields,
        typed,
        teams: state
            .app
            .directory()
            .list_teams(actor)
            .await
            .map(|t| t.into_iter().map(|x| (x.team.id, x.team.name.to_string())).collect())
            .unwrap_or_default(),
        ci: view.ci,
        relations,
        tickets: view.tickets,
        owner_team: view.owner_team,
        kinds: RelationType::ALL.iter().map(|k| k.as_str()).collect(),
        statuses: steward_core::cmdb::CiStatus::ALL.iter().map(|s| s.as_str()).collect(),
        can_write: actor.can(steward_core::identity::Permission::WriteCmdb),
    });
    crate::web::answer(html, failed)
}

/// The CI a picker's text names: `#42 web01` as the list offers it, or just `42`; blank: none.
pub(crate) fn picked_ci(field: &'static str, text: &str) -> Result<Option<CiId>, steward_app::AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let id = text.trim_start_matches('#').split_whitespace().next().unwrap_or_default();
    id.parse().map(Some).map_err(|_| {
        steward_app::AppError::invalid(field, format!("`{text}`: pick a configuration item from the list"))
    })
}

#[derive(Deserialize)]
pub struct RelateForm {
    kind: String,
    /// From the picker: `#42 web01`, or `42`.
    #[serde(default)]
    other: String,
    /// `out`: this CI is `from`; `in`: this CI is `to`.
    #[serde(default)]
    way: String,
}

pub async fn relate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CiId>,
    WebForm(form): WebForm<RelateForm>,
) -> WebResult {
    let result = match picked_ci("ci_id", &form.other) {
        Ok(Some(other)) => {
            let (from, to) = if form.way == "in" { (other, id) } else { (id, other) };
            state.app.cmdb().relate(&actor, from, to, &form.kind).await
        }
        Ok(None) => Err(steward_app::AppError::invalid("ci_id", "pick a configuration item from the list")),
        Err(e) => Err(e),
    };
    after_form(result, &format!("/cmdb/{id}"), Notice::RelationshipAdded)
}

#[derive(Deserialize)]
pub struct ImpactQuery {
    direction: Option<String>,
    depth: Option<u32>,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

#[derive(Template)]
#[template(path = "ci_impact.html")]
struct ImpactPage<'a> {
    page: Page<'a>,
    impact: steward_app::cmdb::CiImpact,
    svg: String,
    direction: String,
    depth: u32,
    /// (CI id, name, class, depth, path text)
    rows: Vec<(CiId, String, String, u32, String)>,
}

pub async fn impact(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<CiId>,
    ApiQuery(q): ApiQuery<ImpactQuery>,
) -> WebResult {
    let direction = q.direction.unwrap_or_else(|| "downstream".into());
    let depth = q.depth.unwrap_or(6);
    let impact = state.app.cmdb().impact(&actor, id, &direction, depth).await.map_err(WebError::from)?;
    let page = Page::new(&state, &actor, &headers, &uri, "cmdb.impact");
    let names: std::collections::HashMap<CiId, String> =
        std::iter::once((impact.start.id, impact.start.name.clone()))
            .chain(impact.hits.iter().map(|h| (h.ci.id, h.ci.name.clone())))
            .collect();
    let rows = impact
        .hits
        .iter()
        .map(|h| {
            let mut path: Vec<String> = Vec::new();
            for s in &h.hit.path {
                let kind = if s.forward { s.kind.as_str() } else { s.kind.inverse_name() };
                let kind = page.code("ci_rel", kind);
                path.push(format!("{} —{kind}→", names.get(&s.ci).cloned().unwrap_or_default()));
            }
            path.push(h.ci.name.clone());
            (h.ci.id, h.ci.name.clone(), h.ci.class.clone(), h.hit.depth, path.join(" "))
        })
        .collect();
    Ok(render(&ImpactPage { svg: graph::impact_svg(&impact, page.t), page, impact, direction, depth, rows }))
}

#[derive(Template)]
#[template(path = "ci_classes.html")]
struct ClassesPage<'a> {
    page: Page<'a>,
    /// (name, attributes as `name type required unique` lines)
    classes: Vec<(String, Vec<String>)>,
}

pub async fn classes(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let classes = state
        .app
        .cmdb()
        .classes(&actor)
        .await?
        .into_iter()
        .map(|c| {
            let attrs = c
                .attrs
                .iter()
                .map(|a| {
                    let flags = [(a.required, " required"), (a.unique, " unique")];
                    let flags: String = flags.iter().filter(|(on, _)| *on).map(|(_, f)| *f).collect();
                    format!("{} {}{flags}", a.name, a.ty)
                })
                .collect();
            (c.name, attrs)
        })
        .collect();
    Ok(render(&ClassesPage { page: Page::new(&state, &actor, &headers, &uri, "cmdb.classes"), classes }))
}

#[derive(Deserialize)]
pub struct ClassForm {
    name: String,
    #[serde(default)]
    attributes: String,
}

/// A new class; the attribute box holds `name type [required] [unique]` per line.
pub async fn create_class(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<ClassForm>,
) -> WebResult {
    let attrs: Vec<(String, String, bool, bool)> = form
        .attributes
        .lines()
        .map(str::split_whitespace)
        .filter_map(|mut words| {
            let name = words.next()?.to_owned();
            let ty = words.next().unwrap_or("text").to_owned();
            let rest: Vec<&str> = words.collect();
            Some((name, ty, rest.contains(&"required"), rest.contains(&"unique")))
        })
        .collect();
    after_form(
        state.app.cmdb().create_class(&actor, &form.name, &attrs).await,
        "/cmdb/classes",
        Notice::ClassAdded,
    )
}
