//! SLA setup in the UI (issue 17): business calendars and policies, a calendar's edit form
//! (a change applies from now on; tickets keep their history) and a due-time calculator that
//! shows the working stretches a due time is made of, so an admin can check a calendar.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::AppError;
use steward_app::sla::NewCalendar;
use steward_core::identity::Permission;
use steward_core::ids::CalendarId;
use steward_store::{CalendarRecord, PolicyRecord};

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebError, WebForm, WebResult, after_form, duration_text, render};

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[derive(Template)]
#[template(path = "sla.html")]
struct SlaPage<'a> {
    page: Page<'a>,
    calendars: Vec<CalendarRecord>,
    /// (policy, calendar name, response, resolution, pause reasons' keys)
    policies: Vec<(PolicyRecord, String, String, String, Vec<String>)>,
    days: [&'static str; 7],
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    actor.require(Permission::ManageDirectory).map_err(WebError::from)?;
    let page = Page::new(&state, &actor, &headers, &uri, "sla.title");
    let calendars = state.app.sla().calendars(&actor).await?;
    let policies = state
        .app
        .sla()
        .policies(&actor)
        .await?
        .into_iter()
        .map(|p| {
            let calendar =
                calendars.iter().find(|c| c.id == p.calendar_id).map(|c| c.name.clone()).unwrap_or_default();
            let response = p.response_minutes.map_or_else(|| "—".to_owned(), |m| duration_text(page.t, m));
            let resolution = duration_text(page.t, p.resolution_minutes);
            let approval = steward_core::sla::PausePolicy::AWAITING_APPROVAL;
            let pauses = p
                .pause_reasons
                .iter()
                .map(|r| if r == approval { "sla.awaiting_approval".to_owned() } else { format!("hold.{r}") })
                .collect();
            (p, calendar, response, resolution, pauses)
        })
        .collect();
    Ok(render(&SlaPage { page, calendars, policies, days: DAYS }))
}

/// A calendar form: seven days' hours, dates one per line (or comma-separated), an `.ics`.
#[derive(Deserialize, Default)]
pub struct CalendarForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    mon: String,
    #[serde(default)]
    tue: String,
    #[serde(default)]
    wed: String,
    #[serde(default)]
    thu: String,
    #[serde(default)]
    fri: String,
    #[serde(default)]
    sat: String,
    #[serde(default)]
    sun: String,
    #[serde(default)]
    holidays: String,
    #[serde(default)]
    working_days: String,
    #[serde(default)]
    ics: String,
    #[serde(default)]
    always: bool,
}

fn dates(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|d| !d.is_empty()).map(str::to_owned).collect()
}

impl From<CalendarForm> for NewCalendar {
    fn from(f: CalendarForm) -> NewCalendar {
        NewCalendar {
            name: f.name,
            time_zone: f.time_zone,
            hours: [f.mon, f.tue, f.wed, f.thu, f.fri, f.sat, f.sun]
                .into_iter()
                .map(|h| h.trim().to_owned())
                .collect(),
            holidays: dates(&f.holidays),
            working_days: dates(&f.working_days),
            ics: (!f.ics.trim().is_empty()).then_some(f.ics),
            always: f.always,
        }
    }
}

pub async fn create_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<CalendarForm>,
) -> WebResult {
    let result = state.app.sla().create_calendar(&actor, form.into()).await;
    after_form(result, "/admin/sla", Notice::Saved)
}

#[derive(Deserialize, Default)]
pub struct CalculatorQuery {
    /// `YYYY-MM-DD HH:MM` in the calendar's time zone.
    start: Option<String>,
    /// Business minutes, or `4 h 30 min`.
    duration: Option<String>,
    lang: Option<String>,
}

/// The due time (local, in the calendar's zone), the stretches counted with their length,
/// and the due instant in UTC.
type Due = (String, Vec<(String, String, String)>, String);

#[derive(Template)]
#[template(path = "sla_calendar.html")]
struct CalendarPage<'a> {
    page: Page<'a>,
    c: CalendarRecord,
    days: Vec<(&'static str, String)>,
    start: String,
    duration: String,
    result: Option<Due>,
}

/// `1 d 4 h`, `4 h 30 min`, `90 min`, `2 h`, `150`: minutes (a day is 24 hours, as
/// [`duration_text`] writes it). English and Chinese units.
pub fn parse_minutes(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(m) = text.parse::<i64>() {
        return Some(m);
    }
    let spaced = text.replace("小时", " h ").replace("分钟", " min ").replace('天', " d ");
    // Runs of digits and runs of letters: "4h30min" reads as 4, h, 30, min.
    let mut tokens: Vec<String> = Vec::new();
    for c in spaced.chars() {
        match tokens.last_mut() {
            _ if c.is_whitespace() => tokens.push(String::new()),
            Some(last)
                if !last.is_empty() && last.chars().all(|x| x.is_ascii_digit()) == c.is_ascii_digit() =>
            {
                last.push(c)
            }
            _ => tokens.push(c.to_string()),
        }
    }
    let mut total = 0i64;
    let mut number: Option<i64> = None;
    for token in tokens.iter().filter(|t| !t.is_empty()) {
        match (token.parse::<i64>(), number) {
            (Ok(n), None) => number = Some(n),
            (Err(_), Some(n)) => {
                total += match token.as_str() {
                    "d" | "day" | "days" => n.checked_mul(1440)?,
                    "h" | "hour" | "hours" => n.checked_mul(60)?,
                    "m" | "min" | "mins" | "minutes" => n,
                    _ => return None,
                };
                number = None;
            }
            _ => return None,
        }
    }
    (number.is_none() && total > 0).then_some(total)
}

pub async fn calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<CalendarId>,
    ApiQuery(q): ApiQuery<CalculatorQuery>,
) -> WebResult {
    actor.require(Permission::ManageDirectory).map_err(WebError::from)?;
    let _ = q.lang;
    let mut page = Page::new(&state, &actor, &headers, &uri, "sla.calendar");
    let c = state
        .app
        .sla()
        .calendars(&actor)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound("calendar"))?;
    let zone = jiff::tz::TimeZone::get(&c.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let start = q.start.clone().unwrap_or_default();
    let duration = q.duration.clone().unwrap_or_default();
    let mut result = None;
    if !start.trim().is_empty() || !duration.trim().is_empty() {
        let parsed_start = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", start.trim())
            .ok()
            .and_then(|dt| zone.to_ambiguous_timestamp(dt).compatible().ok());
        match (parsed_start, parse_minutes(&duration)) {
            (None, _) => page.error = crate::web::form_errors::text_of_word(page.t, "invalid.start"),
            (_, None) => page.error = crate::web::form_errors::text_of_word(page.t, "invalid.duration"),
            (Some(from), Some(minutes)) => match state.app.sla().due(&actor, id, from, minutes).await {
                Ok((due, spans)) => {
                    let local = |t: jiff::Timestamp| {
                        let dt = zone.to_datetime(t);
                        let day = DAYS[dt.weekday().to_monday_zero_offset() as usize];
                        format!("{} {} {}", dt.date(), page.code("day", day), dt.strftime("%H:%M"))
                    };
                    let rows = spans
                        .iter()
                        .map(|(a, b)| {
                            (local(*a), local(*b), duration_text(page.t, b.duration_since(*a).as_mins()))
                        })
                        .collect();
                    result = Some((local(due), rows, due.to_string()));
                }
                Err(e) => page.error = crate::web::form_errors::error_text(page.t, &e),
            },
        }
    }
    page.title = format!("{} · {}", c.name, page.t.get("sla.calendar"));
    let days = DAYS
        .iter()
        .zip(c.hours.iter().cloned().chain(std::iter::repeat(String::new())))
        .map(|(d, h)| (*d, h))
        .collect();
    Ok(render(&CalendarPage { page, c, days, start, duration, result }))
}

pub async fn update_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CalendarId>,
    WebForm(form): WebForm<CalendarForm>,
) -> WebResult {
    let result = state.app.sla().update_calendar(&actor, id, form.into()).await;
    after_form(result, &format!("/admin/sla/calendars/{id}"), Notice::Saved)
}

pub async fn delete_calendar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<CalendarId>,
) -> WebResult {
    match state.app.sla().delete_calendar(&actor, id).await {
        Ok(()) => after_form(Ok(()), "/admin/sla", Notice::Saved),
        Err(e) => after_form::<()>(Err(e), &format!("/admin/sla/calendars/{id}"), Notice::Saved),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_minutes;

    #[test]
    fn durations_read_in_either_language() {
        assert_eq!(parse_minutes("150"), Some(150));
        assert_eq!(parse_minutes("4 h 30 min"), Some(270));
        assert_eq!(parse_minutes("4h30min"), Some(270));
        assert_eq!(parse_minutes("2 小时 5 分钟"), Some(125));
        // A day is 24 hours of counted time, as durations are written ("1 d 16 h").
        assert_eq!(parse_minutes("2 days"), Some(2880));
        assert_eq!(parse_minutes("1 天 16 小时"), Some(2400));
        assert_eq!(parse_minutes("2 weeks"), None);
        assert_eq!(parse_minutes("h"), None);
        assert_eq!(parse_minutes(""), None);
    }
}
