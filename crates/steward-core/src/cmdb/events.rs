//! What happens to configuration items and their classes, as their history records it.

use super::RelationType;
use crate::events::{Changes, Field, Fields};
use crate::ids::{CiId, RelationId};

/// A CI's fields as events record them (the stored names never change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CiField {
    Class,
    Name,
    ExternalId,
    Status,
    OwnerTeamId,
    Criticality,
    /// The attributes as one map of name → canonical value.
    Attrs,
}

impl Field for CiField {
    const ALL: &'static [CiField] = &[
        CiField::Class,
        CiField::Name,
        CiField::ExternalId,
        CiField::Status,
        CiField::OwnerTeamId,
        CiField::Criticality,
        CiField::Attrs,
    ];

    fn as_str(self) -> &'static str {
        match self {
            CiField::Class => "class",
            CiField::Name => "name",
            CiField::ExternalId => "external_id",
            CiField::Status => "status",
            CiField::OwnerTeamId => "owner_team_id",
            CiField::Criticality => "criticality",
            CiField::Attrs => "attrs",
        }
    }
}

/// A relationship as a CI's history records it; imports made before ids were recorded with
/// relationships have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationDetail {
    pub relation_id: Option<RelationId>,
    pub kind: RelationType,
    pub from: CiId,
    pub to: CiId,
}

/// One change to a CI. A relationship is recorded on both of its ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CiEvent {
    Created(Fields<CiField>),
    /// Changed fields; an import records every field on both sides.
    Updated(Changes<CiField>),
    Related(RelationDetail),
    Unrelated(RelationDetail),
}

/// A CI class defined by an admin (its name is the entity's id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CiClassEvent {
    Created { attrs: Vec<String> },
}
