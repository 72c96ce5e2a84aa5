//! Alerts from monitoring (issue 18): a webhook's alerts are recorded in one transaction —
//! first seen, re-sent (counted), resolved, fired again — and acknowledged only once committed.
//! Then each firing alert that no incident covers yet opens one, or joins the open incident of
//! its group (the sender's group: Alertmanager's `groupKey`), and an incident whose alerts have
//! all resolved resolves itself. That second step runs on every delivery, so a delivery cut
//! short between the two (a crash) is completed by the sender's next re-send.

use std::collections::{BTreeMap, HashMap, HashSet};

use steward_core::alerts::{
    Alert, AlertEvent, AlertStatus, FlapPolicy, Silence, SilenceEvent, incident_levels,
};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId};
use steward_core::tickets::{ResolutionCode, State, TransitionRequest};
use steward_store::{AlertFilter, AlertRecord, NewAlertRow, SilenceRecord};

use crate::events::record_many;
use crate::{Actor, AppError, Credential, NewIncident, Result, record};

/// How far a CI's reliance is followed to find the alert upstream of it.
const TOPOLOGY_DEPTH: u32 = 6;

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
    pub async fn ingest(self, actor: &Actor, group: &str, alerts: Vec<Alert>) -> Result<IngestReport> {
        actor.require(Permission::IngestAlerts)?;
        let mut report = IngestReport { received: alerts.len(), ..IngestReport::default() };
        let Some(source) = alerts.first().map(|a| a.source.clone()) else { return Ok(report) };
        // An alert sent twice in one delivery counts once, as it last stood.
        let mut last: HashMap<String, usize> = HashMap::new();
        for (i, a) in alerts.iter().enumerate() {
            last.insert(a.fingerprint.clone(), i);
        }
        let alerts: Vec<Alert> =
            alerts.into_iter().enumerate().filter(|(i, a)| last[&a.fingerprint] == *i).map(|(_, a)| a).collect();
        // Reads before the transaction: the CI each new alert's host or service names.
        let fingerprints: Vec<&str> = alerts.iter().map(|a| a.fingerprint.as_str()).collect();
        let known: HashSet<String> = self.store.known_fingerprints(&source, &fingerprints).await?.into_iter().collect();
        let mut subjects: Vec<String> =
            alerts.iter().filter(|a| !known.contains(&a.fingerprint)).filter_map(Alert::subject).collect();
        subjects.sort();
        subjects.dedup();
        let cis = self.store.cis_named(&subjects).await?;
        let at = self.now();
        let silences = self.store.silences(Some(at)).await?;
        let silence_of = |a: &Alert| match a.status {
            AlertStatus::Firing => silences.iter().find(|s| s.silence.silences(&a.labels, at)).map(|s| s.id),
            AlertStatus::Resolved => None,
        };
        // A new alert that would join its group's open incident (it names no CI, so the CMDB's
        // topology has no say) joins it in this transaction; the others wait for `reconcile`.
        let joins = |a: &Alert| {
            !known.contains(&a.fingerprint)
                && a.status == AlertStatus::Firing
                && incident_levels(a.severity).is_some()
                && silence_of(a).is_none()
                && a.subject().is_none_or(|s| !cis.contains_key(&s))
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
                (AlertStatus::Firing, AlertStatus::Resolved) => changes.push((alert.fingerprint.clone(), AlertEvent::Resolved)),
                (AlertStatus::Resolved, AlertStatus::Firing) => changes.push((alert.fingerprint.clone(), AlertEvent::Refired)),
                _ => {}
            }
        }
        tx.touch_alerts(at, &touched).await?;
        let derived: Vec<(String, Option<String>)> = fresh.iter().map(|a| (a.title(), a.subject())).collect();
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
            let id = *ids.get(&a.fingerprint).ok_or_else(|| AppError::Internal(anyhow::anyhow!("alert {} not inserted", a.fingerprint)))?;
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
        let flap = FlapPolicy::default();
        for alert in &alerts {
            let Some(current) = stored.get_mut(&alert.fingerprint) else { continue };
            // A silence marks a firing alert (it opens nothing) for as long as one matches.
            let silence = silence_of(alert);
            if silence != current.silence_id {
                tx.mark_alert_silenced(current.id, silence).await?;
                if let Some(silence_id) = silence {
                    events.push(DomainEvent::Alert { id: current.id, event: AlertEvent::Silenced { silence_id } });
                }
                current.silence_id = silence;
            }
            current.alert = alert.clone();
            current.last_seen = at;
        }
        for (fingerprint, event) in changes {
            let Some(current) = stored.get_mut(&fingerprint) else { continue };
            if event == AlertEvent::Resolved {
                report.resolved += 1;
            }
            let was = flap.flapping(current.flips, current.flips_since, at);
            let (flips, since) = flap.after_change(current.flips, current.flips_since, at);
            tx.set_alert_flips(current.id, flips, since).await?;
            (current.flips, current.flips_since) = (flips, Some(since));
            if !was && flap.flapping(flips, Some(since), at) {
                events.push(DomainEvent::Alert { id: current.id, event: AlertEvent::Flapping { changes: flips } });
            }
            events.push(DomainEvent::Alert { id: current.id, event });
        }
        record_many(&mut tx, at, Some(actor), events).await?;
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
        let now = self.now();
        let flap = FlapPolicy::default();
        // A flapping alert opens, resolves and reopens nothing until it settles.
        for a in touched.into_iter().filter(|a| !flap.flapping(a.flips, a.flips_since, now)) {
            match a.ticket_id {
                Some(t) => tickets.entry(t).or_default().push(a),
                None if a.alert.status == AlertStatus::Firing
                    && a.silence_id.is_none()
                    && incident_levels(a.alert.severity).is_some() =>
                {
                    uncovered.push(a)
                }
                None => {}
            }
        }
        self.cover(actor, &pipeline, group, uncovered, report).await?;
        for (ticket_id, alerts) in tickets {
            let Some(ticket) = self.store.ticket(ticket_id).await? else { continue };
            // One of them firing settles that some fire; only all resolved needs a count.
            let (all, firing) = match alerts.iter().any(|a| a.alert.status == AlertStatus::Firing) {
                true => (0, 1),
                false => self.store.alert_counts(ticket_id).await?,
            };
            let request = match (firing, ticket.state) {
                (0, s) if s.is_open() => TransitionRequest {
                    to: Some(State::Resolved),
                    resolution_code: Some(ResolutionCode::Fixed),
                    resolution_note: Some(format!(
                        "Resolved by monitoring: all {all} alert(s) of this incident have cleared."
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

    /// Gives each uncovered firing alert an incident. An alert whose CI relies (in the CMDB) on
    /// the CI of another firing alert joins that alert's incident — the switch's, not one per
    /// server behind it — so alerts are taken roots first; then an alert joins its group's open
    /// incident; else it opens one, which the rest of its group joins.
    async fn cover(
        self,
        actor: &Actor,
        pipeline: &Actor,
        group: &str,
        uncovered: Vec<AlertRecord>,
        report: &mut IngestReport,
    ) -> Result<()> {
        if uncovered.is_empty() {
            return Ok(());
        }
        // What each CI relies on (transitively, so a CI deeper down relies on more).
        let mut relies_of: HashMap<CiId, Vec<CiId>> = HashMap::new();
        for ci in uncovered.iter().filter_map(|a| a.ci_id) {
            if let std::collections::hash_map::Entry::Vacant(slot) = relies_of.entry(ci) {
                slot.insert(self.cmdb().relies_on(ci, TOPOLOGY_DEPTH).await?);
            }
        }
        let here: HashSet<CiId> = uncovered.iter().filter_map(|a| a.ci_id).collect();
        let up = |a: &AlertRecord| a.ci_id.and_then(|ci| relies_of.get(&ci)).cloned().unwrap_or_default();
        // How many CIs with an alert here an alert lies below: roots (none) come first, in the
        // order they came, then each alert after those it lies below.
        let depth = |a: &AlertRecord| up(a).iter().filter(|ci| here.contains(ci) && Some(**ci) != a.ci_id).count();
        let mut ordered: Vec<&AlertRecord> = uncovered.iter().collect();
        ordered.sort_by_key(|a| depth(a));
        // Incidents of the CIs seen so far: this delivery's, then firing alerts' in the store.
        let mut by_ci: HashMap<CiId, TicketId> = HashMap::new();
        let mut group_incident = self.open_incident_of_group(&uncovered[0].alert.source, group).await?;
        let mut links = Vec::with_capacity(ordered.len());
        for a in ordered {
            let up = up(a);
            let mut ticket = up.iter().find_map(|ci| by_ci.get(ci).copied());
            if ticket.is_none() && !up.is_empty() {
                ticket = self.store.firing_incidents_on(&up).await?.first().map(|(_, t)| *t);
            }
            let ticket = match ticket.or(group_incident) {
                Some(t) => t,
                None => {
                    let ticket = self.incidents().create(pipeline, incident_for(a)).await?;
                    report.incidents_opened.push(ticket.id);
                    group_incident = Some(ticket.id);
                    ticket.id
                }
            };
            if let Some(ci) = a.ci_id
                && by_ci.insert(ci, ticket) != Some(ticket)
            {
                self.cmdb().link_incident(pipeline, ticket, ci).await?;
            }
            links.push((a.id, ticket));
        }
        // The links in one transaction.
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.link_alerts(&links).await?;
        let events = links
            .iter()
            .map(|&(id, ticket_id)| DomainEvent::Alert { id, event: AlertEvent::Linked { ticket_id } })
            .collect();
        record_many(&mut tx, at, Some(actor), events).await?;
        tx.commit().await?;
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

    /// Adds a silence (a maintenance window): alerts its matchers match while it runs open no
    /// incident.
    pub async fn create_silence(
        self,
        actor: &Actor,
        matchers: &[String],
        starts_at: jiff::Timestamp,
        ends_at: jiff::Timestamp,
        comment: &str,
    ) -> Result<i64> {
        actor.require(Permission::WorkTickets)?;
        let silence = Silence::parse(matchers, starts_at, ends_at, comment)
            .map_err(|e| AppError::invalid(field(&e.field), e.message))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_silence(at, &silence, actor.user.username.as_str()).await?;
        let event = SilenceEvent::Created {
            matchers: silence.matchers.iter().map(|m| m.to_string()).collect(),
            starts_at: silence.starts_at.to_string(),
            ends_at: silence.ends_at.to_string(),
            comment: silence.comment.clone(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Silence { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Silences still running or yet to start (with `all`, every one), newest first.
    pub async fn silences(self, actor: &Actor, all: bool) -> Result<Vec<SilenceRecord>> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.silences((!all).then(|| self.now())).await?)
    }

    /// Ends a silence now.
    pub async fn expire_silence(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::WorkTickets)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.expire_silence(at, id).await? {
            return Err(AppError::NotFound("silence"));
        }
        record(&mut tx, at, Some(actor), DomainEvent::Silence { id, event: SilenceEvent::Expired }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The incident covering one sender's alert: its id and number (a receiver answers the
    /// sender with it, so updates land on the same incident).
    pub async fn incident_of(self, actor: &Actor, source: &str, fingerprint: &str) -> Result<Option<(TicketId, String)>> {
        actor.require(Permission::IngestAlerts)?;
        let Some(ticket) = self.store.alert_by_fingerprint(source, fingerprint).await?.and_then(|a| a.ticket_id) else {
            return Ok(None);
        };
        Ok(self.store.ticket(ticket).await?.map(|t| (ticket, t.number)))
    }

    /// Says someone is on an alert.
    pub async fn acknowledge(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::WorkTickets)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.acknowledge_alert(at, id, actor.user.username.as_str()).await? {
            // None, or acknowledged already: the second is no error (two people clicked).
            return match self.store.alert(id).await? {
                Some(_) => Ok(()),
                None => Err(AppError::NotFound("alert")),
            };
        }
        record(&mut tx, at, Some(actor), DomainEvent::Alert { id, event: AlertEvent::Acknowledged }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One alert with the rest of its group (newest first) and its history (oldest first).
    pub async fn detail(self, actor: &Actor, id: i64) -> Result<AlertDetail> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        let alert = self.store.alert(id).await?.ok_or(AppError::NotFound("alert"))?;
        let group = self
            .store
            .group_alerts(&alert.alert.source, &alert.group, 100)
            .await?
            .into_iter()
            .filter(|a| a.id != id)
            .collect();
        let history = self.store.histories("alert", &[id.to_string()]).await?;
        Ok(AlertDetail { alert, group, history })
    }

    /// When alerts last arrived or changed (ms), for live consoles.
    pub async fn latest_activity(self, actor: &Actor) -> Result<i64> {
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.latest_alert_activity().await?)
    }

    /// Alerts, newest first.
    pub async fn list(self, actor: &Actor, filter: &AlertFilter) -> Result<Vec<AlertRecord>> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        Ok(self.store.alerts(filter).await?)
    }
}

/// A core error's field as the API names it (`'static`, as the error envelope wants).
fn field(name: &str) -> &'static str {
    match name {
        "matchers" => "matchers",
        "ends_at" => "ends_at",
        "comment" => "comment",
        _ => "silence",
    }
}

/// The incident an alert opens: its severity sets impact and urgency, its title and host or
/// service name it.
fn incident_for(a: &AlertRecord) -> NewIncident {
    let (impact, urgency) = incident_levels(a.alert.severity).unwrap_or((2, 2));
    let title = match &a.subject {
        Some(s) => format!("{} on {s}", a.title),
        None => a.title.clone(),
    };
    let labels: Vec<String> = a.alert.labels.iter().map(|(k, v)| format!("`{k}={v}`")).collect();
    let mut description = format!(
        "Opened by monitoring.\n\n**{}** ({}) {}\n",
        a.title,
        a.alert.severity.as_str(),
        labels.join(" ")
    );
    if let Some(d) = a.alert.annotations.get("description") {
        description.push_str(&format!("\n{d}\n"));
    }
    NewIncident {
        title: title.chars().take(200).collect(),
        description,
        impact: Some(impact),
        urgency: Some(urgency),
        service: a.subject.clone(),
        tags: vec!["alert".into()],
        ..NewIncident::default()
    }
}
