//! Relationship types between CIs, which classes each may join, and which way failure flows.
//!
//! An edge reads `from —type→ to`, and `from` relies on `to`: an application *runs on* a
//! server, a service *depends on* an application, a server *connects to* its switch. So when
//! `to` fails, `from` is affected (downstream), and `from`'s own health needs `to` (upstream).
//! A server failing does not take its switch down, nor the switch's other servers.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationType {
    DependsOn,
    RunsOn,
    ConnectsTo,
    MemberOf,
    BacksUp,
    LocatedIn,
    CoveredBy,
}

/// Any class, for rules open to admin-defined classes.
const ANY: &[&str] = &[];

/// (type, classes allowed at `from`, classes allowed at `to`); an empty list allows any class.
const RULES: &[(RelationType, &[&str], &[&str])] = &[
    (RelationType::DependsOn, ANY, ANY),
    (
        RelationType::RunsOn,
        &["application", "database", "container", "virtual_machine"],
        &["server", "virtual_machine", "container"],
    ),
    (
        RelationType::ConnectsTo,
        &["server", "virtual_machine", "network_device", "load_balancer", "storage"],
        &["server", "virtual_machine", "network_device", "load_balancer", "storage"],
    ),
    (
        RelationType::MemberOf,
        &["server", "virtual_machine", "container", "application", "database"],
        &["load_balancer", "business_service", "application"],
    ),
    (RelationType::BacksUp, &["storage", "server"], &["database", "server", "virtual_machine", "storage"]),
    (RelationType::LocatedIn, &["server", "network_device", "storage", "load_balancer"], &["location"]),
    (RelationType::CoveredBy, ANY, &["contract"]),
];

impl RelationType {
    pub const ALL: [RelationType; 7] = [
        RelationType::DependsOn,
        RelationType::RunsOn,
        RelationType::ConnectsTo,
        RelationType::MemberOf,
        RelationType::BacksUp,
        RelationType::LocatedIn,
        RelationType::CoveredBy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RelationType::DependsOn => "depends_on",
            RelationType::RunsOn => "runs_on",
            RelationType::ConnectsTo => "connects_to",
            RelationType::MemberOf => "member_of",
            RelationType::BacksUp => "backs_up",
            RelationType::LocatedIn => "located_in",
            RelationType::CoveredBy => "covered_by",
        }
    }

    /// How the edge reads from its `to` end: "used by", "hosts", …
    pub fn inverse_name(self) -> &'static str {
        match self {
            RelationType::DependsOn => "used_by",
            RelationType::RunsOn => "hosts",
            RelationType::ConnectsTo => "connects_to",
            RelationType::MemberOf => "has_member",
            RelationType::BacksUp => "backed_up_by",
            RelationType::LocatedIn => "houses",
            RelationType::CoveredBy => "covers",
        }
    }

    pub fn parse(s: &str) -> Result<RelationType, String> {
        RelationType::ALL.into_iter().find(|t| t.as_str() == s.trim()).ok_or_else(|| {
            let names: Vec<&str> = RelationType::ALL.iter().map(|t| t.as_str()).collect();
            format!("unknown relationship type `{s}`: expected one of {}", names.join(", "))
        })
    }

    /// Checks that this type may join a CI of class `from` to one of class `to`.
    pub fn check(self, from: &str, to: &str) -> Result<(), String> {
        let (_, froms, tos) = RULES.iter().find(|(t, _, _)| *t == self).copied().unwrap_or((self, ANY, ANY));
        let fits = |allowed: &[&str], class: &str| allowed.is_empty() || allowed.contains(&class);
        if fits(froms, from) && fits(tos, to) {
            Ok(())
        } else {
            Err(format!("a {from} may not be `{}` a {to}", self.as_str()))
        }
    }
}

impl fmt::Display for RelationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_follow_the_classes() {
        assert!(RelationType::RunsOn.check("application", "server").is_ok());
        assert!(RelationType::RunsOn.check("server", "application").is_err());
        assert!(RelationType::LocatedIn.check("server", "location").is_ok());
        assert!(RelationType::LocatedIn.check("server", "contract").is_err());
        assert!(RelationType::DependsOn.check("payroll_batch", "database").is_ok(), "open to admin classes");
        assert_eq!(
            RelationType::parse("hosts").unwrap_err().split(':').next(),
            Some("unknown relationship type `hosts`")
        );
    }
}
