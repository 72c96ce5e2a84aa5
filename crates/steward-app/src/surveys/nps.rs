//! NPS: once a month a job sends a share of the previous month's requesters a survey — how
//! likely they are to recommend the service, 0–10, and why — by a mailed single-use link with
//! an unsubscribe link (and in the portal). NPS = % promoters − % detractors, per month, team
//! and service; the reasons are searchable and tagged positive, neutral or negative.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{SignedDuration, ToSpan};
use steward_core::events::DomainEvent;
use steward_core::identity::{Permission, User};
use steward_core::ids::TeamId;
use steward_core::surveys::{NpsEvent, NpsScore, NpsTally, Sentiment, sampled, sentiment};
use steward_store::{NewNps, NpsRecord, Tx};

use super::{base_url, free_text};
use crate::events::record;
use crate::secrets::{new_secret, secret_hash};
use crate::{Actor, AppError, Credential, Result};

/// The job sending last month's NPS survey in the first days of a month; hourly.
pub const NPS_MONTHLY: &str = "nps_monthly";
const LINK_TTL: SignedDuration = SignedDuration::from_hours(30 * 24);
/// The job sends in the month's first days only (a server down on the 1st still sends).
const SEND_DAYS: i8 = 7;

/// What a link opens.
#[derive(Debug, Clone)]
pub struct NpsLink {
    pub survey: NpsRecord,
    pub name: String,
    pub locale: Option<String>,
}

/// Which answers a results page shows.
#[derive(Debug, Clone, Default)]
pub struct NpsFilter {
    /// `YYYY-MM`, both ends included; default: the last twelve months.
    pub from: Option<String>,
    pub to: Option<String>,
    pub team: Option<TeamId>,
    pub service: Option<String>,
    /// Words the reason contains (any case).
    pub q: Option<String>,
    pub sentiment: Option<Sentiment>,
}

/// One answer as the results show it.
#[derive(Debug, Clone)]
pub struct NpsRow {
    pub survey: NpsRecord,
    pub team: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NpsResults {
    pub from: String,
    pub to: String,
    pub sent: i64,
    pub total: NpsTally,
    pub by_month: Vec<(String, NpsTally)>,
    pub by_team: Vec<(String, NpsTally)>,
    pub by_service: Vec<(String, NpsTally)>,
    /// The answers matching the filter, newest first (at most 500).
    pub verbatims: Vec<NpsRow>,
}

/// `YYYY-MM` of a date.
pub(crate) fn month_of(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The month's first day, from `YYYY-MM`.
pub(crate) fn parse_month(field: &'static str, s: &str) -> Result<Date> {
    let bad = || {
        AppError::invalid(
            field,
            format!("`{}` is not a month like 2026-11", s.chars().take(20).collect::<String>()),
        )
    };
    let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
    let (y, m): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(2000..=2999).contains(&y) || y.to_string().len() != 4 || m.to_string().len() > 2 {
        return Err(bad());
    }
    Date::new(y, m, 1).map_err(|_| bad())
}

impl crate::Surveys<'_> {
    /// In a month's first days, sends the previous month's survey unless it went already;
    /// returns how many were sent.
    pub async fn send_monthly_nps(self) -> Result<usize> {
        let today = self.config.report_zone.to_datetime(self.now()).date();
        if today.day() > SEND_DAYS {
            return Ok(0);
        }
        let month = month_of(today.first_of_month().yesterday().map_err(|e| anyhow::anyhow!("{e}"))?);
        if self.store.nps_ran(&month).await? {
            return Ok(0);
        }
        self.surveys().send_nps_for(None, &month).await
    }

    /// Sends `month`'s survey now (an admin, e.g. to resend after a failed mail server, or a
    /// month not yet over); people who have that month's survey already are not asked twice,
    /// and the monthly job still asks, once the month is over, those this one did not reach.
    pub async fn send_nps(self, actor: &Actor, month: &str) -> Result<usize> {
        actor.require(Permission::ManageCatalogue)?;
        let first = parse_month("month", month)?;
        let today = self.config.report_zone.to_datetime(self.now()).date();
        if first > today {
            return Err(AppError::invalid("month", "that month has not begun"));
        }
        self.surveys().send_nps_for(Some(actor), &month_of(first)).await
    }

    /// Sends `month`'s survey to whoever is due it; the monthly job (no actor) also records
    /// that the month ran, so it runs once (on one node) whatever it found.
    async fn send_nps_for(self, actor: Option<&Actor>, month: &str) -> Result<usize> {
        let first = parse_month("month", month)?;
        let (start, end) = super::month_bounds(&self, first)?;
        let salt = (first.year() as u64) * 12 + first.month() as u64;
        let at = self.now();
        // Who is due it, read before the transaction, which then only writes.
        let mut due = Vec::new();
        for c in self.store.nps_candidates(start, end).await? {
            if !sampled(c.user_id.get(), salt, self.config.surveys.nps_percent) {
                continue;
            }
            // The customers' voice: not the desk's own staff, who raise tickets for others.
            let Some(user) = self.store.user(c.user_id).await? else { continue };
            if !user.role.allows(Permission::WorkTickets) {
                due.push((c, user));
            }
        }
        let mut tx = self.store.begin().await?;
        if actor.is_none() && !tx.record_nps_run(month, at).await? {
            // Another node ran it meanwhile.
            return Ok(0);
        }
        let mut sent = 0;
        for (c, user) in due {
            let token = new_secret("nps_")?;
            let new = NewNps {
                month: month.to_owned(),
                user_id: c.user_id,
                team_id: c.team_id,
                service: c.service,
                token_hash: secret_hash(&token),
                expires_at: at + LINK_TTL,
            };
            let Some(id) = tx.insert_nps(at, &new).await? else { continue };
            let event = NpsEvent::Sent { month: month.to_owned(), user_id: c.user_id };
            record(&mut tx, at, actor, DomainEvent::Nps { id, event }).await?;
            self.surveys().mail_nps(&mut tx, &user, &new, &token).await?;
            sent += 1;
        }
        tx.commit().await?;
        Ok(sent)
    }

    async fn mail_nps(self, tx: &mut Tx, user: &User, s: &NewNps, token: &str) -> Result<()> {
        if self.config.mail.is_none() {
            return Ok(());
        }
        let Some(email) = &user.email else { return Ok(()) };
        let link = format!("{}/survey/nps/{token}", base_url(&self));
        let (subject, body) = if crate::notifications::reads_chinese(user.locale.as_deref()) {
            (
                "您会向同事推荐我们的 IT 服务吗？".to_owned(),
                format!(
                    "您好 {}，\n\n{} 您联系过 IT 服务台。您有多大可能向同事推荐我们的服务（0–10 分）？为什么？\n\n只需一分钟（无需登录，链接只能使用一次，30 天内有效）：\n{link}\n\n不想再收到此调查：{link}/unsubscribe\n",
                    user.display_name, s.month
                ),
            )
        } else {
            (
                "Would you recommend our IT service?".to_owned(),
                format!(
                    "Hello {},\n\nIn {} you were in touch with the IT service desk. How likely are you to recommend our service to a colleague, from 0 to 10, and why?\n\nIt takes a minute (no sign-in needed; the link works once, for 30 days):\n{link}\n\nNo more of these surveys: {link}/unsubscribe\n",
                    user.display_name, s.month
                ),
            )
        };
        crate::mail::enqueue(tx, self.now(), crate::mail::payload(email, &subject, &body)).await
    }

    /// The survey behind a link, whatever its state.
    async fn nps_by_token(self, token: &str) -> Result<NpsRecord> {
        self.store.nps_by_token(&secret_hash(token.trim())).await?.ok_or(AppError::NotFound("survey link"))
    }

    /// What a link opens; forged, used and expired links say so.
    pub async fn nps_link(self, token: &str) -> Result<NpsLink> {
        let survey = self.surveys().nps_by_token(token).await?;
        super::still_open(survey.answered_at, survey.expires_at, self.now())?;
        let user = self.store.user(survey.user_id).await?.ok_or(AppError::NotFound("survey link"))?;
        Ok(NpsLink { survey, name: user.display_name, locale: user.locale })
    }

    /// Answers through a link, once.
    pub async fn answer_nps_by_link(self, token: &str, score: i64, reason: &str) -> Result<NpsRecord> {
        let link = self.surveys().nps_link(token).await?;
        let user = self.store.user(link.survey.user_id).await?.ok_or(AppError::NotFound("survey link"))?;
        if user.disabled {
            return Err(AppError::Forbidden("this account is disabled".into()));
        }
        let actor = Actor { user, credential: Credential::Direct };
        self.surveys().answer_nps_survey(&actor, link.survey, score, reason).await
    }

    /// The signed-in person's survey waiting for an answer, if any.
    pub async fn nps_waiting(self, actor: &Actor) -> Result<Option<NpsRecord>> {
        actor.require(Permission::ReadTickets)?;
        Ok(self.store.nps_waiting(actor.user.id, self.now()).await?)
    }

    /// Answers the signed-in person's waiting survey (the portal).
    pub async fn answer_nps(self, actor: &Actor, score: i64, reason: &str) -> Result<NpsRecord> {
        actor.require(Permission::RaiseTickets)?;
        let survey = self.surveys().nps_waiting(actor).await?.ok_or(AppError::NotFound("survey"))?;
        self.surveys().answer_nps_survey(actor, survey, score, reason).await
    }

    async fn answer_nps_survey(
        self,
        actor: &Actor,
        survey: NpsRecord,
        score: i64,
        reason: &str,
    ) -> Result<NpsRecord> {
        NpsScore::parse(score).map_err(AppError::from)?;
        let reason = free_text("reason", reason)?;
        let tag = sentiment(&reason).as_str();
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.answer_nps(survey.id, at, score, &reason, tag).await? {
            return Err(AppError::Conflict {
                field: Some("token"),
                message: "this survey was answered already".into(),
            });
        }
        let event = NpsEvent::Answered { score, reason: reason.clone(), sentiment: tag.to_owned() };
        record(&mut tx, at, Some(actor), DomainEvent::Nps { id: survey.id, event }).await?;
        tx.commit().await?;
        Ok(NpsRecord {
            answered_at: Some(at),
            score: Some(score),
            reason,
            sentiment: Some(tag.to_owned()),
            ..survey
        })
    }

    /// No more NPS surveys for the link's person (the link may be answered or expired: it
    /// still names them). Returns their display name.
    pub async fn unsubscribe(self, token: &str) -> Result<String> {
        let survey = self.surveys().nps_by_token(token).await?;
        let user = self.store.user(survey.user_id).await?.ok_or(AppError::NotFound("survey link"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if tx.opt_out_of_nps(user.id, at).await? {
            let actor = Actor { user: user.clone(), credential: Credential::Direct };
            let event = NpsEvent::Unsubscribed { user_id: user.id };
            record(&mut tx, at, Some(&actor), DomainEvent::Nps { id: survey.id, event }).await?;
        }
        tx.commit().await?;
        Ok(user.display_name)
    }

    /// NPS per month, team and service, and the reasons, for the months of the filter.
    pub async fn nps_results(self, actor: &Actor, f: &NpsFilter) -> Result<NpsResults> {
        actor.require(Permission::ReadReports)?;
        let today = self.config.report_zone.to_datetime(self.now()).date();
        let to = match &f.to {
            Some(m) => parse_month("to", m)?,
            None => today.first_of_month(),
        };
        let from = match &f.from {
            Some(m) => parse_month("from", m)?,
            None => to.checked_sub(11.months()).map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        if from > to {
            return Err(AppError::invalid("from", "the first month comes after the last"));
        }
        let (from, to) = (month_of(from), month_of(to));
        let teams: BTreeMap<TeamId, String> =
            self.store.list_teams().await?.into_iter().map(|t| (t.team.id, t.team.name)).collect();
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_lowercase);
        let mut out = NpsResults { from: from.clone(), to: to.clone(), ..NpsResults::default() };
        let (mut months, mut by_team, mut by_service) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for s in self.store.nps_surveys(&from, &to).await? {
            if f.team.is_some_and(|t| s.team_id != Some(t))
                || f.service.as_ref().is_some_and(|x| s.service.as_ref() != Some(x))
            {
                continue;
            }
            out.sent += 1;
            let Some(score) = s.score.and_then(|x| NpsScore::parse(x).ok()) else { continue };
            out.total.add(score);
            months.entry(s.month.clone()).or_insert_with(NpsTally::default).add(score);
            let team = s.team_id.and_then(|t| teams.get(&t).cloned());
            by_team.entry(team.clone().unwrap_or_default()).or_insert_with(NpsTally::default).add(score);
            by_service
                .entry(s.service.clone().unwrap_or_default())
                .or_insert_with(NpsTally::default)
                .add(score);
            let shown = q.as_ref().is_none_or(|q| s.reason.to_lowercase().contains(q.as_str()))
                && f.sentiment.is_none_or(|x| s.sentiment.as_deref() == Some(x.as_str()));
            if shown && !s.reason.is_empty() {
                out.verbatims.push(NpsRow { survey: s, team });
            }
        }
        out.verbatims.sort_by_key(|v| std::cmp::Reverse(v.survey.answered_at));
        out.verbatims.truncate(500);
        out.by_month = months.into_iter().collect();
        out.by_team = by_team.into_iter().collect();
        out.by_service = by_service.into_iter().collect();
        Ok(out)
    }
}
