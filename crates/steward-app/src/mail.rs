//! Outgoing email, sent by a job so a slow or down mail server never holds up a request and a
//! failed send is retried with backoff.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Value, json};

use crate::{App, AppError, Result};

pub const SEND_EMAIL: &str = "send_email";

/// The job payload of one message.
pub fn payload(to: &str, subject: &str, body: &str) -> Value {
    json!({ "to": to, "subject": subject, "body": body })
}

/// Queues one message in `tx`, due at `at`: it leaves by the job queue only if the
/// transaction that caused it commits.
pub(crate) async fn enqueue(tx: &mut steward_store::Tx, at: jiff::Timestamp, payload: Value) -> Result<()> {
    let job =
        steward_store::NewJob { kind: SEND_EMAIL, payload, run_at: at, max_attempts: 8, dedupe_key: None };
    tx.enqueue_job(at, &job).await?;
    Ok(())
}

impl App {
    pub(crate) async fn send_email(&self, payload: &Value) -> Result<()> {
        let Some(mail) = &self.config.mail else {
            return Err(AppError::Internal(anyhow::anyhow!("mail is not configured")));
        };
        let field = |k: &str| {
            payload[k]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("email job without `{k}`")))
        };
        let parse = |addr: &str| {
            addr.parse::<Mailbox>().map_err(|e| AppError::Internal(anyhow::anyhow!("address `{addr}`: {e}")))
        };
        let message = Message::builder()
            .from(parse(&mail.from)?)
            .to(parse(&field("to")?)?)
            .subject(field("subject")?)
            .body(field("body")?)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("building an email: {e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&mail.smtp_url)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("smtp_url: {e}")))?
            .build();
        transport
            .send(message)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("sending an email: {e}")))?;
        Ok(())
    }
}
