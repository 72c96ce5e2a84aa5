//! CSAT: when an incident or a request is resolved, its requester is asked — at most once per
//! ticket, by the configured share — for 1–5 stars and a comment, in the portal and by a mailed
//! single-use link that works without signing in. A job tails the event log for resolutions,
//! so resolving never waits for it. A low score (1–2 stars) leaves a work note on the ticket
//! and mails the team's leads; by the setting it also reopens the incident.

use jiff::SignedDuration;
use steward_core::events::DomainEvent;
use steward_core::identity::{Permission, Role};
use steward_core::ids::{TicketId, UserId};
use steward_core::surveys::{CsatEvent, LowScoreAction, Stars, sampled};
use steward_core::tickets::{
    IncidentEvent, State, Ticket, TicketField, TicketKind, TransitionRequest, apply_transition,
    ticket_changes,
};
use steward_store::{CsatRecord, NewComment, NewCsat, Tx};

use super::{base_url, free_text};
use crate::events::{TicketChange, TicketEvent, record};
use crate::secrets::{new_secret, secret_hash};
use crate::{Actor, AppError, Credential, Result};

/// The job asking for ratings of what was resolved since its last run; every ten seconds.
pub const CSAT_FEED: &str = "csat_feed";
/// The feed's name in `feed_cursors`.
const CURSOR: &str = "csat";
const BATCH: i64 = 500;
/// A link works this long.
const LINK_TTL: SignedDuration = SignedDuration::from_hours(14 * 24);
/// Resolutions older than this when the job first reads them are not asked about (a database
/// upgraded to this version does not survey its whole history).
const TOO_OLD: SignedDuration = SignedDuration::from_hours(3 * 24);
/// Mixed into the sampling so CSAT's sample is not NPS's.
const SALT: u64 = 0xC5A7;

/// A survey waiting for the signed-in requester, with its ticket.
#[derive(Debug, Clone)]
pub struct CsatWaiting {
    pub survey: CsatRecord,
    pub ticket: Ticket,
}

/// A month's ratings.
#[derive(Debug, Clone, Default)]
pub struct CsatMonth {
    pub month: String,
    pub answers: i64,
    pub stars: i64,
    /// Ratings of 4 or 5 stars.
    pub satisfied: i64,
    pub ratings: Vec<CsatWaiting>,
}

/// What a mailed link opens.
#[derive(Debug, Clone)]
pub struct CsatLink {
    pub survey: CsatRecord,
    pub ticket: Ticket,
    pub requester_name: String,
    pub requester_locale: Option<String>,
}

/// The state a ticket event left its ticket in, for the kinds surveyed.
fn resolved_ticket(event: &DomainEvent) -> Option<TicketId> {
    let (id, fields) = match event {
        DomainEvent::Incident { id, event } => (*id, event.fields_after()?),
        DomainEvent::Request { id, event } => (*id, event.fields_after()?),
        _ => return None,
    };
    let state = fields.get(TicketField::State)?.as_text()?;
    (state == State::Resolved.as_str()).then_some(id)
}

impl crate::Surveys<'_> {
    /// Asks the requesters of tickets resolved since the last run; returns how many it asked.
    pub async fn ask_for_ratings(self) -> Result<usize> {
        let mut asked = 0;
        loop {
            let from = self.store.feed_cursor(CURSOR).await?;
            let events = self.store.events_after(from, BATCH).await?;
            let Some(last) = events.last().map(|e| e.event.seq) else { return Ok(asked) };
            let now = self.now();
            let mut due = Vec::new();
            for logged in &events {
                let Ok(domain) = logged.domain() else { continue };
                let Some(id) = resolved_ticket(&domain) else { continue };
                if logged.at() < now - TOO_OLD {
                    continue;
                }
                if let Some(survey) = self.survey_for(id, logged.event.actor_id).await? {
                    due.push(survey);
                }
            }
            let mut tx = self.store.begin().await?;
            if !tx.advance_feed(CURSOR, from, last).await? {
                continue;
            }
            for (new, token, requester) in due {
                let Some(id) = tx.insert_csat(now, &new).await? else { continue };
                let event = CsatEvent::Asked { ticket_id: new.ticket_id, requester_id: new.requester_id };
                record(&mut tx, now, None, DomainEvent::Csat { id, event }).await?;
                self.mail_survey(&mut tx, &requester, new.ticket_id, &token).await?;
                asked += 1;
            }
            tx.commit().await?;
        }
    }

    /// The survey to send for a resolved ticket, if its requester is to be asked: a person
    /// (who can sign in or has an address), not the one who resolved it nor its agent, in the
    /// sample, and not asked before.
    async fn survey_for(
        self,
        id: TicketId,
        resolver: Option<UserId>,
    ) -> Result<Option<(NewCsat, String, steward_core::identity::User)>> {
        let Some(ticket) = self.store.ticket(id).await? else { return Ok(None) };
        let surveyed = matches!(ticket.kind, TicketKind::Incident | TicketKind::Request);
        if !surveyed
            || Some(ticket.requester_id) == ticket.assignee_id
            || Some(ticket.requester_id) == resolver
            || !sampled(id.get(), SALT, self.config.surveys.csat_percent)
            || self.store.csat_of_ticket(id).await?.is_some()
        {
            return Ok(None);
        }
        let Some(user) = self.store.user(ticket.requester_id).await?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        let signs_in =
            self.store.login_record(&user.username).await?.is_some_and(|l| l.password_hash.is_some());
        if !signs_in && user.email.is_none() {
            return Ok(None);
        }
        let token = new_secret("csat_")?;
        let new = NewCsat {
            ticket_id: id,
            requester_id: ticket.requester_id,
            // The team and agent who resolved it: the leaderboard credits the rating to them
            // even when the ticket moves on later (its incident figures follow the ticket).
            team_id: ticket.team_id,
            assignee_id: ticket.assignee_id,
            service: ticket.service.clone(),
            token_hash: secret_hash(&token),
            expires_at: self.now() + LINK_TTL,
        };
        Ok(Some((new, token, user)))
    }

    async fn mail_survey(
        self,
        tx: &mut Tx,
        user: &steward_core::identity::User,
        id: TicketId,
        token: &str,
    ) -> Result<()> {
        let (Some(email), Some(_)) = (&user.email, &self.config.mail) else { return Ok(()) };
        let Some(t) = self.store.ticket(id).await? else { return Ok(()) };
        let link = format!("{}/survey/csat/{token}", base_url(&self));
        let (subject, body) = if crate::notifications::reads_chinese(user.locale.as_deref()) {
            (
                format!("请评价：{} {}", t.number, t.title),
                format!(
                    "您好 {}，\n\n{}“{}”已解决。处理得怎么样？请用 1–5 星评价（无需登录，链接只能使用一次，14 天内有效）：\n{link}\n",
                    user.display_name, t.number, t.title
                ),
            )
        } else {
            (
                format!("How did we do? {} {}", t.number, t.title),
                format!(
                    "Hello {},\n\n{} \"{}\" was resolved. How did we do? Rate it from 1 to 5 stars (no sign-in needed; the link works once, for 14 days):\n{link}\n",
                    user.display_name, t.number, t.title
                ),
            )
        };
        crate::mail::enqueue(tx, self.now(), crate::mail::payload(email, &subject, &body)).await
    }

    /// The signed-in person's surveys waiting for an answer (the portal's "rate" cards).
    pub async fn csat_waiting(self, actor: &Actor) -> Result<Vec<CsatWaiting>> {
        actor.require(Permission::ReadTickets)?;
        let mut out = Vec::new();
        for survey in self.store.csat_waiting(actor.user.id, self.now()).await? {
            if let Some(ticket) = self.store.ticket(survey.ticket_id).await? {
                out.push(CsatWaiting { survey, ticket });
            }
        }
        Ok(out)
    }

    /// What a mailed link opens; forged, used and expired links say so.
    pub async fn csat_link(self, token: &str) -> Result<CsatLink> {
        let survey = self
            .store
            .csat_by_token(&secret_hash(token.trim()))
            .await?
            .ok_or(AppError::NotFound("survey link"))?;
        super::still_open(survey.answered_at, survey.expires_at, self.now())?;
        let ticket = self.store.ticket(survey.ticket_id).await?.ok_or(AppError::NotFound("survey link"))?;
        let user = self.store.user(survey.requester_id).await?.ok_or(AppError::NotFound("survey link"))?;
        Ok(CsatLink { survey, ticket, requester_name: user.display_name, requester_locale: user.locale })
    }

    /// Answers through a mailed link, once, as its requester.
    pub async fn rate_by_link(self, token: &str, stars: i64, comment: &str) -> Result<CsatWaiting> {
        let link = self.surveys().csat_link(token).await?;
        let user =
            self.store.user(link.survey.requester_id).await?.ok_or(AppError::NotFound("survey link"))?;
        if user.disabled {
            return Err(AppError::Forbidden("this account is disabled".into()));
        }
        let actor = Actor { user, credential: Credential::Direct };
        self.surveys().answer(&actor, link.survey, stars, comment, "mail").await
    }

    /// Answers in the portal: only the ticket's requester, only a survey they were sent.
    pub async fn rate(
        self,
        actor: &Actor,
        ticket: TicketId,
        stars: i64,
        comment: &str,
    ) -> Result<CsatWaiting> {
        actor.require(Permission::RaiseTickets)?;
        let survey = self
            .store
            .csat_of_ticket(ticket)
            .await?
            .filter(|s| s.requester_id == actor.user.id)
            .ok_or(AppError::NotFound("survey"))?;
        if survey.answered_at.is_some() {
            return Err(AppError::Conflict { field: None, message: "you rated this one already".into() });
        }
        if survey.expires_at <= self.now() {
            return Err(AppError::Conflict { field: None, message: "this survey has expired".into() });
        }
        self.surveys().answer(actor, survey, stars, comment, "portal").await
    }

    /// Stores the answer with its event; a low score writes a work note, mails the team's
    /// leads and (by the setting) reopens a resolved incident, in the same transaction.
    async fn answer(
        self,
        actor: &Actor,
        survey: CsatRecord,
        stars: i64,
        comment: &str,
        via: &str,
    ) -> Result<CsatWaiting> {
        let score = Stars::parse(stars).map_err(AppError::from)?;
        let comment = free_text("comment", comment)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.answer_csat(survey.id, at, stars, &comment, via).await? {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this survey was answered already".into(),
            });
        }
        let event = CsatEvent::Answered {
            ticket_id: survey.ticket_id,
            stars,
            comment: comment.clone(),
            via: via.to_owned(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Csat { id: survey.id, event }).await?;
        if score.is_low() {
            self.surveys().low_score(&mut tx, actor, &survey, score, &comment).await?;
        }
        tx.commit().await?;
        let ticket = self.store.ticket(survey.ticket_id).await?.ok_or(AppError::NotFound("ticket"))?;
        let survey = CsatRecord {
            answered_at: Some(at),
            stars: Some(stars),
            comment,
            via: Some(via.to_owned()),
            ..survey
        };
        Ok(CsatWaiting { survey, ticket })
    }

    async fn low_score(
        self,
        tx: &mut Tx,
        actor: &Actor,
        survey: &CsatRecord,
        score: Stars,
        comment: &str,
    ) -> Result<()> {
        let at = self.now();
        let ticket = tx.lock_ticket(survey.ticket_id).await?.ok_or(AppError::NotFound("ticket"))?;
        let stars = "★".repeat(score.get().into());
        let mut body = format!("Satisfaction survey: **{stars}** ({} of 5)", score.get());
        if !comment.is_empty() {
            body.push_str(&format!(" — “{comment}”"));
        }
        let new = NewComment {
            ticket_id: ticket.id,
            author_id: actor.user.id,
            body_html: crate::markdown::to_safe_html(&body),
            body,
            internal: true,
            mentions: Vec::new(),
        };
        let comment_id = tx.insert_comment(at, &new).await?;
        let event: TicketEvent = match ticket.kind {
            TicketKind::Request => {
                steward_core::requests::RequestEvent::Commented { comment_id, internal: true }.into()
            }
            _ => IncidentEvent::Commented { comment_id, internal: true, mentions: Vec::new() }.into(),
        };
        self.record_ticket_event(tx, TicketChange::on(&ticket, at, Some(actor), event)).await?;
        let reopen = self.config.surveys.low_score == LowScoreAction::Reopen
            && ticket.kind == TicketKind::Incident
            && ticket.state == State::Resolved;
        if reopen {
            let mut next = ticket.clone();
            let request = TransitionRequest { to: Some(State::InProgress), ..TransitionRequest::default() };
            if apply_transition(&mut next, &request, at).is_ok()
                && let Some(changes) = ticket_changes(&ticket, &next)
            {
                next.updated_at = at;
                let saved = tx.update_ticket(&next).await?;
                let event = IncidentEvent::Transitioned(changes);
                let change = TicketChange::moved(Some(&ticket), &saved, at, Some(actor), event);
                self.record_ticket_event(tx, change).await?;
            }
        }
        self.surveys().tell_leads(tx, &ticket, survey, score, comment, reopen).await
    }

    /// Mails the leads of the ticket's team (its agent when the team has none).
    async fn tell_leads(
        self,
        tx: &mut Tx,
        ticket: &Ticket,
        survey: &CsatRecord,
        score: Stars,
        comment: &str,
        reopened: bool,
    ) -> Result<()> {
        if self.config.mail.is_none() {
            return Ok(());
        }
        let members = match survey.team_id.or(ticket.team_id) {
            Some(team) => self
                .store
                .list_teams()
                .await?
                .into_iter()
                .find(|t| t.team.id == team)
                .map(|t| t.members)
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let mut people: Vec<_> =
            members.into_iter().filter(|u| u.role == Role::TeamLead && !u.disabled).collect();
        if people.is_empty()
            && let Some(agent) = survey.assignee_id
            && let Some(u) = self.store.user(agent).await?.filter(|u| !u.disabled)
        {
            people.push(u);
        }
        let link = format!("{}/{}/{}", base_url(&self), ticket_path(ticket.kind), ticket.id);
        for lead in people {
            let Some(email) = &lead.email else { continue };
            let (subject, body) = if crate::notifications::reads_chinese(lead.locale.as_deref()) {
                (
                    format!("低分满意度：{} {}（{} 星）", ticket.number, ticket.title, score.get()),
                    format!(
                        "请求人给 {}“{}”打了 {} 星（满分 5 星）{}。\n\n评价：{}\n\n查看：{link}\n",
                        ticket.number,
                        ticket.title,
                        score.get(),
                        if reopened { "，事件已重新打开" } else { "" },
                        if comment.is_empty() { "（无）" } else { comment }
                    ),
                )
            } else {
                (
                    format!("Low satisfaction: {} {} ({} stars)", ticket.number, ticket.title, score.get()),
                    format!(
                        "The requester rated {} \"{}\" {} of 5 stars{}.\n\nTheir comment: {}\n\nOpen it: {link}\n",
                        ticket.number,
                        ticket.title,
                        score.get(),
                        if reopened { "; the incident was reopened" } else { "" },
                        if comment.is_empty() { "(none)" } else { comment }
                    ),
                )
            };
            crate::mail::enqueue(tx, self.now(), crate::mail::payload(email, &subject, &body)).await?;
        }
        Ok(())
    }

    /// A month's ratings (`YYYY-MM`, default the current one): totals and the newest 500.
    pub async fn csat_month(self, actor: &Actor, month: Option<&str>) -> Result<CsatMonth> {
        actor.require(Permission::ReadReports)?;
        let first = super::month_or_now(&self, month)?;
        let (from, to) = super::month_bounds(&self, first)?;
        let mut out = CsatMonth { month: super::month_of(first), ..CsatMonth::default() };
        for s in self.store.csat_sums(from, to).await? {
            out.answers += s.answers;
            out.stars += s.stars;
            out.satisfied += s.satisfied;
        }
        for survey in self.store.csat_answers(from, to, 500).await? {
            if let Some(ticket) = self.store.ticket(survey.ticket_id).await? {
                out.ratings.push(CsatWaiting { survey, ticket });
            }
        }
        Ok(out)
    }
}

/// Where a ticket's page is.
fn ticket_path(kind: TicketKind) -> &'static str {
    match kind {
        TicketKind::Request => "requests",
        _ => "incidents",
    }
}
