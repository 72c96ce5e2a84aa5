//! What happens to SLA calendars and policies, as the audit trail records it. (An incident's
//! SLA warnings and breaches are incident events: `tickets::IncidentEvent`.)

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlaCalendarEvent {
    /// `hours`: the seven weekdays' hours from Monday; `holidays` and `working_days`: how many
    /// dates of each (events written before working days existed read as 0).
    Created {
        name: String,
        time_zone: String,
        hours: Vec<String>,
        holidays: i64,
        working_days: i64,
    },
    /// A new definition, applying from now on (the fields as in `Created`).
    Updated {
        name: String,
        time_zone: String,
        hours: Vec<String>,
        holidays: i64,
        working_days: i64,
    },
    Deleted {
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlaPolicyEvent {
    Created {
        name: String,
        priority: Option<i64>,
        resolution_minutes: i64,
    },
    /// A new definition for tickets opened from now on (what it reads after the change).
    Updated {
        name: String,
        priority: Option<i64>,
        resolution_minutes: i64,
    },
    /// No longer applies to tickets opened from now on.
    Deleted {
        name: String,
    },
}
