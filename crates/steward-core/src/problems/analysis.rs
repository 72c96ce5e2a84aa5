//! A problem's root-cause analysis, recorded in structured form: a 5-Whys chain, fishbone
//! (Ishikawa) causes by category, the root cause, the workaround and the permanent fix — and
//! what each problem state demands of it.

use crate::events::{Changes, Field, FieldValue, Fields};
use crate::tickets::{FieldError, State, parse_description};

/// The fishbone's bones, as IT teams usually name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bone {
    People,
    Process,
    Technology,
    Environment,
    Supplier,
    Measurement,
}

impl Bone {
    pub const ALL: &'static [Bone] = &[
        Bone::People,
        Bone::Process,
        Bone::Technology,
        Bone::Environment,
        Bone::Supplier,
        Bone::Measurement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Bone::People => "people",
            Bone::Process => "process",
            Bone::Technology => "technology",
            Bone::Environment => "environment",
            Bone::Supplier => "supplier",
            Bone::Measurement => "measurement",
        }
    }

    pub fn parse(s: &str) -> Result<Bone, FieldError> {
        Bone::ALL.iter().copied().find(|b| b.as_str() == s.trim()).ok_or_else(|| {
            let names: Vec<&str> = Bone::ALL.iter().map(|b| b.as_str()).collect();
            FieldError::new(
                "fishbone",
                format!(
                    "unknown fishbone category `{}`: expected one of {}",
                    s.chars().take(40).collect::<String>(),
                    names.join(", ")
                ),
            )
        })
    }
}

/// One contributing cause on the fishbone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub bone: Bone,
    pub text: String,
}

/// The analysis as recorded; every part may be empty while the investigation runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// "Why?" asked again and again: each answer one line, the last nearest the root.
    pub whys: Vec<String>,
    pub fishbone: Vec<Cause>,
    pub root_cause: String,
    pub workaround: String,
    pub permanent_fix: String,
}

/// The most whys and causes one analysis holds, and the longest line of either.
pub const MAX_WHYS: usize = 10;
pub const MAX_CAUSES: usize = 60;
pub const MAX_LINE: usize = 500;

fn line(field: &'static str, text: &str) -> Result<String, FieldError> {
    let t = text.trim();
    if t.chars().count() > MAX_LINE {
        return Err(FieldError::new(
            field,
            format!("each line of {field} may not exceed {MAX_LINE} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(field, format!("{field} may not contain control characters")));
    }
    Ok(t.to_owned())
}

impl Analysis {
    /// Checks and tidies an analysis as typed: blank whys and causes are dropped.
    pub fn parse(
        whys: &[String],
        fishbone: &[(String, String)],
        root_cause: &str,
        workaround: &str,
        permanent_fix: &str,
    ) -> Result<Analysis, FieldError> {
        let whys: Vec<String> = whys
            .iter()
            .map(|w| line("whys", w))
            .filter(|w| !matches!(w, Ok(w) if w.is_empty()))
            .collect::<Result<_, _>>()?;
        if whys.len() > MAX_WHYS {
            return Err(FieldError::new("whys", format!("at most {MAX_WHYS} whys")));
        }
        let mut causes = Vec::new();
        for (bone, text) in fishbone {
            let text = line("fishbone", text)?;
            if text.is_empty() {
                continue;
            }
            causes.push(Cause { bone: Bone::parse(bone)?, text });
        }
        if causes.len() > MAX_CAUSES {
            return Err(FieldError::new("fishbone", format!("at most {MAX_CAUSES} causes")));
        }
        Ok(Analysis {
            whys,
            fishbone: causes,
            root_cause: parse_description("root_cause", root_cause)?.trim().to_owned(),
            workaround: parse_description("workaround", workaround)?.trim().to_owned(),
            permanent_fix: parse_description("permanent_fix", permanent_fix)?.trim().to_owned(),
        })
    }

    /// What a problem needs recorded before it may enter `to`: a root cause to be "root cause
    /// known", a workaround to be a known error (it is what the known-error database publishes).
    pub fn ready_for(&self, to: State) -> Result<(), FieldError> {
        match to {
            State::RootCauseKnown if self.root_cause.is_empty() => {
                Err(FieldError::new("root_cause", "record the root cause before moving to root_cause_known"))
            }
            State::KnownError if self.workaround.is_empty() => {
                Err(FieldError::new("workaround", "record the workaround before moving to known_error"))
            }
            _ => Ok(()),
        }
    }

    /// The fishbone's causes of one bone.
    pub fn causes(&self, bone: Bone) -> impl Iterator<Item = &str> {
        self.fishbone.iter().filter(move |c| c.bone == bone).map(|c| c.text.as_str())
    }
}

/// The analysis' parts as events record them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnalysisField {
    Whys,
    Fishbone,
    RootCause,
    Workaround,
    PermanentFix,
}

impl Field for AnalysisField {
    const ALL: &'static [AnalysisField] = &[
        AnalysisField::Whys,
        AnalysisField::Fishbone,
        AnalysisField::RootCause,
        AnalysisField::Workaround,
        AnalysisField::PermanentFix,
    ];

    fn as_str(self) -> &'static str {
        match self {
            AnalysisField::Whys => "whys",
            AnalysisField::Fishbone => "fishbone",
            AnalysisField::RootCause => "root_cause",
            AnalysisField::Workaround => "workaround",
            AnalysisField::PermanentFix => "permanent_fix",
        }
    }
}

/// The analysis as named fields. Whys are one per line and causes `bone: text` per line; a
/// line never holds a line break, so the text reads back exactly.
pub fn analysis_fields(a: &Analysis) -> Fields<AnalysisField> {
    let text = |s: &str| FieldValue::Text(s.to_owned());
    let fishbone: Vec<String> =
        a.fishbone.iter().map(|c| format!("{}: {}", c.bone.as_str(), c.text)).collect();
    Fields(vec![
        (AnalysisField::Whys, FieldValue::Text(a.whys.join("\n"))),
        (AnalysisField::Fishbone, FieldValue::Text(fishbone.join("\n"))),
        (AnalysisField::RootCause, text(&a.root_cause)),
        (AnalysisField::Workaround, text(&a.workaround)),
        (AnalysisField::PermanentFix, text(&a.permanent_fix)),
    ])
}

/// What one edit of the analysis changed; `None` when nothing did.
pub fn analysis_changes(before: &Analysis, after: &Analysis) -> Option<Changes<AnalysisField>> {
    Fields::changes_from(&analysis_fields(before), &analysis_fields(after))
}

/// Reads the fishbone back from its stored lines.
pub fn fishbone_from_lines(text: &str) -> Vec<Cause> {
    text.lines()
        .filter_map(|l| {
            let (bone, cause) = l.split_once(": ")?;
            Some(Cause { bone: Bone::parse(bone).ok()?, text: cause.to_owned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(whys: &[&str], bones: &[(&str, &str)]) -> Result<Analysis, FieldError> {
        let whys: Vec<String> = whys.iter().map(|s| s.to_string()).collect();
        let bones: Vec<(String, String)> =
            bones.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Analysis::parse(&whys, &bones, " pool too small ", "", "")
    }

    #[test]
    fn an_analysis_is_tidied_and_checked() {
        let a =
            parse(&["db slow", " ", "pool exhausted"], &[("technology", "pool size 10"), ("process", "")])
                .unwrap();
        assert_eq!(a.whys, ["db slow", "pool exhausted"]);
        assert_eq!(a.fishbone, [Cause { bone: Bone::Technology, text: "pool size 10".into() }]);
        assert_eq!(a.root_cause, "pool too small");
        assert_eq!(parse(&[], &[("weather", "x")]).unwrap_err().field, "fishbone");
        assert_eq!(parse(&["a\u{7}"], &[]).unwrap_err().field, "whys");
        assert_eq!(parse(&["w"; 11], &[]).unwrap_err().field, "whys");
        assert_eq!(parse(&[&"x".repeat(501)], &[]).unwrap_err().field, "whys");
    }

    #[test]
    fn states_demand_their_parts() {
        let empty = Analysis::default();
        assert_eq!(empty.ready_for(State::RootCauseKnown).unwrap_err().field, "root_cause");
        assert_eq!(empty.ready_for(State::KnownError).unwrap_err().field, "workaround");
        assert!(empty.ready_for(State::UnderInvestigation).is_ok());
        let a = Analysis { root_cause: "r".into(), workaround: "w".into(), ..Analysis::default() };
        assert!(a.ready_for(State::RootCauseKnown).is_ok() && a.ready_for(State::KnownError).is_ok());
    }

    #[test]
    fn the_fishbone_reads_back_from_its_fields() {
        let a = parse(&["a"], &[("people", "on-call: new"), ("supplier", "ISP")]).unwrap();
        let fields = analysis_fields(&a);
        let text = fields.get(AnalysisField::Fishbone).and_then(|v| v.as_text()).unwrap();
        assert_eq!(fishbone_from_lines(text), a.fishbone);
        assert!(analysis_changes(&a, &a).is_none());
        let b = Analysis { workaround: "restart".into(), ..a.clone() };
        let c = analysis_changes(&a, &b).unwrap();
        assert_eq!(c.after.0.len(), 1);
    }
}
