//! Log anomalies as alerts. A template never seen before on a host — once the host is past its
//! learning period, and at least as severe as configured — is an alert from source `logs`,
//! fingerprinted by (template, host), so a re-occurrence is a re-send and not a new alert.
//! The alert names the host: the alert pipeline matches it to its CI, and the rules decide
//! whether it opens an incident (an error opens one at the default rules).

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use steward_core::alerts::{Alert, RawAlert};
use steward_core::identity::{Role, Username};
use steward_core::logs::Level;
use steward_store::{LogHostRecord, NewUser, StoredLine};

use crate::{Actor, AppError, Credential, Result};

/// The user the log pipeline acts as: it raises alerts, which may open incidents.
pub const PIPELINE_USER: &str = "aiops";

impl crate::Logs<'_> {
    pub(super) async fn raise_new_templates(
        self,
        now: Timestamp,
        lines: &[StoredLine],
        seen: &HashSet<(i64, String)>,
        hosts: &HashMap<String, LogHostRecord>,
    ) -> Result<usize> {
        let config = &self.config.logs;
        let mut firsts: BTreeMap<(i64, &str), &StoredLine> = BTreeMap::new();
        for l in lines {
            let learned = hosts.get(&l.host).is_some_and(|h| h.first_seen + config.learning <= now);
            if !l.host.is_empty()
                && learned
                && l.level().at_least(config.new_template_level)
                && !seen.contains(&(l.template, l.host.clone()))
            {
                firsts.entry((l.template, &l.host)).or_insert(l);
            }
        }
        if firsts.is_empty() {
            return Ok(0);
        }
        let mut alerts = Vec::new();
        for ((template, host), line) in &firsts {
            let text = self.store.log_template(*template).await?.map(|t| t.text).unwrap_or_default();
            let severity = if line.level().at_least(Level::Error) { "critical" } else { "warning" };
            let raw = RawAlert {
                fingerprint: Some(format!("new-template:{template}:{host}")),
                status: "firing".into(),
                labels: BTreeMap::from([
                    ("alertname".into(), "NewLogTemplate".into()),
                    ("host".into(), (*host).to_owned()),
                    ("severity".into(), severity.into()),
                    ("level".into(), line.level().as_str().into()),
                    ("template".into(), template.to_string()),
                    ("source".into(), line.source.clone()),
                ]),
                annotations: BTreeMap::from([
                    ("summary".into(), format!("New log template on {host}: {}", truncate(&text, 200))),
                    ("description".into(), truncate(&line.message, 2000)),
                ]),
                starts_at: Some(Timestamp::from_millisecond(line.at_ms).unwrap_or(now).min(now)),
                ends_at: None,
                link: self.config.public_url.as_ref().map(|u| format!("{}/logs/templates/{template}", u.trim_end_matches('/'))),
            };
            let alert = Alert::parse("logs", "alerts", raw, now).map_err(|e| AppError::invalid("alerts", e))?;
            alerts.push(alert);
        }
        let count = alerts.len();
        let actor = self.pipeline_actor().await?;
        let payload = format!("{count} template(s) new on their host");
        for alert in alerts {
            let group = format!("logs:{}", alert.labels.get("host").map(String::as_str).unwrap_or_default());
            self.alerts().ingest(&actor, &group, vec![alert], &payload).await?;
        }
        Ok(count)
    }

    /// The pipeline's own user (an agent without a password, so nobody signs in as it),
    /// created on first need.
    pub(crate) async fn pipeline_actor(self) -> Result<Actor> {
        let name = Username::parse(PIPELINE_USER).map_err(|e| AppError::invalid("username", e))?;
        let user = match self.store.user_by_username(&name).await? {
            Some(u) => u,
            None => {
                let at = self.now();
                let mut tx = self.store.begin().await?;
                let new = NewUser {
                    username: name.clone(),
                    display_name: "AIOps".into(),
                    email: None,
                    role: Role::Agent,
                    password_hash: None,
                    locale: None,
                    organisation: None,
                };
                let user = match tx.insert_user(at, &new).await {
                    Ok(u) => u,
                    // Another node made it first.
                    Err(steward_store::StoreError::Duplicate { .. }) => {
                        drop(tx);
                        return self.store.user_by_username(&name).await?.ok_or(AppError::NotFound("user")).map(direct);
                    }
                    Err(e) => return Err(e.into()),
                };
                let event = steward_core::identity::UserEvent::Created(Box::new(crate::directory::user_snapshot(&user)));
                crate::record(&mut tx, at, None, steward_core::events::DomainEvent::User { id: Some(user.id), event }).await?;
                tx.commit().await?;
                user
            }
        };
        Ok(direct(user))
    }
}

fn direct(user: steward_core::identity::User) -> Actor {
    Actor { user, credential: Credential::Direct }
}

fn truncate(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}
