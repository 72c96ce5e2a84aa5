//! Alerts from monitoring (issue 18): a webhook's alerts are recorded in one transaction —
//! first seen, re-sent (counted), resolved, fired again — and acknowledged only once committed.
//! Then each firing alert that no incident covers yet opens one, or joins the open incident of
//! its group (the sender's group: Alertmanager's `groupKey`), and an incident whose alerts have
//! all resolved resolves itself. That second step runs on every delivery, so a delivery cut
//! short between the two (a crash) is completed by the sender's next re-send.

use std::collections::{BTreeMap, HashMap};

use steward_core::alerts::{Alert, AlertEvent, AlertStatus, incident_levels};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::tickets::{ResolutionCode, State, TransitionRequest};
use steward_store::{AlertFilter, AlertRecord};

use crate::{Actor, AppError, Credential, NewIncident, Result, record};

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
    /// group key; alerts of a group share an incident).
    pub async fn ingest(self, actor: &Actor, group: &str, alerts: Vec<Alert>) -> Result<IngestReport> {
        actor.require(Permission::IngestAlerts)?;
        let mut report = IngestReport { received: alerts.len(), ..IngestReport::default() };
        let Some(source) = alerts.first().map(|a| a.source.clone()) else { return Ok(report) };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let fingerprints: Vec<&str> = alerts.iter().map(|a| a.fingerprint.as_str()).collect();
        let mut stored: HashMap<String, AlertRecord> = tx
            .alerts_by_fingerprint(&source, &fingerprints)
            .await?
            .into_iter()
            .map(|r| (r.alert.fingerprint.clone(), r))
            .collect();
        for alert in alerts {
            let event = match stored.get(&alert.fingerprint) {
                None => {
                    let (title, subject) = (alert.title(), alert.subject());
                    let id = tx.insert_alert(at, &alert, group, &title, subject.as_deref()).await?;
                    report.new += 1;
                    let event = AlertEvent::Received {
                        source: alert.source.clone(),
                        fingerprint: alert.fingerprint.clone(),
                        title: title.clone(),
                        severity: alert.severity.as_str().to_owned(),
                        status: alert.status.as_str().to_owned(),
                    };
                    record(&mut tx, at, Some(actor), DomainEvent::Alert { id, event }).await?;
                    let record = AlertRecord {
                        id,
                        alert: alert.clone(),
                        group: group.to_owned(),
                        title,
                        subject,
                        first_seen: at,
                        last_seen: at,
                        repeats: 0,
                        ticket_id: None,
                    };
                    stored.insert(alert.fingerprint.clone(), record);
                    continue;
                }
                Some(before) => {
                    tx.update_alert_seen(at, before.id, &alert).await?;
                    report.repeated += 1;
                    match (before.alert.status, alert.status) {
                        (AlertStatus::Firing, AlertStatus::Resolved) => Some(AlertEvent::Resolved),
                        (AlertStatus::Resolved, AlertStatus::Firing) => Some(AlertEvent::Refired),
                        _ => None,
                    }
                }
            };
            let Some(current) = stored.get_mut(&alert.fingerprint) else { continue };
            if let Some(event) = event {
                if event == AlertEvent::Resolved {
                    report.resolved += 1;
                }
                record(&mut tx, at, Some(actor), DomainEvent::Alert { id: current.id, event }).await?;
            }
            current.alert = alert;
            current.last_seen = at;
        }
        tx.commit().await?;
        // In the order they were first seen, so the first alert of a delivery names its incident.
        let mut touched: Vec<AlertRecord> = stored.into_values().collect();
        touched.sort_by_key(|a| a.id);
        self.reconcile(actor, group, touched, &mut report).await?;
        Ok(report)
    }

    /// Incidents for what was just recorded: open or join one for firing alerts none covers;
    /// resolve those whose alerts have all resolved; reopen a resolved one whose alert fires
    /// again.
    async fn reconcile(
        self,
        actor: &Actor,
        group: &str,
        touched: Vec<AlertRecord>,
        report: &mut IngestReport,
    ) -> Result<()> {
        // The pipeline acts for the sender's user, beyond its token's `alerts` scope: what it
        // does to incidents the rules decide, not the token's holder.
        let pipeline = Actor { user: actor.user.clone(), credential: Credential::Direct };
        let incidents = self.incidents();
        // Firing alerts with no incident, or whose incident is closed: open or join one.
        let mut uncovered = Vec::new();
        let mut tickets: BTreeMap<TicketId, Vec<AlertRecord>> = BTreeMap::new();
        for a in touched {
            match a.ticket_id {
                Some(t) => tickets.entry(t).or_default().push(a),
                None if a.alert.status == AlertStatus::Firing
                    && incident_levels(a.alert.severity).is_some() =>
                {
                    uncovered.push(a)
                }
                None => {}
            }
        }
        if !uncovered.is_empty() {
            let open = self.open_incident_of_group(&uncovered[0].alert.source, group).await?;
            let ticket = match open {
                Some(t) => t,
                None => {
                    let ticket = incidents.create(&pipeline, incident_for(&uncovered)).await?;
                    report.incidents_opened.push(ticket.id);
                    ticket.id
                }
            };
            let at = self.now();
            let mut tx = self.store.begin().await?;
            for a in &uncovered {
                tx.link_alert(a.id, ticket).await?;
                let event = AlertEvent::Linked { ticket_id: ticket };
                record(&mut tx, at, Some(actor), DomainEvent::Alert { id: a.id, event }).await?;
            }
            tx.commit().await?;
        }
        for (ticket_id, _) in tickets {
            let Some(ticket) = self.store.ticket(ticket_id).await? else { continue };
            let all = self
                .store
                .alerts(&AlertFilter { ticket_id: Some(ticket_id), limit: 10_000, ..Default::default() })
                .await?;
            let firing = all.iter().filter(|a| a.alert.status == AlertStatus::Firing).count();
            let request = match (firing, ticket.state) {
                (0, s) if s.is_open() => TransitionRequest {
                    to: Some(State::Resolved),
                    resolution_code: Some(ResolutionCode::Fixed),
                    resolution_note: Some(format!(
                        "Resolved by monitoring: all {} alert(s) of this incident have cleared.",
                        all.len()
                    )),
                    hold_reason: None,
                },
                (n, State::Resolved) if n > 0 => {
                    TransitionRequest { to: Some(State::InProgress), ..Default::default() }
                }
                _ => continue,
            };
            let resolving = request.to == Some(State::Resolved);
            match incidents.transition(&pipeline, ticket_id, None, request).await {
                Ok(_) if resolving => report.incidents_resolved.push(ticket_id),
                Ok(_) => {}
                // Someone moved it meanwhile; the next delivery sees where it stands.
                Err(AppError::Stale { .. } | AppError::IllegalTransition { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// An open incident already covering an alert of this sender's group.
    async fn open_incident_of_group(self, source: &str, group: &str) -> Result<Option<TicketId>> {
        for id in self.store.group_tickets(source, group).await? {
            if self.store.ticket(id).await?.is_some_and(|t| t.state.is_open() || t.state == State::Resolved) {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Alerts, newest first.
    pub async fn list(self, actor: &Actor, filter: &AlertFilter) -> Result<Vec<AlertRecord>> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.alerts(filter).await?)
    }
}

/// The incident a group's first firing alerts open: the worst severity sets impact and
/// urgency, the first alert names it, each alert is listed.
fn incident_for(alerts: &[AlertRecord]) -> NewIncident {
    let worst =
        alerts.iter().map(|a| a.alert.severity).min().unwrap_or(steward_core::alerts::Severity::Warning);
    let (impact, urgency) = incident_levels(worst).unwrap_or((2, 2));
    let first = &alerts[0];
    let title = match (&first.subject, alerts.len()) {
        (Some(s), 1) => format!("{} on {s}", first.title),
        (Some(s), n) => format!("{} on {s} (+{} alerts)", first.title, n - 1),
        (None, 1) => first.title.clone(),
        (None, n) => format!("{} (+{} alerts)", first.title, n - 1),
    };
    let mut description = String::from("Opened by monitoring.\n\n");
    for a in alerts {
        let labels: Vec<String> = a.alert.labels.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
        description.push_str(&format!(
            "- **{}** ({}) {}\n",
            a.title,
            a.alert.severity.as_str(),
            labels.join(" ")
        ));
        if let Some(d) = a.alert.annotations.get("description") {
            description.push_str(&format!("  {d}\n"));
        }
    }
    NewIncident {
        title: title.chars().take(200).collect(),
        description,
        impact: Some(impact),
        urgency: Some(urgency),
        service: first.subject.clone(),
        tags: vec!["alert".into()],
        ..NewIncident::default()
    }
}
