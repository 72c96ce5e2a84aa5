//! The two exposition formats `/metrics` speaks, chosen from the scraper's `Accept` header.
//!
//! prometheus-client writes only OpenMetrics. Prometheus' classic text parser (and `promtool
//! check metrics`) reads that as untyped families without help: a counter's `# TYPE` names
//! `x` while its samples are `x_total`, and `# UNIT`/`# EOF` are not part of the format. So the
//! classic form is derived here from the OpenMetrics text, line by line, rather than keeping a
//! second registry: counters' `# HELP`/`# TYPE` take the `_total` name, `_created` samples,
//! `# UNIT` and `# EOF` go, and `info`/`unknown` become `gauge`/`untyped`.

use std::collections::HashSet;

pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenMetrics,
    PrometheusText,
}

impl Format {
    /// OpenMetrics when the client prefers it (Prometheus asks for it first); the classic text
    /// otherwise, including when there is no `Accept` header at all.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let (mut open, mut text) = (0.0_f32, 0.0_f32);
        for range in accept.unwrap_or("").split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let q =
                parts.filter_map(|p| p.strip_prefix("q=")).find_map(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            match media.as_str() {
                "application/openmetrics-text" => open = open.max(q),
                "text/plain" | "text/*" | "*/*" => text = text.max(q),
                _ => {}
            }
        }
        if open > 0.0 && open >= text { Format::OpenMetrics } else { Format::PrometheusText }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS,
            Format::PrometheusText => PROMETHEUS_TEXT,
        }
    }
}

/// The Prometheus text format (0.0.4) of an OpenMetrics exposition.
pub fn prometheus_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|t| t.split_once(' '))
        .filter(|(_, kind)| *kind == "counter")
        .map(|(name, _)| name)
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let kept = if let Some(help) = line.strip_prefix("# HELP ") {
            let (name, text) = help.split_once(' ').unwrap_or((help, ""));
            let name = if counters.contains(name) { format!("{name}_total") } else { name.to_owned() };
            format!("# HELP {name} {text}")
        } else if let Some(kind) = line.strip_prefix("# TYPE ") {
            match kind.split_once(' ') {
                Some((name, "counter")) => format!("# TYPE {name}_total counter"),
                Some((name, "info")) => format!("# TYPE {name}_info gauge"),
                Some((name, "unknown")) => format!("# TYPE {name} untyped"),
                _ => line.to_owned(),
            }
        } else {
            let name = line.split(['{', ' ']).next().unwrap_or("");
            let created = name.strip_suffix("_created").is_some_and(|base| counters.contains(base));
            if created {
                continue;
            }
            line.to_owned()
        };
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_asks_for_openmetrics_and_everyone_else_gets_text() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;\
                          version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(Format::negotiate(None), Format::PrometheusText);
        assert_eq!(Format::negotiate(Some("*/*")), Format::PrometheusText);
        assert_eq!(Format::negotiate(Some("text/plain;version=0.0.4")), Format::PrometheusText);
        let text_first = "text/plain;q=0.9, application/openmetrics-text;q=0.5";
        assert_eq!(Format::negotiate(Some(text_first)), Format::PrometheusText);
    }

    #[test]
    fn counters_take_their_sample_name_and_openmetrics_only_lines_go() {
        let open = "# HELP steward_http_requests HTTP requests.\n\
                    # TYPE steward_http_requests counter\n\
                    steward_http_requests_total{method=\"GET\"} 3\n\
                    steward_http_requests_created{method=\"GET\"} 1.7e9\n\
                    # HELP steward_wait Wait.\n\
                    # TYPE steward_wait histogram\n\
                    # UNIT steward_wait seconds\n\
                    steward_wait_bucket{le=\"+Inf\"} 1\n\
                    # EOF\n";
        let text = "# HELP steward_http_requests_total HTTP requests.\n\
                    # TYPE steward_http_requests_total counter\n\
                    steward_http_requests_total{method=\"GET\"} 3\n\
                    # HELP steward_wait Wait.\n\
                    # TYPE steward_wait histogram\n\
                    steward_wait_bucket{le=\"+Inf\"} 1\n";
        assert_eq!(prometheus_text(open), text);
    }
}
