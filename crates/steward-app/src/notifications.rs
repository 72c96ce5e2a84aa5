//! Notifications (issue 17): a job tails the event log and tells the people around each ticket
//! what happened, by the rules in `steward_core::tickets::audience` and each user's channel
//! per kind — in the app, by mail at once, or in a daily digest. Derived data that may lag a
//! few seconds, so requests never wait for it; the cursor moves in the same transaction as the
//! notices, so a notice is written once even with several nodes.

use std::collections::HashMap;

use steward_core::events::DomainEvent;
use steward_core::ids::{TeamId, UserId};
use steward_core::tickets::{Channel, NoticeKind, Parties, Ticket, TicketField, audience};

use crate::{Actor, AppError, Result};

/// The feed's name in `feed_cursors`.
const FEED: &str = "notifications";
/// Events read per transaction.
const BATCH: i64 = 200;

/// One notice to write: who, about what, and whether a mail goes now.
struct Notice {
    user: UserId,
    ticket: Ticket,
    kind: NoticeKind,
    actor_name: String,
}

/// A user's channel for each kind the feed tells, theirs or the default.
pub fn channels(chosen: &[(String, String)]) -> Vec<(NoticeKind, Channel)> {
    NoticeKind::CHOSEN
        .iter()
        .map(|k| {
            let set = chosen.iter().find(|(kind, _)| kind == k.as_str()).and_then(|(_, c)| Channel::parse(c));
            (*k, set.unwrap_or(k.default_channel()))
        })
        .collect()
}

/// One notice as a line of text in a language (`zh`: Simplified Chinese, else English): the
/// line stored with it (English; pages show `notification.<kind>` in the reader's language),
/// a mail's body, a digest's line. `who` is empty for what Steward itself noticed (an SLA).
pub(crate) fn notice_line(zh: bool, kind: NoticeKind, who: &str, number: &str, title: &str) -> String {
    let what = match (zh, kind) {
        (false, NoticeKind::Assigned) => "assigned you",
        (false, NoticeKind::Queued) => "put in your team's queue",
        (false, NoticeKind::Reply) => "replied on",
        (false, NoticeKind::StateChanged) => "changed the state of",
        (false, NoticeKind::Resolved) => "resolved",
        (false, NoticeKind::Watched) => "updated",
        (false, NoticeKind::Mention) => "mentioned you on",
        (false, NoticeKind::SlaWarning) => "SLA at risk on",
        (false, NoticeKind::SlaBreach) => "SLA breached on",
        (true, NoticeKind::Assigned) => "将工单分派给了您",
        (true, NoticeKind::Queued) => "有新工单进入您所在处理组的队列",
        (true, NoticeKind::Reply) => "回复了工单",
        (true, NoticeKind::StateChanged) => "变更了工单状态",
        (true, NoticeKind::Resolved) => "已解决您的工单，请确认或重新打开",
        (true, NoticeKind::Watched) => "更新了您关注的工单",
        (true, NoticeKind::Mention) => "在工单中提到了您",
        (true, NoticeKind::SlaWarning) => "SLA 即将超时",
        (true, NoticeKind::SlaBreach) => "SLA 已超时",
    };
    match zh {
        true => format!("{who} {what}：{number} {title}").trim_start().to_owned(),
        false => format!("{who} {what} {number}: {title}").trim_start().to_owned(),
    }
}

fn english(kind: NoticeKind, who: &str, t: &Ticket) -> String {
    notice_line(false, kind, who, &t.number, &t.title)
}

/// Whether a user reads Chinese.
pub(crate) fn reads_chinese(locale: Option<&str>) -> bool {
    locale.is_some_and(|l| l.starts_with("zh"))
}

/// A mail's subject and body in the recipient's language.
pub(crate) fn mail_text(locale: Option<&str>, kind: NoticeKind, who: &str, t: &Ticket) -> (String, String) {
    let zh = reads_chinese(locale);
    let subject = match zh {
        true => format!("[Steward] {}：{}", t.number, t.title),
        false => format!("[Steward] {}: {}", t.number, t.title),
    };
    (subject, notice_line(zh, kind, who, &t.number, &t.title))
}

impl crate::Notifications<'_> {
    /// Handles every event written since the last run; returns how many notices it wrote.
    pub async fn process_feed(self) -> Result<usize> {
        let mut written = 0;
        let teams: HashMap<TeamId, Vec<UserId>> = self
            .store
            .list_teams()
            .await?
            .into_iter()
            .map(|t| (t.team.id, t.members.iter().filter(|u| !u.disabled).map(|u| u.id).collect()))
            .collect();
        loop {
            let from = self.store.feed_cursor(FEED).await?;
            let events = self.store.events_after(from, BATCH).await?;
            let Some(last) = events.last().map(|e| e.event.seq) else { return Ok(written) };
            let mut notices = Vec::new();
            for logged in &events {
                let Ok(DomainEvent::Incident { id, event }) = logged.domain() else { continue };
                let Some(ticket) = self.store.ticket(id).await? else { continue };
                // Assignment as the event left it (the ticket may have moved on since).
                let set = |f: TicketField| event.fields_after().and_then(|x| x.get(f)).map(|v| v.as_int());
                let assignee = set(TicketField::AssigneeId).map_or(ticket.assignee_id, |v| v.map(UserId));
                let team = set(TicketField::TeamId).map_or(ticket.team_id, |v| v.map(TeamId));
                let parties = Parties {
                    requester: Some(ticket.requester_id),
                    assignee,
                    team: team.and_then(|t| teams.get(&t).cloned()).unwrap_or_default(),
                    watchers: self.store.watchers(id).await?,
                };
                let actor_name = logged.event.actor_name.clone();
                for (user, kind) in audience(&event, &ticket, &parties, logged.event.actor_id) {
                    notices.push(Notice {
                        user,
                        ticket: ticket.clone(),
                        kind,
                        actor_name: actor_name.clone(),
                    });
                }
            }
            let at = self.now();
            let mut prefs: HashMap<UserId, Vec<(NoticeKind, Channel)>> = HashMap::new();
            let mut mails = Vec::new();
            let mut kept = Vec::new();
            for n in notices {
                if let std::collections::hash_map::Entry::Vacant(slot) = prefs.entry(n.user) {
                    slot.insert(channels(&self.store.notification_prefs(n.user).await?));
                }
                let channel =
                    prefs[&n.user].iter().find(|(k, _)| *k == n.kind).map_or(Channel::App, |(_, c)| *c);
                if channel == Channel::Off {
                    continue;
                }
                if channel == Channel::Email
                    && self.config.mail.is_some()
                    && let Some(user) = self.store.user(n.user).await?.filter(|u| !u.disabled)
                    && let Some(email) = &user.email
                {
                    let (subject, body) = mail_text(user.locale.as_deref(), n.kind, &n.actor_name, &n.ticket);
                    mails.push(crate::mail::payload(email, &subject, &body));
                }
                kept.push(n);
            }
            let mut tx = self.store.begin().await?;
            if !tx.advance_feed(FEED, from, last).await? {
                // Another node handled these events meanwhile.
                continue;
            }
            for n in &kept {
                let message = english(n.kind, &n.actor_name, &n.ticket);
                tx.notify_by(at, n.user, Some(n.ticket.id), n.kind.as_str(), &message, Some(&n.actor_name))
                    .await?;
            }
            for payload in mails {
                crate::mail::enqueue(&mut tx, at, payload).await?;
            }
            tx.commit().await?;
            written += kept.len();
        }
    }

    /// Moves the feed past every event written so far (the demo's history is old news).
    pub async fn skip_to_now(self) -> Result<()> {
        let from = self.store.feed_cursor(FEED).await?;
        let mut last = from;
        while let Some(e) = self.store.events_after(last, BATCH).await?.last() {
            last = e.event.seq;
        }
        let mut tx = self.store.begin().await?;
        tx.advance_feed(FEED, from, last).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails each user who chose a digest for some kinds the notices of those kinds not yet
    /// sent, one mail per user; returns how many mails.
    pub async fn send_digests(self) -> Result<usize> {
        let at = self.now();
        // A daily digest holds the last day: a user who switches to digests is not mailed
        // everything older at once.
        let since = at.checked_sub(jiff::SignedDuration::from_hours(24)).unwrap_or(at);
        let pending = self.store.pending_digest(since).await?;
        let mut mails = 0;
        let mut tx = self.store.begin().await?;
        for chunk in pending.chunk_by(|a, b| a.user_id == b.user_id) {
            let user_id = chunk[0].user_id;
            let ids: Vec<i64> = chunk.iter().map(|n| n.id).collect();
            if self.config.mail.is_some()
                && let Some(user) = self.store.user(user_id).await?.filter(|u| !u.disabled)
                && let Some(email) = &user.email
            {
                let zh = reads_chinese(user.locale.as_deref());
                let subject = if zh { "[Steward] 今日通知摘要" } else { "[Steward] Your daily digest" };
                // Each line in the reader's language, from what the notice is about; a kind no
                // longer known keeps its stored (English) line.
                let body: Vec<String> = chunk
                    .iter()
                    .map(|n| match (NoticeKind::parse(&n.kind), &n.ticket) {
                        (Some(kind), Some((number, title))) => {
                            notice_line(zh, kind, n.actor_name.as_deref().unwrap_or(""), number, title)
                        }
                        _ => n.message.clone(),
                    })
                    .collect();
                crate::mail::enqueue(&mut tx, at, crate::mail::payload(email, subject, &body.join("\n")))
                    .await?;
                mails += 1;
            }
            tx.mark_digested(at, &ids).await?;
        }
        tx.commit().await?;
        Ok(mails)
    }

    /// How `user` hears of `kind`: their choice, else the kind's default.
    pub(crate) async fn channel_of(self, user: UserId, kind: NoticeKind) -> Result<Channel> {
        let chosen = channels(&self.store.notification_prefs(user).await?);
        Ok(chosen.iter().find(|(k, _)| *k == kind).map_or(kind.default_channel(), |(_, c)| *c))
    }

    /// The actor's channel for each kind.
    pub async fn preferences(self, actor: &Actor) -> Result<Vec<(NoticeKind, Channel)>> {
        Ok(channels(&self.store.notification_prefs(actor.user.id).await?))
    }

    /// Sets the actor's channel for one kind.
    pub async fn set_preference(self, actor: &Actor, kind: &str, channel: &str) -> Result<()> {
        let kind = NoticeKind::parse(kind)
            .filter(|k| NoticeKind::CHOSEN.contains(k))
            .ok_or_else(|| AppError::invalid("kind", format!("unknown kind `{kind}`")))?;
        let channel = Channel::parse(channel)
            .ok_or_else(|| AppError::invalid("channel", "a channel is off, app, email or digest"))?;
        let mut tx = self.store.begin().await?;
        tx.set_notification_pref(actor.user.id, kind.as_str(), channel.as_str()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many of the actor's notifications are unread.
    pub async fn unread(self, actor: &Actor) -> Result<i64> {
        Ok(self.store.unread_notifications(actor.user.id).await?)
    }
}
