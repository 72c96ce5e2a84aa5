//! Silences and maintenance windows (issue 18): label matchers over a time range. An alert a
//! silence matches is recorded and marked, never dropped; it only opens no incident.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::AlertError;

/// One condition on a label: `name=value` (equal) or `name!=value` (not equal; a missing
/// label counts as empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub name: String,
    pub equal: bool,
    pub value: String,
}

impl Matcher {
    pub fn parse(text: &str) -> Result<Matcher, AlertError> {
        let refuse = |m: &str| AlertError { field: "matchers".into(), message: format!("`{text}`: {m}") };
        let (name, equal, value) = match text.split_once("!=") {
            Some((n, v)) => (n, false, v),
            None => match text.split_once('=') {
                Some((n, v)) => (n, true, v),
                None => return Err(refuse("write `label=value` or `label!=value`")),
            },
        };
        let (name, value) = (name.trim(), value.trim().trim_matches('"'));
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(refuse("a label name is letters, digits and `_`"));
        }
        Ok(Matcher { name: name.to_owned(), equal, value: value.to_owned() })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let actual = labels.get(&self.name).map(String::as_str).unwrap_or("");
        (actual == self.value) == self.equal
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.name, if self.equal { "=" } else { "!=" }, self.value)
    }
}

/// A silence as checked: at least one matcher, an end after its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silence {
    pub matchers: Vec<Matcher>,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub comment: String,
}

impl Silence {
    pub fn parse(
        matchers: &[String],
        starts_at: Timestamp,
        ends_at: Timestamp,
        comment: &str,
    ) -> Result<Silence, AlertError> {
        let matchers = matchers
            .iter()
            .filter(|m| !m.trim().is_empty())
            .map(|m| Matcher::parse(m))
            .collect::<Result<Vec<_>, _>>()?;
        let refuse = |field: &str, message: &str| AlertError { field: field.into(), message: message.into() };
        if matchers.is_empty() || matchers.len() > 20 {
            return Err(refuse("matchers", "give 1 to 20 matchers, one per line"));
        }
        if !matchers.iter().any(|m| m.equal && !m.value.is_empty()) {
            // A silence of nothing but `!=` would silence almost everything by accident.
            return Err(refuse("matchers", "at least one matcher must be `label=value`"));
        }
        if ends_at <= starts_at {
            return Err(refuse("ends_at", "a silence ends after it starts"));
        }
        let comment = comment.trim();
        if comment.is_empty() || comment.chars().count() > 1000 {
            return Err(refuse("comment", "say why, in 1 to 1000 characters"));
        }
        Ok(Silence { matchers, starts_at, ends_at, comment: comment.to_owned() })
    }

    /// Whether it holds at `at` and every matcher matches `labels`.
    pub fn silences(&self, labels: &BTreeMap<String, String>, at: Timestamp) -> bool {
        self.starts_at <= at && at < self.ends_at && self.matchers.iter().all(|m| m.matches(labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_silence_matches_by_labels_within_its_window() {
        let s = Silence::parse(
            &["alertname=HostDown".into(), "instance != db01:9100".into(), " ".into()],
            t("2030-01-01T00:00:00Z"),
            t("2030-01-01T02:00:00Z"),
            "patching the web tier",
        )
        .unwrap();
        let labels = |i: &str| {
            BTreeMap::from([
                ("alertname".to_owned(), "HostDown".to_owned()),
                ("instance".to_owned(), i.to_owned()),
            ])
        };
        assert!(s.silences(&labels("web01:9100"), t("2030-01-01T01:00:00Z")));
        assert!(!s.silences(&labels("db01:9100"), t("2030-01-01T01:00:00Z")), "the != matcher");
        assert!(!s.silences(&labels("web01:9100"), t("2030-01-01T02:00:00Z")), "ended");
        assert_eq!(s.matchers[1].to_string(), "instance!=db01:9100");
    }

    #[test]
    fn bad_silences_are_refused_by_field() {
        let (a, b) = (t("2030-01-01T00:00:00Z"), t("2030-01-01T01:00:00Z"));
        assert_eq!(Silence::parse(&["oops".into()], a, b, "x").unwrap_err().field, "matchers");
        assert_eq!(Silence::parse(&["job!=x".into()], a, b, "x").unwrap_err().field, "matchers");
        assert_eq!(Silence::parse(&["job=x".into()], b, a, "x").unwrap_err().field, "ends_at");
        assert_eq!(Silence::parse(&["job=x".into()], a, b, " ").unwrap_err().field, "comment");
        assert_eq!(Silence::parse(&["a-b=x".into()], a, b, "x").unwrap_err().field, "matchers");
    }
}
