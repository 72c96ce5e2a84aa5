//! The CMDB: configuration item classes with typed attributes, relationship rules, and impact
//! analysis over the CI graph. Pure: the store supplies classes, CIs and edges.

mod classes;
mod events;
mod impact;
mod relations;

pub use classes::{
    AttrDef, AttrError, AttrType, AttrValue, ClassDef, RawValue, builtin_classes, parse_class_name,
};
pub use events::{CiClassEvent, CiEvent, CiField, RelationDetail};
pub use impact::{Direction, Edge, Hit, ImpactWalk, Step};
pub use relations::RelationType;

/// Where a CI is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiStatus {
    Planned,
    InService,
    Maintenance,
    Retired,
}

impl CiStatus {
    pub const ALL: [CiStatus; 4] =
        [CiStatus::Planned, CiStatus::InService, CiStatus::Maintenance, CiStatus::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            CiStatus::Planned => "planned",
            CiStatus::InService => "in_service",
            CiStatus::Maintenance => "maintenance",
            CiStatus::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Result<CiStatus, String> {
        CiStatus::ALL.into_iter().find(|c| c.as_str() == s.trim()).ok_or_else(|| {
            format!("unknown status `{s}`: expected planned, in_service, maintenance or retired")
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn server() -> ClassDef {
        builtin_classes().into_iter().find(|c| c.name == "server").unwrap()
    }

    fn raw(pairs: &[(&str, RawValue)]) -> BTreeMap<String, RawValue> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn attributes_are_typed_and_normalized() {
        let ok = server()
            .validate(&raw(&[
                ("hostname", RawValue::Text(" web01 ".into())),
                ("ip_address", RawValue::Text("2001:DB8::1".into())),
                ("cpu_cores", RawValue::Text("8".into())),
                ("location", RawValue::Number(12.0)),
            ]))
            .unwrap();
        assert_eq!(ok["hostname"].0, "web01");
        assert_eq!(ok["ip_address"].0, "2001:db8::1", "canonical IPv6");
        assert_eq!(ok["cpu_cores"].0, "8");
        assert_eq!(server().references(&ok), vec![("location", "location", crate::ids::CiId(12))]);
    }

    #[test]
    fn bad_attributes_name_the_attribute() {
        let cases = [
            (
                raw(&[("hostname", RawValue::Text("a".into())), ("colour", RawValue::Text("red".into()))]),
                "colour",
            ),
            (
                raw(&[
                    ("hostname", RawValue::Text("a".into())),
                    ("ip_address", RawValue::Text("300.1.1.1".into())),
                ]),
                "ip_address",
            ),
            (
                raw(&[
                    ("hostname", RawValue::Text("a".into())),
                    ("cpu_cores", RawValue::Text("many".into())),
                ]),
                "cpu_cores",
            ),
            (raw(&[("os", RawValue::Text("linux".into()))]), "hostname"),
            (raw(&[("hostname", RawValue::Text("  ".into()))]), "hostname"),
        ];
        for (input, attr) in cases {
            assert_eq!(server().validate(&input).unwrap_err().attr, attr);
        }
        assert!(AttrType::parse("enum:").is_err());
        assert_eq!(AttrType::parse("enum:a|b").unwrap().to_string(), "enum:a|b");
        assert!(CiStatus::parse("broken").is_err());
        assert!(parse_class_name("Server").is_err() && parse_class_name("payroll_batch").is_ok());
    }
}
