//! The server-rendered web UI. Pages are askama templates (checked at compile time, escaped by
//! default) filled from the same `steward_app` operations the API calls.

pub mod assets;
pub(crate) mod charts;
pub mod error_page;
pub mod form_errors;
mod home;
pub mod live;
mod pages;
pub(crate) mod swimlane;

use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use steward_app::{Actor, AppError, Credential};
use steward_core::identity::{Permission, User};

use crate::error::ApiError;
use crate::i18n::{Catalog, Lang};
use crate::{Access, AppState, Route, route};

pub fn routes() -> Vec<Route> {
    use Access::Authenticated as A;
    use Method as M;
    vec![
        route(M::GET, "/", A, home::home),
        route(M::GET, "/account", A, pages::account),
        route(M::GET, "/notifications", A, pages::notifications),
        route(M::POST, "/notifications/read", A, pages::mark_read),
        route(M::POST, "/account", A, pages::save_account),
        route(M::POST, "/account/notifications", A, pages::save_notification_prefs),
        // An event stream, not a page: the bell, queue refresh and "changed meanwhile" notes.
        route(M::GET, "/live", A, live::stream),
    ]
}

/// One link of the main navigation: the permission that shows it (none: everyone signed in),
/// where it goes, its element id and its label's message key.
pub struct NavLink {
    pub permission: Option<Permission>,
    pub href: &'static str,
    pub id: &'static str,
    pub label: &'static str,
}

pub(crate) const fn nav(
    permission: Option<Permission>,
    href: &'static str,
    id: &'static str,
    label: &'static str,
) -> NavLink {
    NavLink { permission, href, id, label }
}

/// The platform's own link; the areas bring theirs (each area's `NAV`).
const HOME: &[NavLink] = &[nav(None, "/", "nav-home", "nav.home")];

/// The main navigation, in order: one line per area, as in the route table.
pub fn navigation() -> impl Iterator<Item = &'static NavLink> {
    [
        HOME,
        crate::requests::NAV,
        crate::incidents::NAV,
        crate::alerts::NAV,
        crate::problems::NAV,
        crate::changes::NAV,
        crate::runbooks::NAV,
        crate::logs::NAV,
        crate::knowledge::NAV,
        crate::reviews::NAV,
        crate::identity::DIRECTORY_NAV,
        crate::cmdb::NAV,
        crate::reports::NAV,
        crate::surveys::NAV,
        crate::sla::NAV,
        crate::subscriptions::NAV,
        crate::identity::TOKENS_NAV,
        crate::audit::NAV,
    ]
    .into_iter()
    .flatten()
}

/// What the layout of every page needs.
pub struct Page<'a> {
    pub t: &'a Catalog,
    pub lang: Lang,
    pub user: Option<&'a User>,
    pub csrf: &'a str,
    pub path: String,
    pub title: String,
    /// The navigation links this actor may follow.
    pub nav: Vec<&'static NavLink>,
    pub is_admin: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
    /// The zone times are shown in: the user's choice, else the desk's report zone.
    pub zone: jiff::tz::TimeZone,
    /// When an alert counts as flapping (the configured policy).
    flap: steward_core::alerts::FlapPolicy,
}

impl<'a> Page<'a> {
    /// The page context for a signed-in actor. The language follows `?lang=`, the cookie,
    /// then the user's saved preference, then the browser.
    pub fn new(
        state: &'a AppState,
        actor: &'a Actor,
        headers: &HeaderMap,
        uri: &Uri,
        title_key: &str,
    ) -> Page<'a> {
        let mut lang = Lang::of_request(headers, uri.query());
        let chosen = uri.query().is_some_and(|q| q.contains("lang="))
            || crate::auth::cookie(headers, crate::i18n::LANG_COOKIE).is_some();
        if !chosen && let Some(saved) = actor.user.locale.as_deref().and_then(Lang::parse) {
            lang = saved;
        }
        let t = state.catalogs.get(lang);
        let csrf = match &actor.credential {
            Credential::Session { csrf_token, .. } => csrf_token.as_str(),
            _ => "",
        };
        let flash = |name: &str| -> Option<String> {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_str(uri.query().unwrap_or("")).ok()?;
            pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
        };
        Page {
            t,
            lang,
            user: Some(&actor.user),
            csrf,
            path: uri.path().to_owned(),
            title: t.get(title_key).to_owned(),
            nav: navigation().filter(|l| l.permission.is_none_or(|p| actor.can(p))).collect(),
            is_admin: actor.can(Permission::ManageDirectory),
            notice: flash("notice").and_then(|word| t.lookup(&format!("notice.{word}")).map(str::to_owned)),
            error: flash("error").and_then(|word| form_errors::text_of_word(t, &word)),
            zone: user_zone(state, &actor.user),
            flap: state.app.config().alert_flap,
        }
    }
}

impl<'a> Page<'a> {
    /// The page context before anyone signed in (no menu).
    pub(crate) fn anonymous(state: &'a AppState, headers: &HeaderMap, uri: &Uri, csrf: &'a str) -> Page<'a> {
        let lang = Lang::of_request(headers, uri.query());
        let t = state.catalogs.get(lang);
        Page {
            t,
            lang,
            user: None,
            csrf,
            path: uri.path().to_owned(),
            title: t.get("login.title").to_owned(),
            nav: Vec::new(),
            is_admin: false,
            notice: None,
            error: None,
            zone: state.app.config().report_zone.clone(),
            flap: state.app.config().alert_flap,
        }
    }
}

/// The zone a user reads times in: their choice, else the desk's report zone.
pub fn user_zone(state: &AppState, user: &User) -> jiff::tz::TimeZone {
    user.time_zone
        .as_deref()
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or_else(|| state.app.config().report_zone.clone())
}

impl Page<'_> {
    /// An instant to the minute in the reader's zone ("2026-12-05 17:09").
    pub fn minute(&self, at: jiff::Timestamp) -> String {
        at.to_zoned_datetime(self.zone.clone()).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// An instant to the second with its zone's abbreviation ("2026-12-05 17:09:30 CST").
    pub fn second(&self, at: jiff::Timestamp) -> String {
        at.to_zoned_datetime(self.zone.clone()).strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
    }

    /// The reader's zone by name, for captions ("Asia/Shanghai").
    pub fn zone_name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }

    /// When an alert counts as flapping (the configured policy).
    pub fn flap(&self) -> steward_core::alerts::FlapPolicy {
        self.flap
    }

    /// Whether the page is in Chinese (for text made outside the catalogue).
    pub fn lang_is_zh(&self) -> bool {
        self.lang == crate::i18n::Lang::ZhCn
    }

    /// A stored code shown by its name: the catalogue's `<kind>.<code>`, or the code itself
    /// where there is none (a CI class an admin named, say, is shown as they wrote it).
    pub fn code<'c>(&'c self, kind: &str, code: &'c str) -> &'c str {
        self.t.lookup(&format!("{kind}.{code}")).unwrap_or(code)
    }

    /// Whether the navigation shows the link with this id (a page can offer what it leads to).
    pub fn has_nav(&self, id: &str) -> bool {
        self.nav.iter().any(|l| l.id == id)
    }
}

/// A duration as people read it, in the reader's language: "2 d 4 h", "45 min", "3 h 5 min"
/// (never "3065 min"). Days are 24 hours; a negative duration reads as its size.
pub fn duration_text(t: &Catalog, minutes: i64) -> String {
    let m = minutes.unsigned_abs();
    let (d, h, min) = (m / 1440, m % 1440 / 60, m % 60);
    let mut parts = Vec::new();
    if d > 0 {
        parts.push(format!("{d} {}", t.get("unit.d")));
    }
    if h > 0 {
        parts.push(format!("{h} {}", t.get("unit.h")));
    }
    // Minutes are noise beside days; shown beside hours and alone.
    if min > 0 && d == 0 || parts.is_empty() {
        parts.push(format!("{min} {}", t.get("unit.min")));
    }
    parts.join(" ")
}

/// A file to save: its type, the name to save it under, the bytes.
pub fn download(content_type: &str, name: &str, body: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, content_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

/// Renders a template into a response.
pub fn render<T: Template>(template: &T) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(crate::error::plain_page("500", "internal error")))
                .into_response()
        }
    }
}

/// An error shown as an HTML page with the status the API would use.
pub struct WebError(pub ApiError);

impl From<AppError> for WebError {
    fn from(err: AppError) -> WebError {
        WebError(err.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.0.status;
        let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
        crate::error::error_page(status, &title, &self.0.message, self.0.field)
    }
}

pub type WebResult = Result<Response, WebError>;

/// What a form says when it worked: a word the server chose, shown from the catalogue
/// (`notice.<word>`). The redirect carries only the word, and a word the catalogue does not
/// know shows nothing, so a link cannot put words in Steward's mouth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    TokenRevoked,
    UserCreated,
    UserSaved,
    TeamCreated,
    MemberAdded,
    MemberRemoved,
    CategoryCreated,
    Saved,
    Read,
    ViewSaved,
    ViewDeleted,
    Sent,
    CiCreated,
    CiSaved,
    RelationshipAdded,
    ClassAdded,
    RoutingSaved,
    Deleted,
}

impl Notice {
    /// Every notice, for the test that each has its message.
    #[cfg(test)]
    pub const ALL: [Notice; 18] = [
        Notice::TokenRevoked,
        Notice::UserCreated,
        Notice::UserSaved,
        Notice::TeamCreated,
        Notice::MemberAdded,
        Notice::MemberRemoved,
        Notice::CategoryCreated,
        Notice::Saved,
        Notice::Read,
        Notice::ViewSaved,
        Notice::ViewDeleted,
        Notice::Sent,
        Notice::CiCreated,
        Notice::CiSaved,
        Notice::RelationshipAdded,
        Notice::ClassAdded,
        Notice::RoutingSaved,
        Notice::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Notice::TokenRevoked => "token_revoked",
            Notice::UserCreated => "user_created",
            Notice::UserSaved => "user_saved",
            Notice::TeamCreated => "team_created",
            Notice::MemberAdded => "member_added",
            Notice::MemberRemoved => "member_removed",
            Notice::CategoryCreated => "category_created",
            Notice::Saved => "saved",
            Notice::Read => "read",
            Notice::ViewSaved => "view_saved",
            Notice::ViewDeleted => "view_deleted",
            Notice::Sent => "sent",
            Notice::CiCreated => "ci_created",
            Notice::CiSaved => "ci_saved",
            Notice::RelationshipAdded => "relationship_added",
            Notice::ClassAdded => "class_added",
            Notice::RoutingSaved => "routing_saved",
            Notice::Deleted => "deleted",
        }
    }
}

/// After a form: back to `to` with its notice, or — for input the user can fix — with the
/// error's word, which the page shows in the user's language (see [`form_errors`]). Other
/// errors become error pages.
pub fn after_form<T>(result: Result<T, AppError>, to: &str, notice: Notice) -> WebResult {
    let (key, word) = match result {
        Ok(_) => ("notice", notice.as_str().to_owned()),
        Err(e) => match form_errors::redirect_word(&e) {
            Some(word) => ("error", word),
            None => return Err(e.into()),
        },
    };
    let query = serde_urlencoded::to_string([(key, word)]).unwrap_or_default();
    Ok(Redirect::to(&format!("{to}?{query}")).into_response())
}

/// Back to `to` with `err` shown on the page (or an error page, as [`after_form`]).
pub fn form_error(err: AppError, to: &str) -> WebResult {
    // The notice is never shown for an error.
    after_form::<()>(Err(err), to, Notice::Saved)
}

/// A page rendered again after a failed save: status 422, the page carrying the error's text
/// (the template keeps what was typed). Errors that are not the user's become error pages.
/// Returns whether there was an error, for [`answer`].
pub fn rerender(page: &mut Page<'_>, err: Option<AppError>) -> Result<bool, WebError> {
    let Some(err) = err else { return Ok(false) };
    match form_errors::error_text(page.t, &err) {
        Some(text) => {
            page.error = Some(text);
            Ok(true)
        }
        None => Err(err.into()),
    }
}

/// A page rendered by a form's handler: 422 when it comes back after a refused save.
pub fn answer(html: Response, failed: bool) -> WebResult {
    Ok(if failed { unprocessable(html) } else { html })
}

/// `response` with status 422: the form's input was not taken.
pub fn unprocessable(response: Response) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, response).into_response()
}

/// A url-encoded form body, with a 4xx page when it does not parse.
pub struct WebForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for WebForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(v)| WebForm(v))
            .map_err(|e| WebError(ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", e.body_text())))
    }
}

/// Where a ticket of `kind` is shown (an incident's page when the kind is not known).
pub fn ticket_href(
    kind: Option<steward_core::tickets::TicketKind>,
    id: steward_core::ids::TicketId,
) -> String {
    use steward_core::tickets::TicketKind;
    match kind {
        Some(TicketKind::Request) => format!("/requests/{id}"),
        Some(TicketKind::Problem) => format!("/problems/{id}"),
        Some(TicketKind::Change) => format!("/changes/{id}"),
        _ => format!("/incidents/{id}"),
    }
}

/// A role's name in the catalogue.
pub fn role_key(role: steward_core::identity::Role) -> &'static str {
    use steward_core::identity::Role;
    match role {
        Role::Requester => "role.requester",
        Role::Agent => "role.agent",
        Role::TeamLead => "role.team_lead",
        Role::ChangeManager => "role.change_manager",
        Role::Admin => "role.admin",
        Role::Auditor => "role.auditor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalogs, Lang};

    #[test]
    fn durations_read_as_days_hours_and_minutes() {
        let catalogs = Catalogs::load().unwrap();
        let (en, zh) = (catalogs.get(Lang::En), catalogs.get(Lang::ZhCn));
        assert_eq!(duration_text(en, 3120), "2 d 4 h");
        assert_eq!(duration_text(en, 2400), "1 d 16 h");
        assert_eq!(duration_text(en, 185), "3 h 5 min");
        assert_eq!(duration_text(en, 45), "45 min");
        assert_eq!(duration_text(en, 0), "0 min");
        assert_eq!(duration_text(en, -90), "1 h 30 min");
        assert_eq!(duration_text(zh, 3120), "2 天 4 小时");
    }
}
