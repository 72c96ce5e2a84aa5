//! Canned replies (issue 17, "writing"): texts a team answers with again and again, with
//! placeholders filled from the ticket when an agent picks one.
//!
//! The syntax is `{{ requester.name }}` and four more names, nothing else: no loops, no
//! conditions, no escaping. A template engine crate (askama is compile-time only; minijinja
//! would be a new dependency) would accept far more than an admin should type into a reply, and
//! what it accepted we would have to check anyway; the few lines below are the whole language.

use crate::ids::TeamId;

/// The placeholders a reply template may hold, as typed between `{{` and `}}`.
pub const PLACEHOLDERS: [&str; 5] =
    ["ticket.number", "ticket.title", "requester.name", "agent.name", "team.name"];

/// A template's longest name and body, in characters.
const MAX_NAME: usize = 100;
const MAX_BODY: usize = 10_000;

/// A reply template as an admin or a team's agent typed it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplate {
    pub name: String,
    pub body: String,
    /// The team that uses it; `None`: every agent.
    pub team_id: Option<TeamId>,
}

/// Why a template was refused: the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ReplyTemplateError {
    pub field: &'static str,
    pub message: String,
}

impl ReplyTemplate {
    pub fn parse(
        name: &str,
        body: &str,
        team_id: Option<TeamId>,
    ) -> Result<ReplyTemplate, ReplyTemplateError> {
        let refuse = |field, message: String| Err(ReplyTemplateError { field, message });
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return refuse("name", format!("give a name of 1 to {MAX_NAME} characters"));
        }
        let body = body.trim_end();
        if body.trim().is_empty() || body.chars().count() > MAX_BODY {
            return refuse("body", format!("give a text of 1 to {MAX_BODY} characters"));
        }
        for piece in pieces(body) {
            match piece {
                Piece::Placeholder(p) if !PLACEHOLDERS.contains(&p) => {
                    return refuse(
                        "body",
                        format!(
                            "unknown placeholder `{{{{ {p} }}}}`: use one of {}",
                            PLACEHOLDERS.join(", ")
                        ),
                    );
                }
                Piece::Unclosed => return refuse("body", "a `{{` is never closed by `}}`".into()),
                _ => {}
            }
        }
        Ok(ReplyTemplate { name: name.to_owned(), body: body.to_owned(), team_id })
    }
}

/// What the placeholders stand for on one ticket (empty when the ticket has none, e.g. no team).
#[derive(Debug, Clone, Default)]
pub struct ReplyValues {
    pub number: String,
    pub title: String,
    pub requester: String,
    pub agent: String,
    pub team: String,
}

/// The template's text with each placeholder replaced by the ticket's value. A stored body was
/// checked by `parse`; anything it would refuse is left as typed.
pub fn fill(body: &str, values: &ReplyValues) -> String {
    let mut out = String::with_capacity(body.len());
    for piece in pieces(body) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder(p) => out.push_str(match p {
                "ticket.number" => &values.number,
                "ticket.title" => &values.title,
                "requester.name" => &values.requester,
                "agent.name" => &values.agent,
                "team.name" => &values.team,
                _ => "",
            }),
            Piece::Unclosed => {}
        }
    }
    out
}

enum Piece<'a> {
    Text(&'a str),
    /// The trimmed name between `{{` and `}}`.
    Placeholder(&'a str),
    /// A `{{` with no `}}` after it (the rest of the text, as typed, came before as `Text`).
    Unclosed,
}

fn pieces(body: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push(Piece::Text(&rest[..open]));
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                out.push(Piece::Placeholder(after[..close].trim()));
                rest = &after[close + 2..];
            }
            None => {
                out.push(Piece::Text(&rest[open..]));
                out.push(Piece::Unclosed);
                return out;
            }
        }
    }
    out.push(Piece::Text(rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> ReplyValues {
        ReplyValues {
            number: "INC-000042".into(),
            title: "VPN drops".into(),
            requester: "Rita Chen".into(),
            agent: "Ada".into(),
            team: "Network".into(),
        }
    }

    #[test]
    fn placeholders_are_filled_from_the_ticket() {
        let t = ReplyTemplate::parse(
            " Restart ",
            "Hello {{requester.name}},\n{{ ticket.number }} ({{ticket.title}}) is with {{ team.name }}.\n— {{agent.name}}\n",
            None,
        )
        .unwrap();
        assert_eq!(t.name, "Restart");
        assert_eq!(
            fill(&t.body, &values()),
            "Hello Rita Chen,\nINC-000042 (VPN drops) is with Network.\n— Ada"
        );
        assert_eq!(fill("no placeholders {", &values()), "no placeholders {");
        assert_eq!(fill("{{ticket.number}}{{ticket.number}}", &ReplyValues::default()), "");
    }

    #[test]
    fn unknown_or_unclosed_placeholders_and_empty_texts_are_refused_by_field() {
        let err = ReplyTemplate::parse("x", "Hi {{ customer }}", None).unwrap_err();
        assert_eq!(err.field, "body");
        assert!(err.message.contains("customer") && err.message.contains("requester.name"), "{err}");
        assert_eq!(ReplyTemplate::parse("x", "Hi {{ requester.name", None).unwrap_err().field, "body");
        assert_eq!(ReplyTemplate::parse(" ", "Hi", None).unwrap_err().field, "name");
        assert_eq!(ReplyTemplate::parse(&"n".repeat(101), "Hi", None).unwrap_err().field, "name");
        assert_eq!(ReplyTemplate::parse("x", " \n ", None).unwrap_err().field, "body");
        assert!(ReplyTemplate::parse("名称", "您好 {{requester.name}}", Some(TeamId(3))).is_ok());
    }
}
