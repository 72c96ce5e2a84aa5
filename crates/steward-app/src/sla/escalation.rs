//! SLA warnings, breaches and escalation.
//!
//! A periodic job measures every open incident and service request; each threshold a clock
//! reaches fires once:
//! the firing is claimed with a unique row in the same transaction as its event and its
//! notifications, so a second node or a restarted one finds it claimed and stays quiet.
//! Warnings go to the assignee (or, with nobody assigned, the team); breaches escalate to the
//! team's leads as well. Each policy chooses its warning percentages, and may move a ticket
//! whose resolution target breached to another team's queue. The next-update clock restarts
//! at every agent reply, so its firings are keyed per cycle (`update@<cycle start>`).

use std::collections::HashSet;

use jiff::Timestamp;
use steward_core::identity::Role;
use steward_core::ids::{TeamId, TicketId, UserId};
use steward_core::requests::RequestEvent;
use steward_core::tickets::{
    Channel, IncidentEvent, NoticeKind, SlaFiring, SlaTarget, State, Ticket, TicketKind, ticket_changes,
};
use steward_store::{TicketQuery, Visibility};

use crate::events::{TicketChange, TicketEvent};
use crate::{App, AppError, Result};

/// Percent of a target at which a warning fires unless the policy says otherwise; the breach
/// (100) always fires.
pub const DEFAULT_WARN_AT: &[i64] = &[75];

impl crate::Sla<'_> {
    /// Who hears of a firing at `threshold`.
    async fn recipients(self, ticket: &Ticket, threshold: i64) -> Result<Vec<UserId>> {
        let mut people = Vec::new();
        let teams = self.store.list_teams().await?;
        let team = teams.iter().find(|t| Some(t.team.id) == ticket.team_id);
        match ticket.assignee_id {
            Some(a) => people.push(a),
            None => people.extend(team.iter().flat_map(|t| t.members.iter().map(|m| m.id))),
        }
        if threshold >= 100 {
            people.extend(
                team.iter().flat_map(|t| t.members.iter().filter(|m| m.role == Role::TeamLead).map(|m| m.id)),
            );
        }
        people.sort_unstable();
        people.dedup();
        Ok(people)
    }

    /// Measures every open incident and request as of `at` and fires what is due; returns the
    /// firings.
    pub async fn scan(self, at: Timestamp) -> Result<usize> {
        // The rules once per scan; each page's histories and firings in one query each.
        let rules = self.sla().sla_rules().await?;
        let mut fired = 0;
        for kind in [TicketKind::Incident, TicketKind::Request] {
            fired += self.sla().scan_kind(at, kind, &rules).await?;
        }
        Ok(fired)
    }

    async fn scan_kind(self, at: Timestamp, kind: TicketKind, rules: &super::SlaRules) -> Result<usize> {
        let mut query = TicketQuery::new(kind);
        query.states = State::of(kind).iter().copied().filter(|s| s.is_open()).collect();
        query.sort = steward_store::SortField::Number;
        query.descending = false;
        query.limit = 500;
        let mut fired = 0;
        loop {
            let page = self.store.list_tickets(&query, Visibility::All).await?;
            let ids: Vec<TicketId> = page.items.iter().map(|t| t.id).collect();
            let fired_before: HashSet<(TicketId, String, i64)> =
                self.store.sla_firings(&ids).await?.into_iter().collect();
            let slas = self.sla().slas_with(&page.items, at, rules).await?;
            for (ticket, sla) in page.items.iter().zip(slas) {
                let Some(sla) = sla else { continue };
                let thresholds: Vec<i64> = sla.warn_at.iter().copied().chain([100]).collect();
                let mut clocks: Vec<(String, &steward_core::sla::SlaStatus)> = Vec::new();
                if let Some(r) = &sla.response {
                    clocks.push(("response".to_owned(), r));
                }
                clocks.push(("resolution".to_owned(), &sla.resolution));
                if let Some((status, since)) = &sla.next_update {
                    clocks.push((format!("update@{}", since.as_millisecond()), status));
                }
                for (target, status) in clocks {
                    for threshold in status.reached(&thresholds) {
                        let seen = fired_before.contains(&(ticket.id, target.clone(), threshold));
                        let reassign =
                            sla.breach_team_id.filter(|_| target == "resolution" && threshold >= 100);
                        if !seen && self.fire(ticket, &target, threshold, at, reassign).await? {
                            fired += 1;
                        }
                    }
                }
            }
            match page.next {
                Some(cursor) => query.after = Some(cursor),
                None => return Ok(fired),
            }
        }
    }

    async fn fire(
        self,
        ticket: &Ticket,
        target: &str,
        threshold: i64,
        at: Timestamp,
        reassign_to: Option<TeamId>,
    ) -> Result<bool> {
        let full_target = target;
        let target = target.split('@').next().unwrap_or(target);
        let mut recipients = self.recipients(ticket, threshold).await?;
        // The team that takes a breached ticket over hears of it too.
        let moved = reassign_to.filter(|t| ticket.team_id != Some(*t)).map(|team| {
            let mut next = ticket.clone();
            next.team_id = Some(team);
            next.assignee_id = None;
            next.updated_at = at;
            next
        });
        if let Some(next) = &moved {
            recipients.extend(self.recipients(next, 0).await?);
            recipients.sort_unstable();
            recipients.dedup();
        }
        // Each hears of it by the channel they chose for SLA warnings or breaches.
        let notice = if threshold >= 100 { NoticeKind::SlaBreach } else { NoticeKind::SlaWarning };
        let mut mails = Vec::new();
        let mut told = Vec::new();
        for id in recipients {
            let channel = App::notifications(&self).channel_of(id, notice).await?;
            if channel == Channel::Off {
                continue;
            }
            if channel == Channel::Email
                && self.config.mail.is_some()
                && let Some(user) = self.store.user(id).await?.filter(|u| !u.disabled)
                && let Some(email) = &user.email
            {
                let (subject, body) = mail_text(user.locale.as_deref(), ticket, target, threshold);
                mails.push(crate::mail::payload(email, &subject, &body));
            }
            told.push(id);
        }
        let recipients = told;
        let mut tx = self.store.begin().await?;
        if !tx.claim_sla_firing(at, ticket.id, full_target, threshold).await? {
            return Ok(false);
        }
        let kind = notice.as_str();
        let message = if threshold >= 100 {
            format!("{} breached its {target} target: {}", ticket.number, ticket.title)
        } else {
            format!("{} has used {threshold}% of its {target} target: {}", ticket.number, ticket.title)
        };
        for user in &recipients {
            tx.notify(at, *user, Some(ticket.id), kind, &message).await?;
        }
        // The mail goes out by job, enqueued with the firing so neither happens without the other.
        for payload in mails {
            // `at` may be a measuring instant in tests; the mail is due now.
            let due = self.now();
            crate::mail::enqueue(&mut tx, due, payload).await?;
        }
        let target = SlaTarget::parse(target)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown SLA target `{target}`")))?;
        let firing = SlaFiring { target, threshold, notified: recipients };
        let event: TicketEvent = match ticket.kind {
            TicketKind::Request => RequestEvent::SlaFired(firing).into(),
            _ => IncidentEvent::sla_fired(firing).into(),
        };
        self.record_ticket_event(&mut tx, TicketChange::on(ticket, at, None, event)).await?;
        if let Some(next) = moved
            && let Some(changes) = ticket_changes(ticket, &next)
        {
            match tx.update_ticket(&next).await {
                Ok(saved) => {
                    let event: TicketEvent = match ticket.kind {
                        TicketKind::Request => RequestEvent::Updated(changes).into(),
                        _ => IncidentEvent::SlaReassigned(changes).into(),
                    };
                    let change = TicketChange::moved(Some(ticket), &saved, at, None, event);
                    self.record_ticket_event(&mut tx, change).await?;
                }
                // Someone changed the ticket meanwhile: the breach still fires, their change stands.
                Err(steward_store::StoreError::Stale { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}

fn zh_target(target: &str) -> &'static str {
    match target {
        "response" => "首次响应",
        "update" => "进展更新",
        _ => "解决",
    }
}

/// The subject and body of a warning or breach email, in the recipient's language.
fn mail_text(locale: Option<&str>, ticket: &Ticket, target: &str, threshold: i64) -> (String, String) {
    let (number, title) = (&ticket.number, &ticket.title);
    let request = ticket.kind == TicketKind::Request;
    let (what, what_zh) = if request { ("Request", "服务请求") } else { ("Incident", "事件") };
    match (locale, threshold >= 100) {
        (Some("zh-CN"), true) => {
            let target = zh_target(target);
            (
                format!("[SLA 超时] {number} {title}"),
                format!("{what_zh} {number}「{title}」已超过{target}时限。\n请尽快处理。\n"),
            )
        }
        (Some("zh-CN"), false) => {
            let target = zh_target(target);
            (
                format!("[SLA 预警] {number} {title}"),
                format!("{what_zh} {number}「{title}」已用去{target}时限的 {threshold}%。\n"),
            )
        }
        (_, true) => (
            format!("[SLA breach] {number} {title}"),
            format!("{what} {number} \"{title}\" has breached its {target} target.\nPlease act on it now.\n"),
        ),
        (_, false) => (
            format!("[SLA warning] {number} {title}"),
            format!("{what} {number} \"{title}\" has used {threshold}% of its {target} target.\n"),
        ),
    }
}
