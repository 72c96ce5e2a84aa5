//! What the logs API answers.

use serde::Serialize;
use steward_app::logs::TemplateDetail;
use steward_store::{LogHostRecord, LogTemplateRecord, StoredLine};
use utoipa::ToSchema;

use crate::api::time;

#[derive(Serialize, ToSchema)]
pub struct LogTemplateJson {
    id: i64,
    /// The template, `<*>` for each variable.
    text: String,
    /// Lines in all (kept or not).
    lines: i64,
    /// Lines in the window asked for.
    recent: i64,
    /// The most severe level seen.
    level: &'static str,
    first_seen: String,
    last_seen: String,
    example: Option<String>,
}

impl From<&LogTemplateRecord> for LogTemplateJson {
    fn from(t: &LogTemplateRecord) -> Self {
        LogTemplateJson {
            id: t.id,
            text: t.text.clone(),
            lines: t.lines,
            recent: t.recent,
            level: t.level.as_str(),
            first_seen: time(t.first_seen),
            last_seen: time(t.last_seen),
            example: t.example.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LogMinuteJson {
    /// The minute's start.
    at: String,
    lines: i64,
}

#[derive(Serialize, ToSchema)]
pub struct LogTemplateHostJson {
    host: String,
    ci_id: Option<steward_core::ids::CiId>,
    lines: i64,
    last_seen: String,
}

#[derive(Serialize, ToSchema)]
pub struct LogTemplateDetailJson {
    template: LogTemplateJson,
    /// Lines per minute in the window (minutes without lines are left out).
    minutes: Vec<LogMinuteJson>,
    hosts: Vec<LogTemplateHostJson>,
}

impl From<&TemplateDetail> for LogTemplateDetailJson {
    fn from(d: &TemplateDetail) -> Self {
        LogTemplateDetailJson {
            template: (&d.template).into(),
            minutes: d
                .minutes
                .iter()
                .filter_map(|(m, n)| {
                    Some(LogMinuteJson { at: time(jiff::Timestamp::from_second(m * 60).ok()?), lines: *n })
                })
                .collect(),
            hosts: d
                .hosts
                .iter()
                .map(|(host, ci, lines, last)| LogTemplateHostJson {
                    host: host.clone(),
                    ci_id: *ci,
                    lines: *lines,
                    last_seen: time(*last),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LogLineJson {
    at: String,
    source: String,
    host: String,
    level: &'static str,
    template_id: i64,
    message: String,
}

impl From<&StoredLine> for LogLineJson {
    fn from(l: &StoredLine) -> Self {
        LogLineJson {
            at: jiff::Timestamp::from_millisecond(l.at_ms).map(time).unwrap_or_default(),
            source: l.source.clone(),
            host: l.host.clone(),
            level: l.level().as_str(),
            template_id: l.template,
            message: l.message.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LogHostJson {
    host: String,
    /// The CI of the same name, if the CMDB has one.
    ci_id: Option<steward_core::ids::CiId>,
    lines: i64,
    first_seen: String,
    last_seen: String,
}

impl From<&LogHostRecord> for LogHostJson {
    fn from(h: &LogHostRecord) -> Self {
        LogHostJson {
            host: h.host.clone(),
            ci_id: h.ci_id,
            lines: h.lines,
            first_seen: time(h.first_seen),
            last_seen: time(h.last_seen),
        }
    }
}
