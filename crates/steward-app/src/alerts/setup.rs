//! What people do with alerts besides receiving them: silences, rules, maintenance windows,
//! acknowledging, and reading them.

use steward_core::alerts::{AlertEvent, AlertRule, AlertRuleEvent, MaintenanceEvent, Silence, SilenceEvent};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId};
use steward_store::{AlertFilter, AlertRecord, AlertRuleRecord, MaintenanceRecord, SilenceRecord};

use super::AlertDetail;
use crate::{Actor, AppError, Result, record};

impl crate::Alerts<'_> {
    /// Adds a silence (a maintenance window): alerts its matchers match while it runs open no
    /// incident.
    pub async fn create_silence(
        self,
        actor: &Actor,
        matchers: &[String],
        starts_at: jiff::Timestamp,
        ends_at: jiff::Timestamp,
        comment: &str,
    ) -> Result<i64> {
        actor.require(Permission::WorkTickets)?;
        let silence = Silence::parse(matchers, starts_at, ends_at, comment)
            .map_err(|e| AppError::invalid(field(&e.field), e.message))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_silence(at, &silence, actor.user.username.as_str()).await?;
        let event = SilenceEvent::Created {
            matchers: silence.matchers.iter().map(|m| m.to_string()).collect(),
            starts_at: silence.starts_at.to_string(),
            ends_at: silence.ends_at.to_string(),
            comment: silence.comment.clone(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Silence { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Silences still running or yet to start (with `all`, every one), newest first.
    pub async fn silences(self, actor: &Actor, all: bool) -> Result<Vec<SilenceRecord>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.silences((!all).then(|| self.now())).await?)
    }

    /// Ends a silence now.
    pub async fn expire_silence(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::WorkTickets)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.expire_silence(at, id).await? {
            return Err(AppError::NotFound("silence"));
        }
        record(&mut tx, at, Some(actor), DomainEvent::Silence { id, event: SilenceEvent::Expired }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The incident covering one sender's alert: its id and number (a receiver answers the
    /// sender with it, so updates land on the same incident).
    pub async fn incident_of(
        self,
        actor: &Actor,
        source: &str,
        fingerprint: &str,
    ) -> Result<Option<(TicketId, String)>> {
        actor.require(Permission::IngestAlerts)?;
        let Some(ticket) =
            self.store.alert_by_fingerprint(source, fingerprint).await?.and_then(|a| a.ticket_id)
        else {
            return Ok(None);
        };
        Ok(self.store.ticket(ticket).await?.map(|t| (ticket, t.number)))
    }

    /// Says someone is on an alert.
    pub async fn acknowledge(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::WorkTickets)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.acknowledge_alert(at, id, actor.user.username.as_str()).await? {
            // None, or acknowledged already: the second is no error (two people clicked).
            return match self.store.alert(id).await? {
                Some(_) => Ok(()),
                None => Err(AppError::NotFound("alert")),
            };
        }
        record(&mut tx, at, Some(actor), DomainEvent::Alert { id, event: AlertEvent::Acknowledged }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One alert with the rest of its group (newest first) and its history (oldest first).
    pub async fn detail(self, actor: &Actor, id: i64) -> Result<AlertDetail> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        let alert = self.store.alert(id).await?.ok_or(AppError::NotFound("alert"))?;
        let group = self
            .store
            .group_alerts(&alert.alert.source, &alert.group, 100)
            .await?
            .into_iter()
            .filter(|a| a.id != id)
            .collect();
        let history = self.store.histories("alert", &[id.to_string()]).await?;
        Ok(AlertDetail { alert, group, history })
    }

    /// When alerts last arrived or changed (ms), for live consoles.
    pub async fn latest_activity(self, actor: &Actor) -> Result<i64> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.latest_alert_activity().await?)
    }

    /// Alerts, newest first.
    pub async fn list(self, actor: &Actor, filter: &AlertFilter) -> Result<Vec<AlertRecord>> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.alerts(filter).await?)
    }

    /// The alert rules, in the order they are tried.
    pub async fn rules(self, actor: &Actor) -> Result<Vec<AlertRuleRecord>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.alert_rules().await?)
    }

    /// Adds a rule after the others (admins: rules decide what opens incidents for everyone).
    pub async fn create_rule(
        self,
        actor: &Actor,
        name: &str,
        matchers: &[String],
        opens: bool,
        levels: (Option<i64>, Option<i64>),
        resolve: &str,
    ) -> Result<i64> {
        actor.require(Permission::ManageDirectory)?;
        let rule = AlertRule::parse(name, matchers, opens, levels.0, levels.1, resolve)
            .map_err(|e| AppError::invalid(field(&e.field), e.message))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_alert_rule(at, &rule, actor.user.username.as_str()).await?;
        let event = AlertRuleEvent::Created {
            name: rule.name.clone(),
            matchers: rule.matchers.iter().map(|m| m.to_string()).collect(),
            opens: rule.opens,
            impact: rule.impact,
            urgency: rule.urgency,
            resolve: rule.resolve.as_str().to_owned(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::AlertRule { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn delete_rule(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageDirectory)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let name = tx.delete_alert_rule(id).await?.ok_or(AppError::NotFound("alert rule"))?;
        record(
            &mut tx,
            at,
            Some(actor),
            DomainEvent::AlertRule { id, event: AlertRuleEvent::Deleted { name } },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Schedules a maintenance window on a CI: its alerts meanwhile are expected and open
    /// nothing. (The change process will schedule them from approved changes.)
    pub async fn schedule_maintenance(
        self,
        actor: &Actor,
        ci: CiId,
        window: (jiff::Timestamp, jiff::Timestamp),
        reason: &str,
        change_ref: Option<&str>,
    ) -> Result<i64> {
        actor.require(Permission::WorkTickets)?;
        if self.store.ci(ci).await?.is_none() {
            return Err(AppError::invalid("ci_id", "no configuration item has this id"));
        }
        if window.1 <= window.0 {
            return Err(AppError::invalid("ends_at", "the window ends after it starts"));
        }
        if window.1.duration_since(window.0) > jiff::SignedDuration::from_hours(24 * 31) {
            return Err(AppError::invalid("ends_at", "a window is at most 31 days"));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            return Err(AppError::invalid("reason", "say why, in 1 to 1000 characters"));
        }
        // PostgreSQL refuses NUL in text; no control character is a reason's.
        if reason.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            return Err(AppError::invalid("reason", "no control characters"));
        }
        let change_ref = change_ref.map(str::trim).filter(|c| !c.is_empty());
        if change_ref.is_some_and(|c| c.len() > 100 || c.chars().any(char::is_control)) {
            return Err(AppError::invalid("change_ref", "at most 100 characters, on one line"));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id =
            tx.insert_maintenance(at, ci, window, reason, change_ref, actor.user.username.as_str()).await?;
        let event = MaintenanceEvent::Scheduled {
            ci_id: ci.get(),
            starts_at: window.0.to_string(),
            ends_at: window.1.to_string(),
            reason: reason.to_owned(),
            change_ref: change_ref.map(str::to_owned),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Maintenance { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Windows still to end (with `all`: every one).
    pub async fn maintenance(self, actor: &Actor, all: bool) -> Result<Vec<MaintenanceRecord>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.maintenance_windows((!all).then(|| self.now()), None).await?)
    }

    pub async fn end_maintenance(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::WorkTickets)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.end_maintenance(at, id).await? {
            return Err(AppError::NotFound("maintenance window"));
        }
        record(&mut tx, at, Some(actor), DomainEvent::Maintenance { id, event: MaintenanceEvent::Ended })
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets raw payloads older than the configured days; how many.
    pub async fn purge_payloads(self) -> Result<u64> {
        let days = i64::from(self.config.alert_payload_days);
        let before =
            self.now().saturating_sub(jiff::SignedDuration::from_hours(24 * days)).unwrap_or(self.now());
        let mut tx = self.store.begin().await?;
        let purged = tx.purge_payloads(before).await?;
        tx.commit().await?;
        Ok(purged)
    }
}

/// A core error's field as the API names it (`'static`, as the error envelope wants).
fn field(name: &str) -> &'static str {
    match name {
        "matchers" => "matchers",
        "ends_at" => "ends_at",
        "comment" => "comment",
        "name" => "name",
        "impact" => "impact",
        "urgency" => "urgency",
        "resolve" => "resolve",
        _ => "silence",
    }
}
