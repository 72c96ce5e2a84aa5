//! Changes from delivery pipelines (CI/CD 前置检测): a deployment is recorded as a standard
//! change on the CIs it names, with its version and commit link, checked against freezes and
//! other changes like any change — refused on a collision, or recorded with its conflicts
//! flagged, as the desk's policy says. A pipeline that reports "running" and then its end
//! completes the one record.

use jiff::{SignedDuration, Timestamp};
use steward_core::changes::{ChangeEvent, ChangeType, Conflict, Outcome, Phase, Plan, Window};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId};
use steward_core::tickets::{Impact, Tags, Ticket, TicketKind, Title, Urgency};

use crate::events::record;
use crate::{Actor, AppError, Result};

/// A deployment as a pipeline reports it.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    pub title: String,
    pub description: String,
    /// CI names, host names or external ids.
    pub cis: Vec<String>,
    pub version: String,
    pub commit_url: String,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// `None` while it runs.
    pub outcome: Option<Outcome>,
}

/// What recording did: the change, and the conflicts it was recorded with (flagged).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub change: Ticket,
    pub flagged: Vec<Conflict>,
    /// It completed an earlier "running" record rather than opening a new one.
    pub completed_earlier: bool,
}

const FLAG_REASON: &str = "recorded by a delivery pipeline: flagged, not refused";

fn line(field: &'static str, s: &str, max: usize) -> Result<String> {
    let t = s.trim();
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(AppError::invalid(field, format!("at most {max} characters on one line")));
    }
    Ok(t.to_owned())
}

impl crate::Changes<'_> {
    /// Records a deployment (see the module's comment).
    pub async fn record_deployment(self, actor: &Actor, d: Deployment) -> Result<Recorded> {
        actor.require(Permission::WorkTickets)?;
        let version = line("version", &d.version, 100)?;
        let commit_url = line("commit_url", &d.commit_url, 1000)?;
        if version.is_empty() {
            return Err(AppError::invalid("version", "a deployment names the version it ships"));
        }
        if let Some(open) = self.store.open_deployment(&version, &commit_url).await?
            && let Some(outcome) = d.outcome
        {
            let change = self.changes().complete(actor, open, None, outcome).await?;
            return Ok(Recorded { change, flagged: Vec::new(), completed_earlier: true });
        }
        let cis = self.changes().deployed_cis(&d.cis).await?;
        let now = self.now();
        // A finished deployment reported without times took the minute before now; a running
        // one holds the next hour.
        let minute = SignedDuration::from_mins(1);
        let (start, end) = match (d.started_at, d.finished_at, d.outcome) {
            (Some(s), Some(e), _) => (s, e),
            (Some(s), None, Some(_)) => (s, now.max(s + minute)),
            (Some(s), None, None) => (s, s + SignedDuration::from_hours(1)),
            (None, Some(e), _) => (e - minute, e),
            (None, None, Some(_)) => (now - minute, now),
            (None, None, None) => (now, now + SignedDuration::from_hours(1)),
        };
        let end = if end <= start { start + minute } else { end };
        let window = Window::between(start, end).map_err(AppError::from)?;
        self.changes().ensure_models().await?;
        let model = self
            .store
            .change_models()
            .await?
            .into_iter()
            .filter(|m| m.change_type == ChangeType::Standard && !m.retired)
            .min_by_key(|m| (m.name != super::builtin_name(ChangeType::Standard), m.id))
            .ok_or_else(|| AppError::invalid("change_type", "no standard model is in use"))?;
        let workflow = self.changes().workflow(model.id, model.version).await?;
        let step = match d.outcome {
            Some(_) => workflow.steps.iter().find(|s| s.phase == Phase::Done),
            None => workflow.steps.iter().find(|s| s.phase == Phase::Implement),
        }
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a valid model has implement and done steps")))?
        .clone();
        let title = match d.title.trim() {
            "" => format!("Deploy {version}"),
            t => t.to_owned(),
        };
        let impact = Impact::new(3).map_err(AppError::from)?;
        let urgency = Urgency::new(3).map_err(AppError::from)?;
        let ticket = Ticket {
            id: TicketId(0),
            kind: TicketKind::Change,
            number: String::new(),
            title: Title::parse(&title).map_err(AppError::from)?.into_string(),
            description: steward_core::tickets::parse_description("description", &d.description)
                .map_err(AppError::from)?,
            requester_id: actor.user.id,
            created_by: Some(actor.user.id),
            category_id: None,
            subcategory_id: None,
            service: None,
            impact,
            urgency,
            priority: self.config.priority_matrix.priority(impact, urgency),
            team_id: None,
            assignee_id: None,
            state: step.phase.state(),
            hold_reason: None,
            resolution_code: None,
            resolution_note: None,
            resolved_at: None,
            closed_at: d.outcome.map(|_| now),
            reopen_count: 0,
            parent_id: None,
            tags: Tags::parse(&["deployment".to_owned()]).map_err(AppError::from)?,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let records = self.store.cis_by_ids(&cis).await?;
        let conflicts = self.changes().conflicts_of_new(&ticket, window, &records).await?;
        if !conflicts.is_empty() && !self.config.flag_deployment_conflicts {
            let list: Vec<String> = conflicts.iter().map(super::describe).collect();
            return Err(AppError::Conflict {
                field: Some("planned_start"),
                message: format!("the deployment collides: {}; nothing was recorded", list.join("; ")),
            });
        }
        let plan = Plan {
            change_type: ChangeType::Standard,
            model_id: model.id,
            model_version: model.version,
            step: step.key.clone(),
            reason: String::new(),
            implementation_plan: String::new(),
            backout_plan: String::new(),
            test_plan: String::new(),
            communication_plan: String::new(),
            window: Some(window),
            implementer_team: None,
            risk_score: None,
            risk_class: None,
            outcome: d.outcome,
            started_at: Some(start),
            completed_at: d.outcome.map(|_| end),
            review: String::new(),
            version,
            commit_url,
        };
        let mut tx = self.store.begin().await?;
        let (ticket, rec) = self.changes().insert_change(&mut tx, actor, now, ticket, plan, &records).await?;
        for c in &conflicts {
            tx.insert_conflict_override(now, ticket.id, &c.key(), FLAG_REASON, actor.user.id).await?;
            let event = ChangeEvent::ConflictOverridden { key: c.key(), reason: FLAG_REASON.into() };
            record(&mut tx, now, Some(actor), DomainEvent::Change { id: ticket.id, event }).await?;
        }
        if d.outcome.is_none() {
            // A running deployment is approved by its standard model: its CIs are in maintenance.
            self.changes().sync_maintenance(&mut tx, &ticket, &rec.plan, true).await?;
        }
        tx.commit().await?;
        Ok(Recorded { change: ticket, flagged: conflicts, completed_earlier: false })
    }

    /// The CIs a deployment names, each found by name, host name or external id.
    async fn deployed_cis(self, names: &[String]) -> Result<Vec<CiId>> {
        let names: Vec<String> =
            names.iter().map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect();
        if names.is_empty() {
            return Err(AppError::invalid("cis", "a deployment names the CIs it changes"));
        }
        if names.len() > 200 {
            return Err(AppError::invalid("cis", "at most 200 CIs per deployment"));
        }
        if names.iter().any(|n| n.len() > 200 || n.chars().any(char::is_control)) {
            return Err(AppError::invalid("cis", "a CI name is one line of at most 200 bytes"));
        }
        let found = self.store.cis_named(&names).await?;
        let mut out = Vec::new();
        for n in &names {
            let id = match found.get(n) {
                Some(id) => *id,
                None => match self.store.ci_by_external_id(n).await? {
                    Some(ci) => ci.id,
                    None => return Err(AppError::invalid("cis", format!("no CI is named `{n}`"))),
                },
            };
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    }
}
