//! Alerts from monitoring (issue 18): a webhook's alerts are recorded in one transaction —
//! first seen, re-sent (counted), resolved, fired again — and acknowledged only once committed.
//! Then each firing alert that no incident covers yet opens one, or joins the open incident of
//! its group (the sender's group: Alertmanager's `groupKey`), and an incident whose alerts have
//! all resolved resolves itself. That second step runs on every delivery, so a delivery cut
//! short between the two (a crash) is completed by the sender's next re-send.

mod incidents;
mod setup;

use std::collections::{HashMap, HashSet};

use steward_core::alerts::{Alert, AlertEvent, AlertStatus, decide};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_store::{AlertRecord, NewAlertRow};

pub use incidents::REFIRE_WINDOW;

use crate::events::record_many;
use crate::{Actor, AppError, Result};

/// An alert as its page shows it.
#[derive(Debug, Clone)]
pub struct AlertDetail {
    pub alert: AlertRecord,
    pub group: Vec<AlertRecord>,
    pub history: Vec<steward_store::LoggedEvent>,
}

/// What one delivery changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub received: usize,
    pub new: usize,
    pub repeated: usize,
    pub resolved: usize,
    pub incidents_opened: Vec<TicketId>,
    pub incidents_resolved: Vec<TicketId>,
}

impl crate::Alerts<'_> {
    /// Records one delivery of `alerts` from one sender, grouped under `group` (the sender's
    /// group key; alerts of a group share an incident). The rows go in few statements: new
    /// alerts in one insert, re-sends that change nothing in one update (they only count).
    pub async fn ingest(
        self,
        actor: &Actor,
        group: &str,
        alerts: Vec<Alert>,
        payload: &str,
    ) -> Result<IngestReport> {
        actor.require(Permission::IngestAlerts)?;
        let mut report = IngestReport { received: alerts.len(), ..IngestReport::default() };
        let Some(source) = alerts.first().map(|a| a.source.clone()) else { return Ok(report) };
        let subject_labels = &self.config.alert_subject_labels;
        // A source whose fingerprint is configured: the labels named, hashed (the sender's own
        // fingerprint, if any, is set aside).
        let mut alerts = alerts;
        if let Some(keys) = self.config.alert_fingerprint_labels.get(&source) {
            for a in &mut alerts {
                let picked =
                    keys.iter().filter_map(|k| a.labels.get(k).map(|v| (k.clone(), v.clone()))).collect();
                a.fingerprint = steward_core::alerts::label_fingerprint(&picked);
            }
        }
        // An alert sent twice in one delivery counts once, as it last stood.
        let mut last: HashMap<String, usize> = HashMap::new();
        for (i, a) in alerts.iter().enumerate() {
            last.insert(a.fingerprint.clone(), i);
        }
        let alerts: Vec<Alert> = alerts
            .into_iter()
            .enumerate()
            .filter(|(i, a)| last[&a.fingerprint] == *i)
            .map(|(_, a)| a)
            .collect();
        // Reads before the transaction: the CI each new alert's host or service names.
        let fingerprints: Vec<&str> = alerts.iter().map(|a| a.fingerprint.as_str()).collect();
        let known: HashSet<String> =
            self.store.known_fingerprints(&source, &fingerprints).await?.into_iter().collect();
        let mut subjects: Vec<String> = alerts
            .iter()
            .filter(|a| !known.contains(&a.fingerprint))
            .filter_map(|a| a.subject_by(subject_labels))
            .collect();
        subjects.sort();
        subjects.dedup();
        let cis = self.store.cis_named(&subjects).await?;
        let at = self.now();
        let silences = self.store.silences(Some(at)).await?;
        let silence_of = |a: &Alert| match a.status {
            AlertStatus::Firing => silences.iter().find(|s| s.silence.silences(&a.labels, at)).map(|s| s.id),
            AlertStatus::Resolved => None,
        };
        // Maintenance windows running now, by CI: an alert on one is expected.
        let windows: HashMap<steward_core::ids::CiId, i64> = self
            .store
            .maintenance_windows(Some(at), None)
            .await?
            .into_iter()
            .filter(|w| w.starts_at <= at)
            .map(|w| (w.ci_id, w.id))
            .collect();
        let rules: Vec<_> = self.store.alert_rules().await?.into_iter().map(|r| r.rule).collect();
        // A new alert that would join its group's open incident (it names no CI, so neither the
        // CMDB's topology nor a CI's criticality or maintenance has a say) joins it in this
        // transaction; the others wait for `reconcile`.
        let joins = |a: &Alert| {
            !known.contains(&a.fingerprint)
                && a.status == AlertStatus::Firing
                && decide(&rules, a, None).levels.is_some()
                && silence_of(a).is_none()
                && a.subject_by(subject_labels).is_none_or(|s| !cis.contains_key(&s))
        };
        let group_incident = match alerts.iter().any(joins) {
            true => self.open_incident_of_group(&source, group).await?,
            false => None,
        };
        let mut tx = self.store.begin().await?;
        let mut stored: HashMap<String, AlertRecord> = tx
            .alerts_by_fingerprint(&source, &fingerprints)
            .await?
            .into_iter()
            .map(|r| (r.alert.fingerprint.clone(), r))
            .collect();
        let mut events: Vec<DomainEvent> = Vec::new();
        let mut touched = Vec::new();
        let mut changes: Vec<(String, AlertEvent)> = Vec::new();
        let mut fresh = Vec::new();
        for alert in &alerts {
            let Some(before) = stored.get(&alert.fingerprint) else {
                fresh.push(alert);
                continue;
            };
            report.repeated += 1;
            let same = before.alert.status == alert.status
                && before.alert.ends_at == alert.ends_at
                && before.alert.starts_at == alert.starts_at
                && before.alert.annotations == alert.annotations;
            if same {
                touched.push(before.id);
            } else {
                tx.update_alert_seen(at, before.id, alert).await?;
            }
            match (before.alert.status, alert.status) {
                (AlertStatus::Firing, AlertStatus::Resolved) => {
                    changes.push((alert.fingerprint.clone(), AlertEvent::Resolved))
                }
                (AlertStatus::Resolved, AlertStatus::Firing) => {
                    changes.push((alert.fingerprint.clone(), AlertEvent::Refired))
                }
                _ => {}
            }
        }
        tx.touch_alerts(at, &touched).await?;
        let derived: Vec<(String, Option<String>)> =
            fresh.iter().map(|a| (a.title(), a.subject_by(subject_labels))).collect();
        let rows: Vec<NewAlertRow<'_>> = fresh
            .iter()
            .zip(&derived)
            .map(|(a, (title, subject))| NewAlertRow {
                alert: a,
                title,
                subject: subject.as_deref(),
                ci: subject.as_ref().and_then(|s| cis.get(s).copied()),
                ticket: group_incident.filter(|_| joins(a)),
            })
            .collect();
        let ids: HashMap<String, i64> = tx.insert_alerts(at, group, &rows).await?.into_iter().collect();
        for row in &rows {
            let a = row.alert;
            let id = *ids
                .get(&a.fingerprint)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("alert {} not inserted", a.fingerprint)))?;
            report.new += 1;
            events.push(DomainEvent::Alert {
                id,
                event: AlertEvent::Received {
                    source: a.source.clone(),
                    fingerprint: a.fingerprint.clone(),
                    title: row.title.to_owned(),
                    severity: a.severity.as_str().to_owned(),
                    status: a.status.as_str().to_owned(),
                },
            });
            if let Some(ticket_id) = row.ticket {
                events.push(DomainEvent::Alert { id, event: AlertEvent::Linked { ticket_id } });
            }
            let record = AlertRecord {
                id,
                alert: a.clone(),
                group: group.to_owned(),
                title: row.title.to_owned(),
                subject: row.subject.map(str::to_owned),
                first_seen: at,
                last_seen: at,
                repeats: 0,
                ticket_id: row.ticket,
                ci_id: row.ci,
                silence_id: None,
                flips: 0,
                flips_since: None,
                acked: None,
                maintenance_id: None,
            };
            stored.insert(a.fingerprint.clone(), record);
        }
        let flap = self.config.alert_flap;
        for alert in &alerts {
            let Some(current) = stored.get_mut(&alert.fingerprint) else { continue };
            // A silence marks a firing alert (it opens nothing) for as long as one matches.
            let window = match alert.status {
                AlertStatus::Firing => current.ci_id.and_then(|ci| windows.get(&ci).copied()),
                AlertStatus::Resolved => current.maintenance_id,
            };
            if window != current.maintenance_id {
                tx.mark_alert_expected(current.id, window).await?;
                if let Some(window_id) = window {
                    events.push(DomainEvent::Alert {
                        id: current.id,
                        event: AlertEvent::Expected { window_id },
                    });
                }
                current.maintenance_id = window;
            }
            let silence = silence_of(alert);
            if silence != current.silence_id {
                tx.mark_alert_silenced(current.id, silence).await?;
                if let Some(silence_id) = silence {
                    events.push(DomainEvent::Alert {
                        id: current.id,
                        event: AlertEvent::Silenced { silence_id },
                    });
                }
                current.silence_id = silence;
            }
            current.alert = alert.clone();
            current.last_seen = at;
        }
        let changes_fired: HashSet<String> =
            changes.iter().filter(|(_, e)| *e == AlertEvent::Refired).map(|(f, _)| f.clone()).collect();
        let mut resolved_now = HashSet::new();
        for (fingerprint, event) in changes {
            let Some(current) = stored.get_mut(&fingerprint) else { continue };
            if event == AlertEvent::Resolved {
                report.resolved += 1;
                resolved_now.insert(current.id);
            }
            let was = flap.flapping(current.flips, current.flips_since, at);
            let (flips, since) = flap.after_change(current.flips, current.flips_since, at);
            tx.set_alert_flips(current.id, flips, since).await?;
            (current.flips, current.flips_since) = (flips, Some(since));
            if !was && flap.flapping(flips, Some(since), at) {
                events.push(DomainEvent::Alert {
                    id: current.id,
                    event: AlertEvent::Flapping { changes: flips },
                });
            }
            events.push(DomainEvent::Alert { id: current.id, event });
        }
        record_many(&mut tx, at, Some(actor), events).await?;
        if self.config.alert_payload_days > 0 {
            tx.keep_payload(at, &source, payload).await?;
        }
        tx.commit().await?;
        // In the order they were first seen, so the first alert of a delivery names its incident.
        let mut touched: Vec<AlertRecord> = stored.into_values().collect();
        touched.sort_by_key(|a| a.id);
        // Alerts that began firing with this delivery (new, or firing again), neither silenced
        // nor expected in a maintenance window: alert triggers may start runbooks for them.
        let fired: Vec<AlertRecord> = touched
            .iter()
            .filter(|a| {
                a.alert.status == AlertStatus::Firing && a.silence_id.is_none() && a.maintenance_id.is_none()
            })
            .filter(|a| !known.contains(&a.alert.fingerprint) || changes_fired.contains(&a.alert.fingerprint))
            .cloned()
            .collect();
        self.reconcile(actor, group, touched, &resolved_now, &mut report).await?;
        self.runbooks().on_alerts(&fired).await?;
        Ok(report)
    }
}
