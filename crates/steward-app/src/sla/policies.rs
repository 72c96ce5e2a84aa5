//! Managing SLA policies (issue 17): create, edit and delete. A ticket is measured by the
//! policies as they stood when it was opened — an edit or a deletion applies to tickets opened
//! from then on, and older tickets keep the targets they were promised.

use jiff::{SignedDuration, Timestamp};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::sla::{PausePolicy, SlaPolicyEvent};
use steward_core::tickets::{HoldReason, Priority, TicketKind};
use steward_store::{PolicyHistory, PolicyRecord};

use super::{NewPolicy, calendar_of, condition, escalation};
use crate::{Actor, AppError, Result, record};

/// The policies in force for a ticket opened at `opened`, in the order they are tried: each
/// policy not deleted by then, in the definition it had then.
pub(super) fn as_of(history: &PolicyHistory, opened: Timestamp) -> Vec<&PolicyRecord> {
    let mut out: Vec<&PolicyRecord> = history
        .policies
        .iter()
        .filter(|(_, deleted)| deleted.is_none_or(|d| d > opened))
        .map(|(current, _)| {
            history
                .versions
                .iter()
                .find(|(v, until)| v.id == current.id && *until > opened)
                .map_or(current, |(v, _)| v)
        })
        .collect();
    out.sort_by_key(|p| (p.rank, p.id));
    out
}

/// Whether any policy, now or in an earlier definition, satisfies `test`.
pub(super) fn any(history: &PolicyHistory, test: impl Fn(&PolicyRecord) -> bool) -> bool {
    history.policies.iter().map(|(p, _)| p).chain(history.versions.iter().map(|(p, _)| p)).any(test)
}

impl crate::Sla<'_> {
    pub async fn create_policy(self, actor: &Actor, input: NewPolicy) -> Result<i64> {
        actor.require(Permission::ManageDirectory)?;
        let policy = self.checked_policy(0, &input).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_sla_policy(at, &policy).await?;
        let event = SlaPolicyEvent::Created {
            name: policy.name.clone(),
            priority: policy.priority,
            resolution_minutes: policy.resolution_minutes,
        };
        record(&mut tx, at, Some(actor), DomainEvent::SlaPolicy { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Gives policy `id` a new definition for tickets opened from now on.
    /// A `kind` left out keeps the policy's own.
    pub async fn update_policy(self, actor: &Actor, id: i64, mut input: NewPolicy) -> Result<PolicyRecord> {
        actor.require(Permission::ManageDirectory)?;
        let policies = self.store.sla_policies().await?;
        let current = policies.iter().find(|p| p.id == id).ok_or(AppError::NotFound("policy"))?;
        if input.kind.as_deref().is_none_or(|k| k.trim().is_empty()) {
            input.kind = Some(current.kind.clone());
        }
        let policy = self.checked_policy(id, &input).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.update_sla_policy(at, &policy).await? {
            return Err(AppError::NotFound("policy"));
        }
        let event = SlaPolicyEvent::Updated {
            name: policy.name.clone(),
            priority: policy.priority,
            resolution_minutes: policy.resolution_minutes,
        };
        record(&mut tx, at, Some(actor), DomainEvent::SlaPolicy { id, event }).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Stops policy `id` applying to tickets opened from now on.
    pub async fn delete_policy(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageDirectory)?;
        let policies = self.store.sla_policies().await?;
        let policy = policies.iter().find(|p| p.id == id).ok_or(AppError::NotFound("policy"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_sla_policy(at, id).await? {
            return Err(AppError::NotFound("policy"));
        }
        let event = SlaPolicyEvent::Deleted { name: policy.name.clone() };
        record(&mut tx, at, Some(actor), DomainEvent::SlaPolicy { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A policy as typed, checked against the calendars, categories and teams it names.
    async fn checked_policy(self, id: i64, input: &NewPolicy) -> Result<PolicyRecord> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", "a policy name must be 1 to 80 characters, one line"));
        }
        let resolution = input
            .resolution_minutes
            .ok_or_else(|| AppError::invalid("resolution_minutes", "a policy needs a resolution target"))?;
        for (field, minutes) in
            [("resolution_minutes", Some(resolution)), ("response_minutes", input.response_minutes)]
        {
            if minutes.is_some_and(|m| !(1..=525_600).contains(&m)) {
                return Err(AppError::invalid(field, "a target must be between 1 minute and a year"));
            }
        }
        if let Some(p) = input.priority {
            Priority::new(p).map_err(AppError::from)?;
        }
        let calendars = self.store.sla_calendars().await?;
        let Some(calendar) = calendars.iter().find(|c| c.id == input.calendar_id) else {
            return Err(AppError::invalid("calendar_id", format!("no calendar {}", input.calendar_id)));
        };
        // A target the calendar cannot reach would leave every matching incident without a clock.
        let longest = resolution.max(input.response_minutes.unwrap_or(0));
        if calendar_of(calendar)?.add(self.now(), SignedDuration::from_mins(longest)).is_err() {
            return Err(AppError::invalid(
                "resolution_minutes",
                "this calendar has too little working time to ever reach the target",
            ));
        }
        let kind = match input.kind.as_deref().map(str::trim) {
            None | Some("") | Some("incident") => TicketKind::Incident,
            Some("request") => TicketKind::Request,
            Some(other) => {
                return Err(AppError::invalid(
                    "kind",
                    format!("`{other}` is not a kind a policy measures: incident or request"),
                ));
            }
        };
        if let Some(c) = input.category_id {
            if kind == TicketKind::Request {
                return Err(AppError::invalid(
                    "category_id",
                    "requests have no incident category: choose a catalogue item instead",
                ));
            }
            if !self.store.categories().await?.iter().any(|x| x.id == c) {
                return Err(AppError::invalid("category_id", format!("no category {c}")));
            }
        }
        if let Some(item) = input.item_id {
            if kind != TicketKind::Request {
                return Err(AppError::invalid("item_id", "only a request policy names a catalogue item"));
            }
            if self.store.catalogue_item(item).await?.is_none() {
                return Err(AppError::invalid("item_id", format!("no catalogue item {item}")));
            }
        }
        let approval = PausePolicy::AWAITING_APPROVAL;
        let pause_reasons = match &input.pause_reasons {
            Some(reasons) => reasons.clone(),
            None => {
                let mut words: Vec<String> =
                    PausePolicy::DEFAULT_REASONS.iter().map(|r| r.as_str().to_owned()).collect();
                if kind == TicketKind::Request {
                    words.push(approval.to_owned());
                }
                words
            }
        };
        for reason in &pause_reasons {
            if reason == approval && kind == TicketKind::Request {
                continue;
            }
            HoldReason::parse(reason).map_err(|e| {
                let also = if kind == TicketKind::Request { format!(", {approval}") } else { String::new() };
                AppError::invalid("pause_reasons", format!("{}{also}", e.message))
            })?;
        }
        if input.update_minutes.is_some_and(|m| !(1..=525_600).contains(&m)) {
            return Err(AppError::invalid("update_minutes", "a target must be between 1 minute and a year"));
        }
        let mut warn_at = input.warn_at.clone().unwrap_or_else(|| escalation::DEFAULT_WARN_AT.to_vec());
        // Counted as given, so what the API documents (at most five) is what it takes.
        let given = warn_at.len();
        warn_at.sort_unstable();
        warn_at.dedup();
        if given > 5 || warn_at.iter().any(|p| !(1..=99).contains(p)) {
            return Err(AppError::invalid("warn_at", "up to five warning percentages, each 1 to 99"));
        }
        if let Some(t) = input.breach_team_id
            && !self.directory().team_exists(t).await?
        {
            return Err(AppError::invalid("breach_team_id", format!("no team {t}")));
        }
        let policy = PolicyRecord {
            id,
            name: name.to_owned(),
            rank: input.rank,
            kind: kind.as_str().to_owned(),
            priority: input.priority,
            category_id: input.category_id,
            calendar_id: input.calendar_id,
            response_minutes: input.response_minutes,
            resolution_minutes: resolution,
            pause_reasons,
            service: condition("service", input.service.as_deref())?,
            organisation: condition("organisation", input.organisation.as_deref())?,
            update_minutes: input.update_minutes,
            warn_at,
            breach_team_id: input.breach_team_id,
            item_id: input.item_id,
        };
        Ok(policy)
    }
}
