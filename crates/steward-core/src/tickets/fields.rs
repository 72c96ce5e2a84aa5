//! Validated ticket fields.

use std::fmt;

/// A field that failed its rule, named as the API names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError { field, message: message.into() }
    }
}

/// The kinds of ticket. One record type serves them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TicketKind {
    Incident,
    Problem,
    Change,
    /// A service request ordered from the catalogue (`requests`).
    Request,
}

impl TicketKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Incident => "incident",
            TicketKind::Problem => "problem",
            TicketKind::Change => "change",
            TicketKind::Request => "request",
        }
    }

    /// The prefix of human ticket numbers: INC000042.
    pub fn prefix(self) -> &'static str {
        match self {
            TicketKind::Incident => "INC",
            TicketKind::Problem => "PRB",
            TicketKind::Change => "CHG",
            TicketKind::Request => "REQ",
        }
    }

    pub fn parse(s: &str) -> Result<TicketKind, FieldError> {
        match s {
            "incident" => Ok(TicketKind::Incident),
            "problem" => Ok(TicketKind::Problem),
            "change" => Ok(TicketKind::Change),
            "request" => Ok(TicketKind::Request),
            other => Err(FieldError::new("kind", format!("unknown ticket kind `{other}`"))),
        }
    }
}

pub fn ticket_number(kind: TicketKind, n: i64) -> String {
    format!("{}{n:06}", kind.prefix())
}

/// A ticket title: 1–200 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Title, FieldError> {
        let t = input.trim();
        if t.is_empty() {
            return Err(FieldError::new("title", "a title is required"));
        }
        if t.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "title",
                format!("a title may not exceed {} characters", Self::MAX_CHARS),
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(FieldError::new("title", "a title may not contain control characters"));
        }
        Ok(Title(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Descriptions and comments are Markdown up to 64 KiB.
pub fn parse_description(field: &'static str, input: &str) -> Result<String, FieldError> {
    const MAX: usize = 64 * 1024;
    if input.len() > MAX {
        return Err(FieldError::new(field, format!("{field} may not exceed {} KiB", MAX / 1024)));
    }
    if input.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(field, format!("{field} may not contain control characters")));
    }
    Ok(input.trim_end().to_owned())
}

/// Up to 20 tags of 1–40 letters, digits, `-`, `_` or `.`, lower-cased, unique, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(Vec<String>);

impl Tags {
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Tags, FieldError> {
        let mut tags: Vec<String> = Vec::new();
        for item in items {
            let tag = item.as_ref().trim().to_lowercase();
            if tag.is_empty() {
                continue;
            }
            let ok = tag.chars().count() <= 40
                && tag.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(FieldError::new(
                    "tags",
                    format!("`{tag}` is not a valid tag (letters, digits, - _ .)"),
                ));
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > 20 {
            return Err(FieldError::new("tags", "at most 20 tags"));
        }
        tags.sort();
        Ok(Tags(tags))
    }

    /// Stored form: space-separated.
    pub fn from_stored(s: &str) -> Tags {
        Tags(s.split(' ').filter(|t| !t.is_empty()).map(str::to_owned).collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for Tags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(Title::parse("  VPN down  ").unwrap().as_str(), "VPN down");
        assert_eq!(Title::parse("数据库连接池耗尽").unwrap().as_str(), "数据库连接池耗尽");
        assert_eq!(Title::parse("   ").unwrap_err().field, "title");
        assert!(Title::parse(&"x".repeat(201)).is_err());
        assert!(Title::parse(&"界".repeat(200)).is_ok());
        assert!(Title::parse("a\u{7}b").is_err());
        assert_eq!(ticket_number(TicketKind::Incident, 42), "INC000042");
        assert_eq!(ticket_number(TicketKind::Incident, 1_234_567), "INC1234567");
    }

    #[test]
    fn descriptions_and_tags() {
        assert!(parse_description("description", "line\nnext\ttab").is_ok());
        assert!(parse_description("description", &"x".repeat(70_000)).is_err());
        assert!(parse_description("body", "bell\u{7}").is_err());
        let tags = Tags::parse(&["VPN", "network", "vpn", " ", "数据库"]).unwrap();
        assert_eq!(tags.to_string(), "network vpn 数据库");
        assert_eq!(Tags::from_stored(&tags.to_string()), tags);
        assert!(Tags::parse(&["a b"]).is_err());
    }
}
