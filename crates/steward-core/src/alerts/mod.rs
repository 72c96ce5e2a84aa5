//! Alerts from monitoring (issue 18): one normalised [`Alert`] whatever sent it, the rules that
//! say which alerts open an incident and at what priority, and what happens to an alert as its
//! history records it (`events.rs`).

mod events;
mod rules;
mod silence;

use std::collections::BTreeMap;

use jiff::Timestamp;

pub use events::{AlertEvent, AlertRuleEvent, MaintenanceEvent, SilenceEvent};
pub use rules::{AlertRule, Decision, Resolve, decide};
pub use silence::{Matcher, Silence};

/// Whether the condition an alert reports holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        match s.trim() {
            "firing" => Some(AlertStatus::Firing),
            "resolved" => Some(AlertStatus::Resolved),
            _ => None,
        }
    }
}

/// How bad an alert says things are, from its `severity` label in the words monitoring uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// A stored word (`as_str`), or a label value as senders write it: `critical`, `page`,
    /// `high`, `disaster` are critical; `warning`, `warn`, `average`, `medium` a warning;
    /// anything else (or nothing) is information.
    pub fn from_label(value: Option<&str>) -> Severity {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            Some("critical" | "crit" | "page" | "high" | "disaster" | "emergency" | "fatal" | "security") => {
                Severity::Critical
            }
            Some("warning" | "warn" | "average" | "medium" | "major" | "minor") => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

/// The labels that name what an alert is about, by default, in order.
pub const SUBJECT_LABELS: [&str; 4] = ["instance", "host", "hostname", "service"];

/// The longest label or annotation value kept, in characters.
const MAX_VALUE: usize = 4000;
/// The most labels and annotations an alert may carry (each).
const MAX_PAIRS: usize = 64;

/// One alert as a sender reported it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// `alertmanager`, `grafana`, `zabbix`, `generic`.
    pub source: String,
    /// What identifies the alert across re-sends: the sender's fingerprint, or one made from
    /// its labels.
    pub fingerprint: String,
    pub status: AlertStatus,
    pub severity: Severity,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Timestamp,
    /// When it stopped; `None` while firing.
    pub ends_at: Option<Timestamp>,
    /// A link back to where it came from.
    pub link: Option<String>,
}

/// Why an alert was refused: the field (a JSON path) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AlertError {
    pub field: String,
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> AlertError {
    AlertError { field: field.into(), message: message.into() }
}

/// The earliest and latest instants an alert may carry (before: a clock reset; after: a typo).
fn plausible(field: &str, t: Timestamp, now: Timestamp) -> Result<(), AlertError> {
    let earliest: Timestamp = "1970-01-01T00:00:00Z".parse().unwrap_or(Timestamp::UNIX_EPOCH);
    let latest = now.checked_add(jiff::SignedDuration::from_hours(24)).unwrap_or(now);
    if t < earliest || t > latest {
        return Err(refuse(field, format!("{t} is not a plausible time (1970 to a day from now)")));
    }
    Ok(())
}

/// What a receiver read from its sender, before checking.
#[derive(Debug, Clone, Default)]
pub struct RawAlert {
    pub fingerprint: Option<String>,
    pub status: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
    pub link: Option<String>,
}

impl Alert {
    /// Checks one alert; `field` names it in errors (`alerts[3]`), `now` bounds its times.
    pub fn parse(source: &str, field: &str, raw: RawAlert, now: Timestamp) -> Result<Alert, AlertError> {
        let status = AlertStatus::parse(&raw.status)
            .ok_or_else(|| refuse(format!("{field}.status"), "expected `firing` or `resolved`"))?;
        for (what, map) in [("labels", &raw.labels), ("annotations", &raw.annotations)] {
            if map.len() > MAX_PAIRS {
                return Err(refuse(format!("{field}.{what}"), format!("at most {MAX_PAIRS}")));
            }
            if let Some((k, _)) =
                map.iter().find(|(k, v)| k.is_empty() || k.len() > 200 || v.chars().count() > MAX_VALUE)
            {
                return Err(refuse(
                    format!("{field}.{what}.{k}"),
                    format!("names of 1 to 200 bytes, values of at most {MAX_VALUE} characters"),
                ));
            }
        }
        if raw.labels.is_empty() {
            return Err(refuse(format!("{field}.labels"), "an alert needs labels (at least `alertname`)"));
        }
        let starts_at = raw.starts_at.unwrap_or(now);
        plausible(&format!("{field}.startsAt"), starts_at, now)?;
        if let Some(end) = raw.ends_at {
            plausible(&format!("{field}.endsAt"), end, now)?;
        }
        let fingerprint = match raw.fingerprint.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()) {
            Some(f) if f.len() <= 200 => f,
            Some(_) => return Err(refuse(format!("{field}.fingerprint"), "at most 200 bytes")),
            None => label_fingerprint(&raw.labels),
        };
        Ok(Alert {
            source: source.to_owned(),
            fingerprint,
            status,
            severity: Severity::from_label(raw.labels.get("severity").map(String::as_str)),
            // A resolved alert ends when the sender says, else now; a firing one has not ended.
            ends_at: match status {
                AlertStatus::Firing => None,
                AlertStatus::Resolved => Some(raw.ends_at.unwrap_or(now)),
            },
            labels: raw.labels,
            annotations: raw.annotations,
            starts_at,
            // Only web links: a page shows it as one.
            link: raw
                .link
                .map(|l| l.trim().to_owned())
                .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
                .map(|l| l.chars().take(2000).collect()),
        })
    }

    /// What people call it: the `summary` annotation, else the `alertname` label.
    pub fn title(&self) -> String {
        let text = self
            .annotations
            .get("summary")
            .or_else(|| self.labels.get("alertname"))
            .cloned()
            .unwrap_or_else(|| "alert".to_owned());
        text.chars().take(150).collect()
    }

    /// The host or service the alert is about, from the labels monitoring puts it in
    /// (`instance` without its port, `host`, `hostname`, `service`).
    pub fn subject(&self) -> Option<String> {
        self.subject_by(&SUBJECT_LABELS)
    }

    /// [`Alert::subject`] from these labels, the first present (a configured mapping).
    pub fn subject_by<S: AsRef<str>>(&self, labels: &[S]) -> Option<String> {
        labels.iter().map(AsRef::as_ref).find_map(|k| {
            let v = self.labels.get(k)?.trim();
            // `10.0.0.5:9100` and `web01:9100` name the host; an IPv6 in brackets keeps them.
            let host = match v.rsplit_once(':') {
                Some((h, port))
                    if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(']')
                        || v.starts_with('[') =>
                {
                    h.trim_start_matches('[').trim_end_matches(']')
                }
                _ => v,
            };
            (!host.is_empty()).then(|| host.to_owned())
        })
    }
}

/// A fingerprint for senders that give none: the labels, sorted, hashed.
pub fn label_fingerprint(labels: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (k, v) in labels {
        h.update((k.len() as u64).to_be_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_be_bytes());
        h.update(v.as_bytes());
    }
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// When an alert is flapping: `changes` state changes (firing ↔ resolved) within `window`. A
/// flapping alert stops opening and resolving incidents until it settles (no change for a
/// window).
#[derive(Debug, Clone, Copy)]
pub struct FlapPolicy {
    pub changes: i64,
    pub window: jiff::SignedDuration,
}

impl Default for FlapPolicy {
    fn default() -> Self {
        FlapPolicy { changes: 4, window: jiff::SignedDuration::from_hours(1) }
    }
}

impl FlapPolicy {
    /// The count after one more change at `at`: a change after a quiet window starts anew.
    pub fn after_change(self, flips: i64, since: Option<Timestamp>, at: Timestamp) -> (i64, Timestamp) {
        match since {
            Some(s) if at.duration_since(s) <= self.window => (flips + 1, s),
            _ => (1, at),
        }
    }

    pub fn flapping(self, flips: i64, since: Option<Timestamp>, at: Timestamp) -> bool {
        flips >= self.changes && since.is_some_and(|s| at.duration_since(s) <= self.window)
    }
}

/// Whether an alert opens an incident, and at what impact and urgency: the default rules (a
/// critical alert opens a P2, a warning a P3, information nothing).
pub fn incident_levels(severity: Severity) -> Option<(i64, i64)> {
    match severity {
        Severity::Critical => Some((2, 1)),
        Severity::Warning => Some((2, 2)),
        Severity::Info => None,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod flap_tests {
    use super::*;

    #[test]
    fn four_changes_within_an_hour_flap_and_a_quiet_hour_settles() {
        let p = FlapPolicy::default();
        let t0: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let at = |m: i64| t0.checked_add(jiff::SignedDuration::from_mins(m)).unwrap();
        let (mut flips, mut since) = (0, None);
        for m in [0, 5, 10] {
            let (f, s) = p.after_change(flips, since, at(m));
            (flips, since) = (f, Some(s));
        }
        assert!(!p.flapping(flips, since, at(10)), "three changes");
        let (f, s) = p.after_change(flips, since, at(15));
        assert!(p.flapping(f, Some(s), at(15)), "the fourth within the hour");
        assert!(!p.flapping(f, Some(s), at(61)), "settled after a quiet window");
        assert_eq!(p.after_change(f, Some(s), at(90)), (1, at(90)), "a later change starts anew");
    }
}
