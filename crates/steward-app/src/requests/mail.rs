//! What a request's people are told by mail, in their own language: approvers when a level is
//! put to them (with a single-use link that decides without signing in, as a change's
//! approvers get), the requester when the request is fulfilled or rejected. Mails leave with the
//! transaction that caused them (the job queue), and only when mail is configured.

use steward_core::ids::UserId;
use steward_core::tickets::Ticket;
use steward_store::{LinkRecord, Tx};

use crate::Result;
use crate::changes::LINK_TTL;
use crate::secrets::{new_secret, secret_hash};

/// What happened, for the requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Fulfilled,
    Rejected,
}

impl crate::Requests<'_> {
    async fn mail_to(
        self,
        tx: &mut Tx,
        user: UserId,
        en: (String, String),
        zh: (String, String),
    ) -> Result<()> {
        let Some(user) = self.store.user(user).await? else { return Ok(()) };
        let (Some(email), false) = (user.email, user.disabled) else { return Ok(()) };
        let (subject, body) =
            if crate::notifications::reads_chinese(user.locale.as_deref()) { zh } else { en };
        crate::mail::enqueue(tx, self.now(), crate::mail::payload(&email, &subject, &body)).await
    }

    fn page_link(self, ticket: &Ticket) -> String {
        let base = self.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/');
        format!("{base}/requests/{}", ticket.id)
    }

    /// Tells the approvers of `level` (a manager, or a group's members but the requester), each
    /// with a link of their own that decides once, for 72 hours.
    pub(super) async fn tell_approvers(
        self,
        tx: &mut Tx,
        ticket: &Ticket,
        level: i64,
        manager: Option<UserId>,
        group: Option<i64>,
    ) -> Result<()> {
        if self.config.mail.is_none() {
            return Ok(());
        }
        let mut people: Vec<UserId> = manager.into_iter().collect();
        if let Some(g) = group
            && let Some(g) = self.store.approver_groups().await?.into_iter().find(|x| x.id == g)
        {
            people.extend(g.members.into_iter().filter(|m| *m != ticket.requester_id));
        }
        let page = self.page_link(ticket);
        let base = self.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned();
        let at = self.now();
        for person in people {
            let token = new_secret("apv_")?;
            let link = LinkRecord {
                change_id: ticket.id,
                level,
                // A manager's level has no group.
                group_id: group.unwrap_or(0),
                user_id: person,
                expires_at: at + LINK_TTL,
                used_at: None,
            };
            tx.insert_approval_link(&secret_hash(&token), &link).await?;
            let (number, title) = (&ticket.number, &ticket.title);
            let en = (
                format!("Approval requested: {number} {title}"),
                format!(
                    "{number} \"{title}\" waits for your approval.\n\nRead it and decide (the link works once, for 72 hours, without signing in): {base}/approvals/{token}\n\nOr sign in: {page}\n"
                ),
            );
            let zh = (
                format!("待你审批：{number} {title}"),
                format!(
                    "服务请求 {number}“{title}”等待你的审批。\n\n查看并决定（链接只能使用一次，72 小时内有效，无需登录）：{base}/approvals/{token}\n\n或登录后处理：{page}\n"
                ),
            );
            self.requests().mail_to(tx, person, en, zh).await?;
        }
        Ok(())
    }

    /// Tells the requester how their request ended.
    pub(super) async fn tell_requester(
        self,
        tx: &mut Tx,
        ticket: &Ticket,
        outcome: Outcome,
        why: &str,
    ) -> Result<()> {
        if self.config.mail.is_none() {
            return Ok(());
        }
        let link = self.page_link(ticket);
        let (en, zh) = match outcome {
            Outcome::Fulfilled => (
                (
                    format!("Fulfilled: {} {}", ticket.number, ticket.title),
                    format!("Your request {} \"{}\" is fulfilled.\n\n{link}\n", ticket.number, ticket.title),
                ),
                (
                    format!("已履行：{} {}", ticket.number, ticket.title),
                    format!("你的服务请求 {}“{}”已履行完毕。\n\n{link}\n", ticket.number, ticket.title),
                ),
            ),
            Outcome::Rejected => (
                (
                    format!("Rejected: {} {}", ticket.number, ticket.title),
                    format!(
                        "Your request {} \"{}\" was rejected: {why}\n\n{link}\n",
                        ticket.number, ticket.title
                    ),
                ),
                (
                    format!("已驳回：{} {}", ticket.number, ticket.title),
                    format!("你的服务请求 {}“{}”被驳回：{why}\n\n{link}\n", ticket.number, ticket.title),
                ),
            ),
        };
        self.requests().mail_to(tx, ticket.requester_id, en, zh).await
    }
}
