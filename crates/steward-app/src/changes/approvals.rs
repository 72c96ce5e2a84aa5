//! Approvals: the levels and groups a change's type and risk require, asked one level at a
//! time; decisions by page, API or a mailed single-use link (an approver always sees the change
//! they decide on); delegation while away; never one's own change; reminders.

use jiff::SignedDuration;
use steward_core::changes::{
    ChangeEvent, Decision, Gates, GroupRule, Phase, Plan, Verdict, check_move, overall, required,
};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{TicketId, UserId};
use steward_core::tickets::{State, Ticket};
use steward_store::{DecisionRecord, LinkRecord, Tx};

use crate::events::record;
use crate::secrets::{new_secret, secret_hash};
use crate::{Actor, AppError, Credential, Result};

/// How long a mailed approval link works.
pub const LINK_TTL: SignedDuration = SignedDuration::from_hours(72);

/// How long an approval waits before its approvers are reminded (and again after as long).
pub const REMIND_AFTER: SignedDuration = SignedDuration::from_hours(24);

/// The periodic job reminding approvers.
pub const APPROVAL_REMINDERS: &str = "change_approval_reminders";

/// One group asked at one level, with its members, decisions and verdict.
#[derive(Debug, Clone)]
pub struct ApprovalLevel {
    pub level: i64,
    pub group_id: i64,
    pub group: String,
    pub rule: GroupRule,
    pub members: Vec<UserId>,
    pub decisions: Vec<DecisionRecord>,
    pub verdict: Verdict,
}

/// What a mailed link opens: the change, its level, and whom it speaks for.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub change: super::ChangeView,
    pub link: LinkRecord,
    pub approver: String,
}

impl crate::Changes<'_> {
    /// The levels asked and the overall verdict. With none asked, a standard change is
    /// approved, as is one whose risk the policies ask nothing for.
    pub(crate) async fn approval_levels(
        self,
        ticket: &Ticket,
        plan: &Plan,
    ) -> Result<(Vec<ApprovalLevel>, Verdict)> {
        let rows = self.store.change_approvals(ticket.id).await?;
        if rows.is_empty() {
            let policies = self.store.approval_policies().await?;
            let approved = match plan.risk_class {
                _ if plan.change_type == steward_core::changes::ChangeType::Standard => true,
                Some(class) => {
                    required(&policies, plan.change_type, class).is_empty()
                        && ticket.state != State::Assessment
                }
                None => false,
            };
            return Ok((Vec::new(), if approved { Verdict::Approved } else { Verdict::Pending }));
        }
        let groups = self.store.approver_groups().await?;
        let decisions = self.store.approval_decisions(ticket.id).await?;
        let levels: Vec<ApprovalLevel> = rows
            .iter()
            .map(|r| {
                let g = groups.iter().find(|g| g.id == r.group_id);
                ApprovalLevel {
                    level: r.level,
                    group_id: r.group_id,
                    group: g.map(|g| g.name.clone()).unwrap_or_default(),
                    rule: g.map_or(
                        GroupRule { rule: steward_core::changes::ApprovalRule::Any, quorum: 1 },
                        |g| g.rule,
                    ),
                    members: g.map(|g| g.members.clone()).unwrap_or_default(),
                    decisions: decisions
                        .iter()
                        .filter(|d| d.level == r.level && d.group_id == r.group_id)
                        .cloned()
                        .collect(),
                    verdict: r.verdict,
                }
            })
            .collect();
        let (verdict, _) = overall(&levels.iter().map(|l| (l.level, l.verdict)).collect::<Vec<_>>());
        Ok((levels, verdict))
    }

    /// Asks the groups the change's type and risk require (forgetting earlier answers) and
    /// tells the first level's approvers.
    pub(crate) async fn request_approvals(self, tx: &mut Tx, ticket: &Ticket, plan: &Plan) -> Result<()> {
        let Some(class) = plan.risk_class else { return Ok(()) };
        let policies = self.store.approval_policies().await?;
        let due: Vec<(i64, i64)> =
            required(&policies, plan.change_type, class).iter().map(|p| (p.level, p.group_id)).collect();
        tx.reset_approvals(self.now(), ticket.id, &due).await?;
        if let Some(first) = due.iter().map(|d| d.0).min() {
            self.changes().tell_level(tx, ticket, first, &due).await?;
        }
        Ok(())
    }

    /// Mails each approver of `level` (who has an address) a single-use link to decide.
    async fn tell_level(self, tx: &mut Tx, ticket: &Ticket, level: i64, due: &[(i64, i64)]) -> Result<()> {
        if self.config.mail.is_none() {
            return Ok(());
        }
        let groups = self.store.approver_groups().await?;
        let at = self.now();
        let base = self.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned();
        for (_, group_id) in due.iter().filter(|d| d.0 == level) {
            let Some(g) = groups.iter().find(|g| g.id == *group_id) else { continue };
            for member in &g.members {
                let Some(user) = self.store.user(*member).await? else { continue };
                let Some(email) = user.email else { continue };
                let zh = crate::notifications::reads_chinese(user.locale.as_deref());
                let token = new_secret("apv_")?;
                let link = LinkRecord {
                    change_id: ticket.id,
                    level,
                    group_id: g.id,
                    user_id: *member,
                    expires_at: at + LINK_TTL,
                    used_at: None,
                };
                tx.insert_approval_link(&secret_hash(&token), &link).await?;
                // In the approver's language, as the other mails are.
                let (subject, body) = if zh {
                    (
                        format!("变更审批请求：{} {}", ticket.number, ticket.title),
                        format!(
                            "{} 请 {} 审批变更 {}“{}”。\n\n查看并决定（链接只能使用一次，72 小时内有效）：{base}/approvals/{token}\n",
                            ticket.number, g.name, ticket.number, ticket.title
                        ),
                    )
                } else {
                    (
                        format!("Approval requested for {}: {}", ticket.number, ticket.title),
                        format!(
                            "{} asks the {} group to approve {} \"{}\".\n\nRead it and decide (the link works once, for 72 hours): {base}/approvals/{token}\n",
                            ticket.number, g.name, ticket.number, ticket.title
                        ),
                    )
                };
                crate::mail::enqueue(tx, at, crate::mail::payload(email.as_str(), &subject, &body)).await?;
            }
        }
        Ok(())
    }

    /// Approves or rejects a change as the actor (or for whom they stand in). Rejecting needs a
    /// comment. The last approval moves the change on; a rejection ends it.
    pub async fn decide(
        self,
        actor: &Actor,
        id: TicketId,
        decision: Decision,
        comment: &str,
        via: &str,
    ) -> Result<Ticket> {
        actor.require(Permission::ReadTickets)?;
        let ticket = self
            .store
            .ticket(id)
            .await?
            .filter(super::tickets::is_change)
            .ok_or(AppError::NotFound("change"))?;
        self.changes().decide_as(actor, &ticket, None, decision, comment, via).await
    }

    async fn decide_as(
        self,
        actor: &Actor,
        ticket: &Ticket,
        only: Option<(i64, i64, UserId, &str)>,
        decision: Decision,
        comment: &str,
        via: &str,
    ) -> Result<Ticket> {
        let comment =
            steward_core::tickets::parse_description("comment", comment.trim()).map_err(AppError::from)?;
        let comment = comment.as_str();
        if comment.chars().count() > 2000 {
            return Err(AppError::invalid("comment", "a comment is at most 2000 characters"));
        }
        if decision == Decision::Reject && comment.is_empty() {
            return Err(AppError::invalid("comment", "say why the change is rejected"));
        }
        if ticket.state != State::Authorization {
            return Err(AppError::Conflict {
                field: Some("state"),
                message: format!("{} is {}: it awaits no approval", ticket.number, ticket.state),
            });
        }
        let me = actor.user.id;
        if [Some(ticket.requester_id), ticket.created_by, ticket.assignee_id].contains(&Some(me)) {
            return Err(AppError::Forbidden("you cannot approve or reject your own change".into()));
        }
        let rec = self.changes().plan(ticket.id).await?;
        let (levels, _) = self.changes().approval_levels(ticket, &rec.plan).await?;
        let Some(current) = levels.iter().filter(|l| l.verdict == Verdict::Pending).map(|l| l.level).min()
        else {
            return Err(AppError::Conflict { field: None, message: "no approval is pending".into() });
        };
        let at = self.now();
        let delegations = self.store.delegations_to(me, at).await?;
        // The member this decision counts for: the actor, else someone they stand in for.
        let mut seat = None;
        for l in levels.iter().filter(|l| l.level == current && l.verdict == Verdict::Pending) {
            if let Some((level, group, _, _)) = only
                && (level, group) != (l.level, l.group_id)
            {
                continue;
            }
            let candidates = std::iter::once(me).chain(delegations.iter().map(|d| d.user_id));
            for member in candidates {
                if only.is_some_and(|o| o.2 != member) || !l.members.contains(&member) {
                    continue;
                }
                if l.decisions.iter().any(|d| d.user_id == member) {
                    continue;
                }
                seat = Some((l, member));
                break;
            }
            if seat.is_some() {
                break;
            }
        }
        let Some((level, member)) = seat else {
            let decided =
                levels.iter().any(|l| l.decisions.iter().any(|d| d.user_id == me || d.decided_by == me));
            return Err(if decided {
                AppError::Conflict { field: None, message: "you have decided on this change already".into() }
            } else {
                AppError::Forbidden(format!(
                    "you are not an approver of {} at its current level {current}",
                    ticket.number
                ))
            });
        };
        let d = DecisionRecord {
            level: level.level,
            group_id: level.group_id,
            user_id: member,
            decided_by: me,
            decision,
            comment: comment.to_owned(),
            via: via.to_owned(),
            decided_at: at,
        };
        let approvals = level.decisions.iter().filter(|x| x.decision == Decision::Approve).count()
            + usize::from(decision == Decision::Approve);
        let rejections = level.decisions.iter().filter(|x| x.decision == Decision::Reject).count()
            + usize::from(decision == Decision::Reject);
        let verdict = level.rule.verdict(level.members.len(), approvals, rejections);
        let on_behalf_of = if member == me {
            None
        } else {
            Some(self.store.user(member).await?.map(|u| u.username.as_str().to_owned()).unwrap_or_default())
        };
        let mut tx = self.store.begin().await?;
        if let Some((_, _, _, hash)) = only
            && !tx.use_approval_link(at, hash).await?
        {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this approval link was used already".into(),
            });
        }
        tx.insert_decision(ticket.id, &d).await.map_err(|e| match e {
            steward_store::StoreError::Duplicate { .. } => {
                AppError::Conflict { field: None, message: "this approver has decided already".into() }
            }
            e => e.into(),
        })?;
        tx.set_approval_verdict(ticket.id, level.level, level.group_id, verdict).await?;
        let event = ChangeEvent::Decided {
            level: level.level,
            approver: actor.user.username.as_str().to_owned(),
            on_behalf_of,
            approve: decision == Decision::Approve,
            comment: comment.to_owned(),
            via: via.to_owned(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Change { id: ticket.id, event }).await?;
        let mut after: Vec<(i64, Verdict)> = levels
            .iter()
            .map(|l| {
                (
                    l.level,
                    if (l.level, l.group_id) == (level.level, level.group_id) { verdict } else { l.verdict },
                )
            })
            .collect();
        after.sort_by_key(|x| x.0);
        let saved = match overall(&after) {
            (Verdict::Approved, _) => {
                let workflow = self.changes().workflow(rec.plan.model_id, rec.plan.model_version).await?;
                let here = workflow.step(&rec.plan.step).cloned();
                let next = here.as_ref().and_then(|s| {
                    s.next.iter().filter_map(|k| workflow.step(k)).find(|t| t.phase != Phase::Assess).cloned()
                });
                // On to the next step when what it demands is there (an emergency change
                // approved before its window is set waits here, approved, for its window).
                let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(ticket.id).await?).await?;
                let views = self.changes().conflict_views(ticket, &rec.plan, &cis).await?;
                let gates = Gates {
                    approvals: Verdict::Approved,
                    open_conflicts: views.iter().filter(|c| c.accepted.is_none()).count(),
                };
                let ready = next.filter(|t| check_move(&rec.plan, &workflow, &t.key, gates).is_ok());
                let saved = match ready {
                    Some(target) => self.changes().step_in(&mut tx, actor, ticket, &rec, &target).await?,
                    None => ticket.clone(),
                };
                self.changes().sync_maintenance(&mut tx, &saved, &rec.plan, true).await?;
                saved
            }
            (Verdict::Rejected, _) => {
                let mut next = ticket.clone();
                next.state = State::Rejected;
                next.closed_at = Some(at);
                let empty = super::no_changes();
                let saved = self
                    .changes()
                    .save_ticket(&mut tx, actor, ticket, next, |c| ChangeEvent::Moved {
                        ticket: c,
                        plan: empty,
                    })
                    .await?;
                tx.save_plan(ticket.id, &rec, false).await?;
                saved
            }
            (Verdict::Pending, Some(next_level)) if next_level != current => {
                let due: Vec<(i64, i64)> = levels.iter().map(|l| (l.level, l.group_id)).collect();
                self.changes().tell_level(&mut tx, ticket, next_level, &due).await?;
                ticket.clone()
            }
            _ => ticket.clone(),
        };
        tx.commit().await?;
        Ok(saved)
    }

    /// A mailed approval link that still works, and the approver it speaks for. Forged, used
    /// or expired links, and disabled approvers, say so. Changes' and service requests' links
    /// are one kind of record (`change_id` names either ticket).
    pub(crate) async fn open_link(self, token: &str) -> Result<(LinkRecord, Actor)> {
        let link = self
            .store
            .approval_link(&secret_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound("approval link"))?;
        if link.used_at.is_some() {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this approval link was used already".into(),
            });
        }
        if link.expires_at <= self.now() {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this approval link has expired".into(),
            });
        }
        let actor = self.changes().link_actor(&link).await?;
        Ok((link, actor))
    }

    /// The kind of ticket a mailed approval link decides (a change or a service request).
    pub async fn link_kind(self, token: &str) -> Result<steward_core::tickets::TicketKind> {
        let link = self
            .store
            .approval_link(&secret_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound("approval link"))?;
        let ticket = self.store.ticket(link.change_id).await?.ok_or(AppError::NotFound("approval link"))?;
        Ok(ticket.kind)
    }

    /// What a mailed link opens: the change as its approver sees it. Forged, used or expired
    /// links say so.
    pub async fn link(self, token: &str) -> Result<LinkView> {
        let (link, actor) = self.changes().open_link(token).await?;
        let ticket = self
            .store
            .ticket(link.change_id)
            .await?
            .filter(|t| t.kind == steward_core::tickets::TicketKind::Change)
            .ok_or(AppError::NotFound("change"))?;
        let change = self.changes().view(ticket).await?;
        Ok(LinkView { change, approver: actor.user.username.as_str().to_owned(), link })
    }

    async fn link_actor(self, link: &LinkRecord) -> Result<Actor> {
        let user = self.store.user(link.user_id).await?.ok_or(AppError::NotFound("approval link"))?;
        if user.disabled {
            return Err(AppError::Forbidden("this approver's account is disabled".into()));
        }
        Ok(Actor { user, credential: Credential::Direct })
    }

    /// Decides through a mailed link, once.
    pub async fn decide_by_link(self, token: &str, decision: Decision, comment: &str) -> Result<Ticket> {
        let view = self.changes().link(token).await?;
        let actor = self.changes().link_actor(&view.link).await?;
        let hash = secret_hash(token.trim());
        let only = Some((view.link.level, view.link.group_id, view.link.user_id, hash.as_str()));
        self.changes().decide_as(&actor, &view.change.ticket, only, decision, comment, "mail").await
    }

    /// Reminds approvers of approvals waiting longer than `REMIND_AFTER`; returns how many.
    pub async fn remind_approvers(self) -> Result<usize> {
        let now = self.now();
        let waiting = self.store.approvals_to_remind(now - REMIND_AFTER).await?;
        let mut told = 0;
        for a in waiting {
            let Some(ticket) = self.store.ticket(a.change_id).await? else { continue };
            if ticket.state != State::Authorization {
                continue;
            }
            let rows = self.store.change_approvals(a.change_id).await?;
            let current = rows.iter().filter(|r| r.verdict == Verdict::Pending).map(|r| r.level).min();
            if current != Some(a.level) {
                continue;
            }
            let mut tx = self.store.begin().await?;
            tx.mark_approval_reminded(now, a.change_id, a.level, a.group_id).await?;
            self.changes().tell_level(&mut tx, &ticket, a.level, &[(a.level, a.group_id)]).await?;
            tx.commit().await?;
            told += 1;
        }
        Ok(told)
    }
}
