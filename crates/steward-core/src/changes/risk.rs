//! A change's risk: the answers to a configurable questionnaire plus factors computed from the
//! CMDB and the change's history, summed into a score and a class — with every point explained.

use crate::tickets::FieldError;
use crate::words::word_enum;

word_enum! {
    RiskClass, "risk_class" {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
}

impl RiskClass {
    /// Scores below 25 are low, below 50 medium, the rest high.
    pub fn of(score: i64) -> RiskClass {
        match score {
            ..25 => RiskClass::Low,
            25..50 => RiskClass::Medium,
            _ => RiskClass::High,
        }
    }

    pub fn rank(self) -> u8 {
        match self {
            RiskClass::Low => 0,
            RiskClass::Medium => 1,
            RiskClass::High => 2,
        }
    }
}

/// One question of the questionnaire with its answers and their points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: i64,
    pub text: String,
    pub options: Vec<(String, i64)>,
}

pub const MAX_POINTS: i64 = 50;

impl Question {
    /// A question from its text and its answers, one per line as `answer | points`.
    pub fn parse(id: i64, text: &str, options: &str) -> Result<Question, FieldError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 300 || text.chars().any(char::is_control) {
            return Err(FieldError::new("text", "a question needs a text of 1–300 characters"));
        }
        let mut parsed = Vec::new();
        for line in options.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let bad = || {
                FieldError::new(
                    "options",
                    format!(
                        "`{}` is not `answer | points` with points 0 to {MAX_POINTS}",
                        line.chars().take(60).collect::<String>()
                    ),
                )
            };
            let (label, points) = line.rsplit_once('|').ok_or_else(bad)?;
            let points: i64 = points.trim().parse().map_err(|_| bad())?;
            let label = label.trim();
            if label.is_empty() || label.chars().any(char::is_control) || !(0..=MAX_POINTS).contains(&points)
            {
                return Err(bad());
            }
            parsed.push((label.to_owned(), points));
        }
        if parsed.len() < 2 || parsed.len() > 10 {
            return Err(FieldError::new("options", "a question needs 2 to 10 answers"));
        }
        Ok(Question { id, text: text.to_owned(), options: parsed })
    }

    pub fn options_text(&self) -> String {
        self.options.iter().map(|(l, p)| format!("{l} | {p}")).collect::<Vec<_>>().join("\n")
    }
}

/// What the CMDB and the record say about a change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The most critical (lowest number, 1–5) of the affected CIs and the services they reach.
    pub criticality: Option<i64>,
    /// How many CIs the impact analysis of the affected CIs reaches.
    pub blast_radius: usize,
    /// Failed or backed-out changes on these CIs before.
    pub failed_before: usize,
    /// Whether the planned start lies inside business hours (users are at work).
    pub in_business_hours: bool,
}

/// Why a change got some of its points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Factor {
    Answer { question: String, answer: String },
    Criticality(i64),
    BlastRadius(usize),
    FailedBefore(usize),
    BusinessHours,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub factor: Factor,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub score: i64,
    pub class: RiskClass,
    pub reasons: Vec<Reason>,
}

/// Scores the answers (question id → index of the answer chosen) and the facts. Every
/// question must be answered.
pub fn assess(questions: &[Question], answers: &[(i64, usize)], facts: &Facts) -> Result<Risk, FieldError> {
    let mut reasons = Vec::new();
    for q in questions {
        let chosen = answers.iter().find(|(id, _)| *id == q.id).map(|(_, i)| *i);
        let Some((answer, points)) = chosen.and_then(|i| q.options.get(i)) else {
            return Err(FieldError::new("answers", format!("answer the question “{}”", q.text)));
        };
        reasons.push(Reason {
            factor: Factor::Answer { question: q.text.clone(), answer: answer.clone() },
            points: *points,
        });
    }
    if let Some(c) = facts.criticality {
        let points = match c {
            1 => 30,
            2 => 20,
            3 => 10,
            _ => 0,
        };
        reasons.push(Reason { factor: Factor::Criticality(c), points });
    }
    let blast = match facts.blast_radius {
        100.. => 20,
        20..100 => 10,
        5..20 => 5,
        _ => 0,
    };
    reasons.push(Reason { factor: Factor::BlastRadius(facts.blast_radius), points: blast });
    if facts.failed_before > 0 {
        let points = (10 * facts.failed_before as i64).min(30);
        reasons.push(Reason { factor: Factor::FailedBefore(facts.failed_before), points });
    }
    if facts.in_business_hours {
        reasons.push(Reason { factor: Factor::BusinessHours, points: 10 });
    }
    let score = reasons.iter().map(|r| r.points).sum();
    Ok(Risk { score, class: RiskClass::of(score), reasons })
}

/// The reasons as stored: one per line, `points\tkind\tdetail`.
pub fn reasons_text(reasons: &[Reason]) -> String {
    reasons
        .iter()
        .map(|r| {
            let (kind, detail) = match &r.factor {
                Factor::Answer { question, answer } => ("answer", format!("{question}\t{answer}")),
                Factor::Criticality(c) => ("criticality", c.to_string()),
                Factor::BlastRadius(n) => ("blast_radius", n.to_string()),
                Factor::FailedBefore(n) => ("failed_before", n.to_string()),
                Factor::BusinessHours => ("business_hours", String::new()),
            };
            let clean = |s: String| s.replace(['\n', '\r'], " ");
            format!("{}\t{kind}\t{}", r.points, clean(detail))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads stored reasons back (lines it cannot read are skipped: they were written by this code).
pub fn reasons_from_text(text: &str) -> Vec<Reason> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, '\t');
            let points = parts.next()?.parse().ok()?;
            let kind = parts.next()?;
            let detail = parts.next().unwrap_or("");
            let factor = match kind {
                "answer" => {
                    let (q, a) = detail.split_once('\t')?;
                    Factor::Answer { question: q.into(), answer: a.into() }
                }
                "criticality" => Factor::Criticality(detail.parse().ok()?),
                "blast_radius" => Factor::BlastRadius(detail.parse().ok()?),
                "failed_before" => Factor::FailedBefore(detail.parse().ok()?),
                "business_hours" => Factor::BusinessHours,
                _ => return None,
            };
            Some(Reason { factor, points })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<Question> {
        vec![
            Question::parse(1, "Has this been tested?", "Yes, in staging | 0\nNo | 20").unwrap(),
            Question::parse(2, "Can it be backed out?", "In minutes | 0\nHardly | 15").unwrap(),
        ]
    }

    #[test]
    fn a_database_change_in_office_hours_is_high_with_reasons() {
        let facts =
            Facts { criticality: Some(1), blast_radius: 30, failed_before: 1, in_business_hours: true };
        let risk = assess(&questions(), &[(1, 0), (2, 1)], &facts).unwrap();
        assert_eq!(risk.score, 15 + 30 + 10 + 10 + 10);
        assert_eq!(risk.class, RiskClass::High);
        assert_eq!(reasons_from_text(&reasons_text(&risk.reasons)), risk.reasons);
        let quiet = assess(&questions(), &[(1, 0), (2, 0)], &Facts::default()).unwrap();
        assert_eq!((quiet.score, quiet.class), (0, RiskClass::Low));
    }

    #[test]
    fn every_question_must_be_answered() {
        let err = assess(&questions(), &[(1, 0)], &Facts::default()).unwrap_err();
        assert_eq!(err.field, "answers");
        let err = assess(&questions(), &[(1, 0), (2, 9)], &Facts::default()).unwrap_err();
        assert!(err.message.contains("backed out"));
    }

    #[test]
    fn questions_parse_their_answers() {
        assert_eq!(questions()[0].options_text(), "Yes, in staging | 0\nNo | 20");
        assert_eq!(Question::parse(1, "q", "a | 1").unwrap_err().field, "options");
        assert_eq!(Question::parse(1, "q", "a | 1\nb | 99").unwrap_err().field, "options");
        assert_eq!(Question::parse(1, "q", "a | x\nb | 2").unwrap_err().field, "options");
        assert_eq!(Question::parse(1, " ", "a | 1\nb | 2").unwrap_err().field, "text");
    }

    #[test]
    fn classes_by_score() {
        assert_eq!(RiskClass::of(24), RiskClass::Low);
        assert_eq!(RiskClass::of(25), RiskClass::Medium);
        assert_eq!(RiskClass::of(50), RiskClass::High);
    }
}
