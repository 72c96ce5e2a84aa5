//! Log anomalies as alerts. A template never seen before on a host — once the host is past its
//! learning period, and at least as severe as configured — is an alert from source `logs`,
//! fingerprinted by (template, host), so a re-occurrence is a re-send and not a new alert.
//! The alert names the host: the alert pipeline matches it to its CI, and the rules decide
//! whether it opens an incident (an error opens one at the default rules).

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::{SignedDuration, Timestamp};
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
            let learned = hosts
                .get(&l.host)
                .is_some_and(|h| h.first_seen.checked_add(config.learning).is_ok_and(|t| t <= now));
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
                // The host hashed: a host name may be longer than a fingerprint may be.
                fingerprint: Some(format!(
                    "new-template:{template}:{}",
                    &steward_store::template_hash(host)[..16]
                )),
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
                link: self
                    .config
                    .public_url
                    .as_ref()
                    .map(|u| format!("{}/logs/templates/{template}", u.trim_end_matches('/'))),
            };
            let alert =
                Alert::parse("logs", "alerts", raw, now).map_err(|e| AppError::invalid("alerts", e))?;
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

    /// Judges the last complete hour of every template active in the last day against its own
    /// seasonal history (same hour of the week, else of the day; `steward_aiops::series::
    /// seasonal`). A departure fires an alert `LogRateAnomaly` (one per template, so it is
    /// re-sent, not repeated); a template back to normal the hour after resolves it. Templates
    /// younger than three days have no history to judge by. Answers the alerts sent.
    pub async fn detect_rate_anomalies(self) -> Result<usize> {
        use steward_aiops::series::seasonal::{SeasonalConfig, judge};
        let now = self.now();
        let hour = now.as_second().div_euclid(3600) - 1;
        let from = hour - 5 * 168;
        let templates = self
            .store
            .active_log_templates(now - SignedDuration::from_hours(24), now - SignedDuration::from_hours(72))
            .await?;
        let ids: Vec<i64> = templates.iter().map(|t| t.0).collect();
        let counts = self.store.log_template_hours(&ids, from, hour + 1).await?;
        let config = SeasonalConfig::default();
        // The templates whose rate alert is firing now: each resolves when its hour is normal
        // again, or when the template is no longer active (a missed run resolves nothing twice).
        let mut firing: HashSet<i64> = self
            .store
            .firing_fingerprints("logs", "rate:")
            .await?
            .iter()
            .filter_map(|f| f.strip_prefix("rate:")?.parse().ok())
            .collect();
        let mut alerts = Vec::new();
        for (id, hosts) in &templates {
            let mut series = vec![0.0; (hour + 1 - from) as usize];
            for (h, n) in counts.get(id).map(Vec::as_slice).unwrap_or_default() {
                if let Some(v) = usize::try_from(h - from).ok().and_then(|i| series.get_mut(i)) {
                    *v = *n as f64;
                }
            }
            let last = series.len() - 1;
            let Some(now_verdict) = judge(&series, last, &config) else { continue };
            let status = match (now_verdict.anomaly, firing.remove(id)) {
                (Some(_), _) => "firing",
                (None, true) => "resolved",
                (None, false) => continue,
            };
            let text = self.store.log_template(*id).await?.map(|t| t.text).unwrap_or_default();
            let value = series[last];
            let mut labels = BTreeMap::from([
                ("alertname".to_owned(), "LogRateAnomaly".to_owned()),
                ("severity".to_owned(), "warning".to_owned()),
                ("template".to_owned(), id.to_string()),
            ]);
            if let Some(direction) = now_verdict.anomaly {
                labels.insert("direction".into(), direction.as_str().into());
            }
            // One host names the CI the alert is about; a template of many hosts names none.
            if let [host] = hosts.as_slice() {
                labels.insert("host".into(), host.clone());
            }
            let start = Timestamp::from_second(hour * 3600).unwrap_or(now);
            let raw = RawAlert {
                fingerprint: Some(format!("rate:{id}")),
                status: status.into(),
                labels,
                annotations: BTreeMap::from([(
                    "summary".to_owned(),
                    format!(
                        "{value:.0} lines in an hour where about {:.0} are usual: {}",
                        now_verdict.expected,
                        truncate(&text, 160)
                    ),
                )]),
                starts_at: Some(start),
                ends_at: (status == "resolved").then_some(now),
                link: self
                    .config
                    .public_url
                    .as_ref()
                    .map(|u| format!("{}/logs/templates/{id}", u.trim_end_matches('/'))),
            };
            alerts
                .push(Alert::parse("logs", "alerts", raw, now).map_err(|e| AppError::invalid("alerts", e))?);
        }
        // Firing for a template no longer judged (silent for a day, or merged away): resolved.
        for id in firing {
            let raw = RawAlert {
                fingerprint: Some(format!("rate:{id}")),
                status: "resolved".into(),
                labels: BTreeMap::from([
                    ("alertname".to_owned(), "LogRateAnomaly".to_owned()),
                    ("template".to_owned(), id.to_string()),
                ]),
                annotations: BTreeMap::from([(
                    "summary".to_owned(),
                    "the template is no longer active".to_owned(),
                )]),
                starts_at: Some(now),
                ends_at: Some(now),
                link: None,
            };
            alerts
                .push(Alert::parse("logs", "alerts", raw, now).map_err(|e| AppError::invalid("alerts", e))?);
        }
        let count = alerts.len();
        if count > 0 {
            let actor = self.pipeline_actor().await?;
            for alert in alerts {
                let group = format!(
                    "logs:rate:{}",
                    alert.labels.get("template").map(String::as_str).unwrap_or_default()
                );
                self.alerts().ingest(&actor, &group, vec![alert], "log rate anomalies").await?;
            }
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
                        return self
                            .store
                            .user_by_username(&name)
                            .await?
                            .ok_or(AppError::NotFound("user"))
                            .map(direct);
                    }
                    Err(e) => return Err(e.into()),
                };
                let event = steward_core::identity::UserEvent::Created(Box::new(
                    crate::directory::user_snapshot(&user),
                ));
                crate::record(
                    &mut tx,
                    at,
                    None,
                    steward_core::events::DomainEvent::User { id: Some(user.id), event },
                )
                .await?;
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
