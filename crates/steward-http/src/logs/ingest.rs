//! Log senders: `POST /ingest/logs` (JSON lines, a JSON array, or plain text lines) and Loki's
//! push API, `POST /loki/api/v1/push` (JSON here; protobuf + snappy in `loki.rs`). A delivery is
//! answered only once its lines are committed.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_app::logs::{IncomingLine, LogIngestReport};
use steward_core::logs::Level;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, CurrentActor, RawBody};

#[derive(Deserialize, Default)]
pub struct IngestQuery {
    /// For lines that name none.
    source: Option<String>,
    host: Option<String>,
}

#[derive(Serialize)]
pub struct IngestAnswer {
    accepted: usize,
    truncated: usize,
    new_templates: usize,
    alerts: usize,
}

impl From<LogIngestReport> for IngestAnswer {
    fn from(r: LogIngestReport) -> Self {
        IngestAnswer {
            accepted: r.accepted,
            truncated: r.truncated,
            new_templates: r.new_templates,
            alerts: r.alerts,
        }
    }
}

/// `POST /ingest/logs`.
pub async fn logs(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<IngestQuery>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<IngestAnswer>> {
    let source = q.source.as_deref().unwrap_or("http");
    let host = q.host.as_deref().unwrap_or("");
    let plain = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    // Invalid UTF-8 in a log is common: it is kept as replacement characters, not refused.
    let text = String::from_utf8_lossy(&body);
    let lines = if plain {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| IncomingLine {
                source: source.into(),
                host: host.into(),
                message: l.trim_end_matches('\r').into(),
                ..IncomingLine::default()
            })
            .collect()
    } else {
        json_lines(&text, source, host)?
    };
    let report = state.app.logs().ingest(&actor, lines).await?;
    Ok(Json(report.into()))
}

/// JSON lines (or one JSON array): each an object with `message` (or `msg`, `line`, `log`) and
/// optionally `host`, `source`, `level`, `time`.
fn json_lines(text: &str, source: &str, host: &str) -> Result<Vec<IncomingLine>, ApiError> {
    let trimmed = text.trim_start();
    let values: Vec<(String, Value)> = if trimmed.starts_with('[') {
        let all: Vec<Value> = serde_json::from_str(trimmed)
            .map_err(|e| ApiError::invalid("lines", format!("not a JSON array: {e}")))?;
        all.into_iter().enumerate().map(|(i, v)| (format!("lines[{i}]"), v)).collect()
    } else {
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).map_err(|e| {
                ApiError::invalid(format!("lines[{i}]"), format!("line {} is not JSON: {e}", i + 1))
            })?;
            out.push((format!("lines[{i}]"), v));
        }
        out
    };
    values.into_iter().map(|(field, v)| json_line(&field, v, source, host)).collect()
}

fn json_line(field: &str, v: Value, source: &str, host: &str) -> Result<IncomingLine, ApiError> {
    let Value::Object(map) = v else {
        return Err(ApiError::invalid(field, "each line must be a JSON object with a `message`"));
    };
    let text = |keys: &[&str]| keys.iter().find_map(|k| map.get(*k).and_then(Value::as_str));
    let message = text(&["message", "msg", "line", "log"])
        .ok_or_else(|| ApiError::invalid(format!("{field}.message"), "a line needs a `message` (text)"))?;
    let level = match text(&["level", "severity"]) {
        Some(l) => Some(Level::parse(l).ok_or_else(|| {
            ApiError::invalid(format!("{field}.level"), "expected a level: error, warning, info, debug, …")
        })?),
        None => None,
    };
    let at = match map.get("time").or_else(|| map.get("timestamp")).or_else(|| map.get("ts")) {
        None | Some(Value::Null) => None,
        Some(v) => Some(time_of(v).ok_or_else(|| {
            ApiError::invalid(format!("{field}.time"), "expected RFC 3339 text or a Unix time")
        })?),
    };
    Ok(IncomingLine {
        at,
        source: text(&["source", "app", "service", "job"]).unwrap_or(source).into(),
        host: text(&["host", "hostname"]).unwrap_or(host).into(),
        level,
        message: message.into(),
    })
}

/// RFC 3339 text, or a Unix time in seconds, milliseconds or nanoseconds (by magnitude).
pub(crate) fn time_of(v: &Value) -> Option<Timestamp> {
    match v {
        Value::String(s) => s.parse().ok().or_else(|| s.parse::<i64>().ok().and_then(unix)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => unix(i),
            None => n.as_f64().and_then(|f| Timestamp::from_nanosecond((f * 1e9) as i128).ok()),
        },
        _ => None,
    }
}

pub(crate) fn unix(n: i64) -> Option<Timestamp> {
    let a = n.unsigned_abs();
    if a >= 100_000_000_000_000_000 {
        Timestamp::from_nanosecond(i128::from(n)).ok()
    } else if a >= 100_000_000_000 {
        Timestamp::from_millisecond(n).ok()
    } else {
        Timestamp::from_second(n).ok()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LokiPush {
    streams: Vec<LokiStream>,
}

#[derive(Deserialize)]
pub struct LokiStream {
    #[serde(default)]
    stream: std::collections::BTreeMap<String, String>,
    /// `[ts_ns, line]` or `[ts_ns, line, {structured metadata}]`.
    values: Vec<Vec<Value>>,
}

/// The stream labels Steward reads: host, source and level, by the names senders use.
pub(crate) fn stream_fields(
    labels: &std::collections::BTreeMap<String, String>,
) -> (String, String, Option<Level>) {
    let pick = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k)).cloned();
    let host = pick(&["host", "hostname", "instance", "node"]).unwrap_or_default();
    let source = pick(&["source", "job", "app", "service_name", "service", "container"])
        .unwrap_or_else(|| "loki".into());
    let level = pick(&["level", "severity", "detected_level"]).and_then(|l| Level::parse(&l));
    (host, source, level)
}

/// `POST /loki/api/v1/push`: Loki's JSON form, or protobuf + snappy (`Content-Type:
/// application/x-protobuf`). Answers 204 like Loki.
pub async fn loki(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let protobuf = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-protobuf"));
    let lines = if protobuf { super::loki::decode(&body)? } else { loki_json(&body)? };
    state.app.logs().ingest(&actor, lines).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn loki_json(body: &[u8]) -> Result<Vec<IncomingLine>, ApiError> {
    let push: LokiPush = crate::extract::parse_json(body)?;
    let mut lines = Vec::new();
    for (s, stream) in push.streams.into_iter().enumerate() {
        let (host, source, level) = stream_fields(&stream.stream);
        for (i, v) in stream.values.into_iter().enumerate() {
            let field = format!("streams[{s}].values[{i}]");
            let (Some(ts), Some(Value::String(line))) = (v.first(), v.get(1)) else {
                return Err(ApiError::invalid(field, "expected [\"<unix ns>\", \"<line>\"]"));
            };
            let at = match ts {
                Value::String(t) => t.parse::<i128>().ok().and_then(|n| Timestamp::from_nanosecond(n).ok()),
                _ => None,
            }
            .ok_or_else(|| {
                ApiError::invalid(format!("{field}[0]"), "expected a Unix time in nanoseconds, as text")
            })?;
            lines.push(IncomingLine {
                at: Some(at),
                source: source.clone(),
                host: host.clone(),
                level,
                message: line.clone(),
            });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_take_common_field_names_and_name_the_bad_line() {
        let text = "{\"msg\":\"disk full\",\"hostname\":\"db-01\",\"level\":\"ERROR\",\"ts\":1700000000}\n\n{\"message\":\"ok\"}\n";
        let lines = json_lines(text, "http", "default").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].host, "db-01");
        assert_eq!(lines[0].level, Some(Level::Error));
        assert_eq!(lines[0].at, Timestamp::from_second(1_700_000_000).ok());
        assert_eq!(lines[1].host, "default");
        let err = json_lines("{\"message\":\"a\"}\nnot json\n", "s", "h").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lines[1]"));
        let err = json_lines("{\"message\":3}", "s", "h").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lines[0].message"));
        let err = json_lines("[{\"message\":\"x\",\"level\":\"loud\"}]", "s", "h").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("lines[0].level"));
    }

    #[test]
    fn unix_times_by_magnitude() {
        let t = Timestamp::from_second(1_700_000_000).unwrap();
        assert_eq!(unix(1_700_000_000), Some(t));
        assert_eq!(unix(1_700_000_000_000), Some(t));
        assert_eq!(unix(1_700_000_000_000_000_000), Some(t));
    }
}
