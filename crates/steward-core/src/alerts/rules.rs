//! Alert rules: which alerts open incidents, at what impact and urgency, and whether the
//! incident resolves itself when its alerts clear. Rules are tried in order and the first whose
//! matchers all hold decides; with none matching, the defaults decide (a critical alert opens a
//! P2, a warning a P3, information nothing; incidents resolve themselves). Either way, the
//! matched CI's criticality raises the impact: a criticality-1 CI makes it high, a
//! criticality-2 CI at least medium.

use std::collections::BTreeMap;

use super::{Alert, AlertError, Matcher, incident_levels};

/// What happens when every alert of an incident has cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolve {
    /// The incident resolves itself, with a note.
    Auto,
    /// A work note says the alerts cleared; a person resolves it.
    Confirm,
}

impl Resolve {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolve::Auto => "auto",
            Resolve::Confirm => "confirm",
        }
    }

    pub fn parse(s: &str) -> Option<Resolve> {
        match s.trim() {
            "auto" => Some(Resolve::Auto),
            "confirm" => Some(Resolve::Confirm),
            _ => None,
        }
    }
}

/// One rule, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    pub name: String,
    /// Over the alert's labels, where `severity` is the normalised word (`critical`, `warning`,
    /// `info`), `source` the sender, and `ci_criticality` the matched CI's (1–5).
    pub matchers: Vec<Matcher>,
    /// Whether matching alerts open (or join) an incident at all.
    pub opens: bool,
    /// 1 (high) to 3; `None`: from the severity.
    pub impact: Option<i64>,
    pub urgency: Option<i64>,
    pub resolve: Resolve,
}

impl AlertRule {
    pub fn parse(
        name: &str,
        matchers: &[String],
        opens: bool,
        impact: Option<i64>,
        urgency: Option<i64>,
        resolve: &str,
    ) -> Result<AlertRule, AlertError> {
        let refuse = |field: &str, m: &str| AlertError { field: field.into(), message: m.into() };
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(refuse("name", "a name of 1 to 100 characters"));
        }
        let matchers: Vec<Matcher> = matchers
            .iter()
            .map(|m| m.trim())
            .filter(|m| !m.is_empty())
            .map(Matcher::parse)
            .collect::<Result<_, _>>()?;
        if matchers.is_empty() || matchers.len() > 20 {
            return Err(refuse("matchers", "1 to 20 matchers, such as severity=critical"));
        }
        for (field, level) in [("impact", impact), ("urgency", urgency)] {
            if level.is_some_and(|l| !(1..=3).contains(&l)) {
                return Err(refuse(field, "1 (high) to 3 (low)"));
            }
        }
        let resolve = Resolve::parse(resolve).ok_or_else(|| refuse("resolve", "auto or confirm"))?;
        Ok(AlertRule { name: name.to_owned(), matchers, opens, impact, urgency, resolve })
    }
}

/// What the rules decide for one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// `Some((impact, urgency))` when it opens or joins an incident.
    pub levels: Option<(i64, i64)>,
    pub resolve: Resolve,
}

/// The labels rules match against: the alert's, with `severity` normalised, the sender as
/// `source`, and the matched CI's criticality.
fn facts(alert: &Alert, ci_criticality: Option<i64>) -> BTreeMap<String, String> {
    let mut labels = alert.labels.clone();
    labels.insert("severity".into(), alert.severity.as_str().into());
    labels.insert("source".into(), alert.source.clone());
    if let Some(c) = ci_criticality {
        labels.insert("ci_criticality".into(), c.to_string());
    }
    labels
}

/// The first matching rule's decision, else the defaults; then the CI's criticality.
pub fn decide(rules: &[AlertRule], alert: &Alert, ci_criticality: Option<i64>) -> Decision {
    let labels = facts(alert, ci_criticality);
    let default = incident_levels(alert.severity);
    let mut decision = match rules.iter().find(|r| r.matchers.iter().all(|m| m.matches(&labels))) {
        Some(r) if r.opens => {
            let (impact, urgency) = default.unwrap_or((2, 2));
            Decision {
                levels: Some((r.impact.unwrap_or(impact), r.urgency.unwrap_or(urgency))),
                resolve: r.resolve,
            }
        }
        Some(r) => Decision { levels: None, resolve: r.resolve },
        None => Decision { levels: default, resolve: Resolve::Auto },
    };
    if let (Some((impact, urgency)), Some(c)) = (decision.levels, ci_criticality) {
        let floor = match c {
            1 => 1,
            2 => 2,
            _ => 3,
        };
        decision.levels = Some((impact.min(floor), urgency));
    }
    decision
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{RawAlert, Severity};

    fn alert(severity: &str, team: &str) -> Alert {
        let raw = RawAlert {
            status: "firing".into(),
            labels: BTreeMap::from([
                ("alertname".into(), "DiskFull".into()),
                ("severity".into(), severity.into()),
                ("team".into(), team.into()),
            ]),
            ..RawAlert::default()
        };
        Alert::parse("alertmanager", "a", raw, "2030-01-01T00:00:00Z".parse().unwrap()).unwrap()
    }

    #[test]
    fn defaults_then_first_matching_rule_then_criticality() {
        let a = alert("high", "storage");
        assert_eq!(a.severity, Severity::Critical);
        assert_eq!(decide(&[], &a, None), Decision { levels: Some((2, 1)), resolve: Resolve::Auto });
        assert_eq!(decide(&[], &alert("info", "x"), None).levels, None);
        let rules = vec![
            AlertRule::parse(
                "storage waits",
                &["team=storage".into(), "severity=critical".into()],
                true,
                Some(3),
                Some(3),
                "confirm",
            )
            .unwrap(),
            AlertRule::parse("mute batch", &["team=batch".into()], false, None, None, "auto").unwrap(),
            AlertRule::parse(
                "everything critical",
                &["severity=critical".into()],
                true,
                Some(1),
                None,
                "auto",
            )
            .unwrap(),
        ];
        assert_eq!(decide(&rules, &a, None), Decision { levels: Some((3, 3)), resolve: Resolve::Confirm });
        assert_eq!(decide(&rules, &alert("critical", "batch"), None).levels, None, "a rule can mute");
        assert_eq!(decide(&rules, &alert("critical", "web"), None).levels, Some((1, 1)));
        // A criticality-1 CI makes the impact high; a criticality-4 one changes nothing.
        assert_eq!(decide(&rules, &a, Some(1)).levels, Some((1, 3)));
        assert_eq!(decide(&[], &alert("warning", "x"), Some(4)).levels, Some((2, 2)));
        assert_eq!(decide(&[], &alert("warning", "x"), Some(2)).levels, Some((2, 2)));
        assert_eq!(decide(&[], &alert("warning", "x"), Some(1)).levels, Some((1, 2)));
        // `ci_criticality` and `source` can be matched.
        let on_crown_jewels = vec![
            AlertRule::parse(
                "crown jewels",
                &["ci_criticality=1".into(), "source=alertmanager".into()],
                true,
                None,
                Some(1),
                "auto",
            )
            .unwrap(),
        ];
        assert_eq!(decide(&on_crown_jewels, &alert("warning", "x"), Some(1)).levels, Some((1, 1)));
        assert!(AlertRule::parse("x", &[], true, None, None, "auto").is_err());
        assert_eq!(
            AlertRule::parse("x", &["a=b".into()], true, Some(4), None, "auto").unwrap_err().field,
            "impact"
        );
        assert_eq!(
            AlertRule::parse("x", &["a=b".into()], true, None, None, "later").unwrap_err().field,
            "resolve"
        );
    }
}
