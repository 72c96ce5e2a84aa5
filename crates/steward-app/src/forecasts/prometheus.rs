//! Prometheus' HTTP query API (`/api/v1/query_range`), read through the hyper client the
//! subscriptions use. Anything but a `success` matrix is an error in words, never a panic.

use jiff::Timestamp;
use serde::Deserialize;

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    error: Option<String>,
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    values: Vec<(f64, String)>,
}

#[derive(Deserialize)]
struct ScalarAnswer {
    status: String,
    data: Option<ScalarData>,
}

#[derive(Deserialize)]
struct ScalarData {
    result: (f64, String),
}

/// Prometheus' own time (unix seconds): forecasts are read on its clock, so a skew between the
/// two servers' clocks moves no window.
pub async fn now(base: &str) -> Result<f64, String> {
    let url = format!("{}/api/v1/query?query=time()", base.trim_end_matches('/'));
    let (status, body) =
        crate::subscriptions::post::send("GET", &url, &[], String::new(), std::time::Duration::from_secs(10))
            .await
            .map_err(|e| format!("Prometheus is unreachable: {e}"))?;
    let answer: ScalarAnswer = serde_json::from_str(&body).map_err(|e| {
        format!("Prometheus answered {status} with something that is not its API's JSON: {e}")
    })?;
    match (answer.status.as_str(), answer.data) {
        ("success", Some(d)) if d.result.0.is_finite() => Ok(d.result.0),
        _ => Err("Prometheus did not tell its time".into()),
    }
}

/// The first series of `query` over `[start, end]` every `step` seconds, as (unix seconds, value).
pub async fn query_range(
    base: &str,
    query: &str,
    start: Timestamp,
    end: Timestamp,
    step: i64,
) -> Result<Vec<(f64, f64)>, String> {
    let url = format!(
        "{}/api/v1/query_range?query={}&start={}&end={}&step={step}",
        base.trim_end_matches('/'),
        encode(query),
        start.as_second(),
        end.as_second()
    );
    let (status, body) =
        crate::subscriptions::post::send("GET", &url, &[], String::new(), std::time::Duration::from_secs(10))
            .await
            .map_err(|e| format!("Prometheus is unreachable: {e}"))?;
    let answer: Answer = serde_json::from_str(&body).map_err(|e| {
        format!("Prometheus answered {status} with something that is not its API's JSON: {e}")
    })?;
    if answer.status != "success" {
        return Err(format!("Prometheus refused the query: {}", answer.error.unwrap_or_default()));
    }
    let data = answer.data.ok_or("Prometheus answered without data")?;
    if data.result_type != "matrix" {
        return Err(format!("expected a range of samples, got a {}", data.result_type));
    }
    let series = data.result.into_iter().next().ok_or("the query matched no series")?;
    Ok(series
        .values
        .into_iter()
        .filter_map(|(t, v)| v.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| (t, v)))
        .collect())
}

/// Percent-encodes a query parameter (RFC 3986 unreserved characters kept). Hand-rolled: the
/// app has no URL crate, and this is the one place it builds a query string.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn queries_are_encoded() {
        assert_eq!(super::encode("up{job=\"a b\"}"), "up%7Bjob%3D%22a%20b%22%7D");
        assert_eq!(super::encode("中"), "%E4%B8%AD");
    }
}
