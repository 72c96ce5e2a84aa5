//! Assessing a change's risk: the questionnaire's answers plus what the CMDB says of its CIs
//! (criticality of what they reach, how far a failure spreads), failed changes on them before
//! and whether it runs in business hours.

use std::collections::BTreeSet;

use steward_core::changes::{
    ChangeEvent, Facts, Question, Risk, Slot, Window, assess, plan_changes, reasons_text,
};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::tickets::State;
use steward_store::PlanRecord;

use crate::events::record;
use crate::{Actor, AppError, Result};

/// How far the impact walk of each CI goes.
const IMPACT_DEPTH: u32 = 3;

/// Business hours for the risk's "users are at work" factor, in the desk's report zone.
const BUSINESS_HOURS: &str = "mon,tue,wed,thu,fri 09:00-18:00";

impl crate::Changes<'_> {
    pub async fn questions(self, actor: &Actor) -> Result<Vec<Question>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.risk_questions().await?)
    }

    /// What the CMDB and the record say about the change's CIs.
    pub(super) async fn facts(self, actor: &Actor, id: TicketId, window: Option<Window>) -> Result<Facts> {
        let cis = self.store.ticket_ci_ids(id).await?;
        let mut reached = BTreeSet::new();
        let mut criticality: Option<i64> = None;
        for ci in &cis {
            let impact = self.cmdb().impact(actor, *ci, "downstream", IMPACT_DEPTH).await?;
            let worst = std::iter::once(&impact.start)
                .chain(impact.hits.iter().map(|h| &h.ci))
                .map(|c| c.criticality)
                .min();
            criticality = match (criticality, worst) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            reached.extend(impact.hits.iter().map(|h| h.ci.id));
        }
        let in_business_hours = window.is_some_and(|w| {
            let minute = Window { start: w.start, end: w.start + jiff::SignedDuration::from_mins(1) };
            Slot::parse(BUSINESS_HOURS).is_ok_and(|s| s.covers(&minute, &self.config.report_zone))
        });
        Ok(Facts {
            criticality,
            blast_radius: reached.len(),
            failed_before: self.store.failed_changes_on(&cis, id).await?,
            in_business_hours,
        })
    }

    /// Scores the change from the answers (question id → answer index) and its facts, and
    /// records the score, class and reasons. A change already approved or later is not
    /// re-assessed; a change awaiting approval is asked again with its new risk.
    pub async fn assess_risk(self, actor: &Actor, id: TicketId, answers: Vec<(i64, usize)>) -> Result<Risk> {
        let ticket = self.changes().current(actor, id, None).await?;
        if !matches!(ticket.state, State::Assessment | State::Authorization | State::Scheduled) {
            return Err(AppError::invalid(
                "state",
                format!("{} is {}: its risk is settled", ticket.number, ticket.state),
            ));
        }
        let rec = self.changes().plan(id).await?;
        let questions = self.store.risk_questions().await?;
        let facts = self.changes().facts(actor, id, rec.plan.window).await?;
        let risk = assess(&questions, &answers, &facts).map_err(AppError::from)?;
        let mut plan = rec.plan.clone();
        plan.risk_score = Some(risk.score);
        plan.risk_class = Some(risk.class);
        let reasons = reasons_text(&risk.reasons);
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let new_rec = PlanRecord { plan: plan.clone(), risk_reasons: reasons.clone(), risk_answers: answers };
        tx.save_plan(id, &new_rec, steward_store::books_calendar(&ticket, &plan)).await?;
        let empty = super::no_changes;
        let changes = plan_changes(&rec.plan, &plan).unwrap_or_else(empty);
        let event = ChangeEvent::RiskAssessed { plan: changes, reasons };
        record(&mut tx, at, Some(actor), DomainEvent::Change { id, event }).await?;
        if ticket.state == State::Authorization {
            self.changes().request_approvals(&mut tx, &ticket, &plan).await?;
        }
        tx.commit().await?;
        Ok(risk)
    }
}
