//! Subscriptions (issue 18): events delivered outside Steward — email, a signed JSON webhook,
//! Slack, DingTalk, WeCom, Feishu. A feed job tails the event log (it may lag; nothing waits
//! for it), turns each event of interest into one [`Notice`], and queues one delivery per
//! subscription that wants it, in the transaction that moves its cursor. Each delivery is a job:
//! retried with backoff, and kept as dead when the queue gives up, for an admin to send again.

mod feed;
pub(crate) mod post;

use std::time::Duration;

use serde_json::json;
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::subscriptions::{
    Channel, Filter, Subscription, SubscriptionEvent, accepted, public_target, render,
};
use steward_store::{DeliveryRecord, NewJob, SubscriptionRecord};

use crate::{Actor, AppError, Result, record};

/// The job that sends one delivery.
pub const DELIVER: &str = "deliver_subscription";
/// The job that turns new events into deliveries; every five seconds.
pub const FEED: &str = "subscription_feed";
/// Attempts before a delivery is dead: with the queue's backoff, about five minutes of tries.
const ATTEMPTS: u32 = 6;
/// How long a receiver may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A subscription as typed in a form or an API body.
#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    pub name: String,
    pub topics: Vec<String>,
    pub channel: String,
    pub target: String,
    pub secret: Option<String>,
    pub locale: String,
    pub filter: Filter,
}

impl crate::Subscriptions<'_> {
    pub async fn create(self, actor: &Actor, new: NewSubscription) -> Result<i64> {
        actor.require(Permission::ManageDirectory)?;
        let s = Subscription::parse(
            &new.name,
            &new.topics,
            &new.channel,
            &new.target,
            new.secret.as_deref(),
            &new.locale,
            new.filter,
        )
        .map_err(|e| AppError::invalid(e.field, e.message))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_subscription(at, &s, actor.user.username.as_str()).await?;
        let event = SubscriptionEvent::Created {
            name: s.name.clone(),
            channel: s.channel.as_str().to_owned(),
            target: public_target(&s.target),
            topics: s.topics.iter().map(|t| t.as_str().to_owned()).collect(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Subscription { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn list(self, actor: &Actor) -> Result<Vec<SubscriptionRecord>> {
        actor.require(Permission::ManageDirectory)?;
        Ok(self.store.subscriptions().await?)
    }

    pub async fn delete(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageDirectory)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let name = tx.delete_subscription(id).await?.ok_or(AppError::NotFound("subscription"))?;
        record(
            &mut tx,
            at,
            Some(actor),
            DomainEvent::Subscription { id, event: SubscriptionEvent::Deleted { name } },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deliveries, newest first (`status`: `pending`, `delivered` or `dead`).
    pub async fn deliveries(self, actor: &Actor, status: Option<&str>) -> Result<Vec<DeliveryRecord>> {
        actor.require(Permission::ManageDirectory)?;
        Ok(self.store.deliveries(status, 200).await?)
    }

    /// Sends a dead delivery again (a fresh round of attempts).
    pub async fn resend(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageDirectory)?;
        let (delivery, _) = self.store.delivery(id).await?.ok_or(AppError::NotFound("delivery"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.revive_delivery(at, id).await? {
            return Err(AppError::invalid("delivery", "only a dead delivery is sent again"));
        }
        enqueue(&mut tx, at, id).await?;
        let event = SubscriptionEvent::Resent { delivery_id: id };
        record(&mut tx, at, Some(actor), DomainEvent::Subscription { id: delivery.subscription_id, event })
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One attempt at delivery `id` (the job's `attempt` of `max`): an error is retried by the
    /// queue; the last one leaves the delivery dead.
    pub async fn deliver(self, id: i64, attempt: u32, max: u32) -> Result<()> {
        let Some((d, s)) = self.store.delivery(id).await? else { return Ok(()) };
        if d.status != "pending" {
            return Ok(());
        }
        let sub = &s.subscription;
        let zh = sub.locale == "zh-CN";
        let outcome = match sub.channel {
            Channel::Email => self.mail_notice(sub, &d, zh).await,
            _ => self.post(sub, &d, zh).await,
        };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        match &outcome {
            Ok(()) => tx.record_attempt(at, id, "delivered", None).await?,
            Err(e) => {
                let status = if attempt >= max { "dead" } else { "pending" };
                tx.record_attempt(at, id, status, Some(e)).await?;
            }
        }
        tx.commit().await?;
        outcome.map_err(|e| AppError::Internal(anyhow::anyhow!("delivery {id} to {}: {e}", sub.name)))
    }

    async fn post(self, sub: &Subscription, d: &DeliveryRecord, zh: bool) -> std::result::Result<(), String> {
        let out = render(sub.channel, &sub.target, sub.secret.as_deref(), zh, &d.notice, self.now());
        let mut headers = out.headers;
        headers.push(("x-steward-delivery".to_owned(), d.id.to_string()));
        let (status, text) = post::post(&out.url, &headers, out.body, TIMEOUT).await?;
        accepted(sub.channel, status, &text)
    }

    /// Email goes out by the mail queue, which retries on its own.
    async fn mail_notice(
        self,
        sub: &Subscription,
        d: &DeliveryRecord,
        zh: bool,
    ) -> std::result::Result<(), String> {
        if self.config.mail.is_none() {
            return Err("mail is not configured (smtp_url)".to_owned());
        }
        let mut body = d.notice.facts(zh).join("\n");
        if let Some(link) = &d.notice.link {
            body.push_str(&format!("\n\n{link}"));
        }
        let subject = format!("[Steward] {}", d.notice.headline(zh));
        let at = self.now();
        let queued = async {
            let mut tx = self.store.begin().await?;
            crate::mail::enqueue(&mut tx, at, crate::mail::payload(&sub.target, &subject, &body)).await?;
            tx.commit().await?;
            Ok::<(), AppError>(())
        };
        queued.await.map_err(|e| e.to_string())
    }
}

/// Queues the job that sends delivery `id`.
async fn enqueue(tx: &mut steward_store::Tx, at: jiff::Timestamp, id: i64) -> Result<()> {
    let job = NewJob {
        kind: DELIVER,
        payload: json!({ "delivery": id }),
        run_at: at,
        max_attempts: ATTEMPTS,
        dedupe_key: None,
    };
    tx.enqueue_job(at, &job).await?;
    Ok(())
}
