//! Just-in-time authority: automation on a CI of criticality 1–2 needs an approved change
//! whose window covers now and that CI, or a grant a change manager approved for the person,
//! which expires by itself.

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, UserId};
use steward_core::runbooks::{Authority, GrantEvent, GrantState, authority, needs_authority};
use steward_store::{CiRecord, GrantRecord};

use crate::{Actor, AppError, Result, record};

/// Grants last at most a day.
pub const MAX_GRANT_MINUTES: i64 = 24 * 60;

impl crate::Runbooks<'_> {
    /// Which authority covers the critical CIs among `targets` now for `user`; an error naming
    /// the CIs that nothing covers.
    pub(crate) async fn check_authority(
        self,
        targets: &[CiRecord],
        user: Option<i64>,
        now: jiff::Timestamp,
    ) -> Result<Authority> {
        let critical: Vec<(CiId, String)> = targets
            .iter()
            .filter(|c| needs_authority(Some(c.criticality)))
            .map(|c| (c.id, c.name.clone()))
            .collect();
        if critical.is_empty() {
            return Ok(Authority::NotNeeded);
        }
        let windows = self.store.open_change_windows(now).await?;
        let grants = match user {
            Some(u) => self.store.active_grants(UserId(u), now).await?,
            None => Vec::new(),
        };
        match authority(&critical, now, user.map(UserId), &windows, &grants) {
            Authority::Missing(names) => Err(AppError::Forbidden(format!(
                "{} of criticality 1–2: running on it needs an approved change whose window covers now, \
                 or a just-in-time grant",
                names.join(", ")
            ))),
            other => Ok(other),
        }
    }

    pub async fn grants(self, actor: &Actor) -> Result<Vec<GrantRecord>> {
        actor.require(Permission::RunRunbooks)?;
        let mine = (!actor.can(Permission::ManageChanges)).then_some(actor.user.id);
        Ok(self.store.grants(mine).await?)
    }

    /// Asks for a grant over `cis` for `minutes`, with a reason.
    pub async fn request_grant(self, actor: &Actor, cis: &[CiId], reason: &str, minutes: i64) -> Result<i64> {
        actor.require(Permission::RunRunbooks)?;
        let reason = reason.trim();
        if reason.is_empty()
            || reason.chars().count() > 2000
            || reason.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(AppError::invalid("reason", "say why, in at most 2000 characters"));
        }
        if !(5..=MAX_GRANT_MINUTES).contains(&minutes) {
            return Err(AppError::invalid("minutes", "a grant lasts 5 minutes to 24 hours"));
        }
        if cis.is_empty() || cis.len() > 100 {
            return Err(AppError::invalid("cis", "name 1–100 CIs"));
        }
        let found = self.store.cis_by_ids(cis).await?;
        if found.len() != cis.len() {
            return Err(AppError::invalid("cis", "a CI named does not exist"));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_grant(at, actor.user.id, cis, reason, minutes).await?;
        let names: Vec<String> = found.iter().map(|c| c.name.clone()).collect();
        let event = GrantEvent::Requested {
            user: actor.user.username.to_string(),
            cis: names.join(", "),
            reason: reason.to_owned(),
            minutes,
        };
        record(&mut tx, at, Some(actor), DomainEvent::JitGrant { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A change manager approves (the grant runs from now for its minutes) or rejects.
    pub async fn decide_grant(self, actor: &Actor, id: i64, approve: bool, comment: &str) -> Result<()> {
        actor.require(Permission::ManageChanges)?;
        let grant = self.store.grant(id).await?.ok_or(AppError::NotFound("grant"))?;
        if grant.grant.user == actor.user.id {
            return Err(AppError::Forbidden("nobody approves their own grant".into()));
        }
        let comment = comment.trim();
        if comment.chars().count() > 2000 || comment.chars().any(|c| c.is_control() && c != '\n') {
            return Err(AppError::invalid("comment", "at most 2000 characters"));
        }
        let at = self.now();
        let expires = at.saturating_add(jiff::SignedDuration::from_mins(grant.minutes)).unwrap_or(at);
        let to = if approve { GrantState::Approved } else { GrantState::Rejected };
        let mut tx = self.store.begin().await?;
        let expires_at = approve.then_some(expires);
        if !tx.decide_grant(id, GrantState::Requested, to, actor.user.id, at, expires_at, comment).await? {
            return Err(AppError::Conflict {
                field: Some("state"),
                message: format!("grant {id} was decided already"),
            });
        }
        let event =
            GrantEvent::Decided { by: actor.user.username.to_string(), approve, comment: comment.to_owned() };
        record(&mut tx, at, Some(actor), DomainEvent::JitGrant { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends an approved grant before it expires (its holder or a change manager).
    pub async fn revoke_grant(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::RunRunbooks)?;
        let grant = self.store.grant(id).await?.ok_or(AppError::NotFound("grant"))?;
        if grant.grant.user != actor.user.id && !actor.can(Permission::ManageChanges) {
            return Err(AppError::Forbidden("only its holder or a change manager revokes a grant".into()));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx
            .decide_grant(id, GrantState::Approved, GrantState::Revoked, actor.user.id, at, Some(at), "")
            .await?
        {
            return Err(AppError::Conflict {
                field: Some("state"),
                message: format!("grant {id} is not in force"),
            });
        }
        let event = GrantEvent::Revoked { by: actor.user.username.to_string() };
        record(&mut tx, at, Some(actor), DomainEvent::JitGrant { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }
}
