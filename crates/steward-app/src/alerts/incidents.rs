//! From alerts to incidents: open one for firing alerts none covers (or join the group's, or
//! the upstream CI's by the CMDB's topology), resolve it when every alert has cleared (or ask a
//! person to confirm, per rule), reopen it when one fires again within the re-fire window.

use std::collections::{BTreeMap, HashMap, HashSet};

use steward_core::alerts::{AlertEvent, AlertRule, AlertStatus, Decision, Resolve, decide};
use steward_core::events::DomainEvent;
use steward_core::ids::{CiId, TicketId};
use steward_core::tickets::{ResolutionCode, State, Ticket, TransitionRequest};
use steward_store::AlertRecord;

use super::IngestReport;
use crate::events::record_many;
use crate::{Actor, AppError, Credential, NewIncident, Result};

/// How far a CI's reliance is followed to find the alert upstream of it.
const TOPOLOGY_DEPTH: u32 = 6;
/// An alert firing again within this time of its incident's resolution reopens it; later, it
/// opens a new one.
pub const REFIRE_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// The rules, with the criticality of the CIs the alerts at hand are on.
pub(super) struct Rules {
    rules: Vec<AlertRule>,
    criticality: HashMap<CiId, i64>,
}

impl Rules {
    async fn load(alerts: &crate::Alerts<'_>, touched: &[AlertRecord]) -> Result<Rules> {
        let rules = alerts.store.alert_rules().await?.into_iter().map(|r| r.rule).collect();
        let mut cis: Vec<CiId> = touched.iter().filter_map(|a| a.ci_id).collect();
        cis.sort();
        cis.dedup();
        let criticality = match cis.is_empty() {
            true => HashMap::new(),
            false => alerts.store.ci_criticalities(&cis).await?,
        };
        Ok(Rules { rules, criticality })
    }

    pub(super) fn decide(&self, a: &AlertRecord) -> Decision {
        decide(&self.rules, &a.alert, a.ci_id.and_then(|c| self.criticality.get(&c).copied()))
    }
}

impl crate::Alerts<'_> {
    /// Incidents for what was just recorded: open or join one for firing alerts none covers;
    /// resolve those whose alerts have all resolved; reopen a resolved one whose alert fires
    /// again.
    pub(super) async fn reconcile(
        self,
        actor: &Actor,
        group: &str,
        touched: Vec<AlertRecord>,
        resolved_now: &HashSet<i64>,
        report: &mut IngestReport,
    ) -> Result<()> {
        let rules = Rules::load(&self, &touched).await?;
        // The pipeline acts for the sender's user, beyond its token's `alerts` scope: what it
        // does to incidents the rules decide, not the token's holder.
        let pipeline = Actor { user: actor.user.clone(), credential: Credential::Direct };
        let incidents = self.incidents();
        // Firing alerts with no incident, or whose incident is closed: open or join one.
        let mut uncovered = Vec::new();
        let mut tickets: BTreeMap<TicketId, Vec<AlertRecord>> = BTreeMap::new();
        let now = self.now();
        let flap = self.config.alert_flap;
        // A flapping alert opens, resolves and reopens nothing until it settles.
        for a in touched.into_iter().filter(|a| !flap.flapping(a.flips, a.flips_since, now)) {
            match a.ticket_id {
                Some(t) => tickets.entry(t).or_default().push(a),
                None if a.alert.status == AlertStatus::Firing
                    && a.silence_id.is_none()
                    && a.maintenance_id.is_none()
                    && rules.decide(&a).levels.is_some() =>
                {
                    uncovered.push(a)
                }
                None => {}
            }
        }
        // An incident an alert just joined is checked too: resolved within the re-fire window,
        // it reopens.
        for joined in self.cover(actor, &pipeline, group, uncovered, &rules, report).await? {
            tickets.entry(joined).or_default();
        }
        // Silenced and expected alerts still keep an incident from resolving, but reopen nothing.
        let live = |a: &AlertRecord| {
            a.alert.status == AlertStatus::Firing && a.silence_id.is_none() && a.maintenance_id.is_none()
        };
        for (ticket_id, alerts) in tickets {
            let Some(ticket) = self.store.ticket(ticket_id).await? else { continue };
            // One of them firing settles that some fire; only all resolved needs a count.
            let (all, firing) = match alerts.iter().any(|a| a.alert.status == AlertStatus::Firing) {
                true => (0, 1),
                false => self.store.alert_counts(ticket_id).await?,
            };
            // An empty list: an alert joined it just now.
            let revives = alerts.is_empty() || alerts.iter().any(live);
            let confirm = alerts.iter().any(|a| rules.decide(a).resolve == Resolve::Confirm);
            // A re-fire long after the incident was resolved is a new incident, not this one.
            let stale = ticket.resolved_at.is_some_and(|r| now.duration_since(r) > REFIRE_WINDOW);
            let request = match (firing, ticket.state) {
                (0, s) if s.is_open() && confirm => {
                    // Said once, when the last alert clears; a person resolves it.
                    if alerts.iter().any(|a| resolved_now.contains(&a.id)) {
                        let note = format!(
                            "All {all} alert(s) of this incident have cleared. Its alert rule asks a person to confirm the fix and resolve it."
                        );
                        incidents.comment(&pipeline, ticket_id, &note, true).await?;
                    }
                    continue;
                }
                (n, State::Resolved | State::Closed)
                    if n > 0 && revives && (stale || ticket.state == State::Closed) =>
                {
                    let again: Vec<AlertRecord> =
                        alerts.into_iter().filter(|a| live(a) && rules.decide(a).levels.is_some()).collect();
                    self.cover(actor, &pipeline, group, again, &rules, report).await?;
                    continue;
                }
                (0, s) if s.is_open() => TransitionRequest {
                    to: Some(State::Resolved),
                    resolution_code: Some(ResolutionCode::Fixed),
                    resolution_note: Some(format!(
                        "Resolved by monitoring: all {all} alert(s) of this incident have cleared."
                    )),
                    hold_reason: None,
                },
                (n, State::Resolved) if n > 0 && revives => {
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
        rules: &Rules,
        report: &mut IngestReport,
    ) -> Result<Vec<TicketId>> {
        if uncovered.is_empty() {
            return Ok(Vec::new());
        }
        // One delivery at a time opens incidents (on this node), and only for alerts still as
        // it saw them: two deliveries of one group at once would otherwise open two.
        let _turn = self.alert_cover_turn().await;
        let ids: Vec<i64> = uncovered.iter().map(|a| a.id).collect();
        let now_linked: HashMap<i64, Option<TicketId>> =
            self.store.alerts_by_ids(&ids).await?.into_iter().map(|a| (a.id, a.ticket_id)).collect();
        let uncovered: Vec<AlertRecord> =
            uncovered.into_iter().filter(|a| now_linked.get(&a.id) == Some(&a.ticket_id)).collect();
        if uncovered.is_empty() {
            return Ok(Vec::new());
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
        let depth =
            |a: &AlertRecord| up(a).iter().filter(|ci| here.contains(ci) && Some(**ci) != a.ci_id).count();
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
                for (_, t) in self.store.firing_incidents_on(&up).await? {
                    if self.store.ticket(t).await?.is_some_and(|t| self.live(&t)) {
                        ticket = Some(t);
                        break;
                    }
                }
            }
            if ticket.is_none() && group_incident.is_none() {
                ticket = self.correlated(a).await?;
            }
            let ticket = match ticket.or(group_incident) {
                Some(t) => t,
                None => {
                    let ticket = self.incidents().create(pipeline, incident_for(a, rules.decide(a))).await?;
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
        let mut joined: Vec<TicketId> =
            links.iter().map(|(_, t)| *t).filter(|t| !report.incidents_opened.contains(t)).collect();
        joined.sort();
        joined.dedup();
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
        Ok(joined)
    }

    /// The open incident of a recent firing alert, from any sender, that shares the alert's
    /// values of every correlation label (`alert_correlation`): "the same cluster within 15
    /// minutes" is one problem however its alerts were grouped.
    async fn correlated(self, a: &AlertRecord) -> Result<Option<TicketId>> {
        let Some(c) = &self.config.alert_correlation else { return Ok(None) };
        let Some(values) =
            c.labels.iter().map(|k| a.alert.labels.get(k).map(|v| (k, v))).collect::<Option<Vec<_>>>()
        else {
            return Ok(None);
        };
        let since = self.now().saturating_sub(c.window).unwrap_or(self.now());
        for other in self.store.recent_firing_linked(since, 1000).await? {
            if other.id == a.id || !values.iter().all(|(k, v)| other.alert.labels.get(*k) == Some(v)) {
                continue;
            }
            let Some(t) = other.ticket_id else { continue };
            if self.store.ticket(t).await?.is_some_and(|t| t.state.is_open()) {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// An incident already covering an alert of this sender's group: open, or resolved within
    /// the re-fire window (a re-fire reopens it rather than opening another).
    pub(super) async fn open_incident_of_group(self, source: &str, group: &str) -> Result<Option<TicketId>> {
        for id in self.store.group_tickets(source, group).await? {
            if self.store.ticket(id).await?.is_some_and(|t| self.live(&t)) {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Whether an alert may join an incident: open, or resolved within the re-fire window.
    fn live(&self, t: &Ticket) -> bool {
        t.state.is_open()
            || t.state == State::Resolved
                && t.resolved_at.is_none_or(|r| self.now().duration_since(r) <= REFIRE_WINDOW)
    }

    async fn alert_cover_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.alert_cover.lock().await
    }
}

/// The incident an alert opens: the rules set impact and urgency, its title and host or
/// service name it.
fn incident_for(a: &AlertRecord, decision: Decision) -> NewIncident {
    let (impact, urgency) = decision.levels.unwrap_or((2, 2));
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
