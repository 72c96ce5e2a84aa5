//! The feed: events turned into [`Notice`]s and queued for the subscriptions that want them.

use std::collections::BTreeMap;

use steward_core::alerts::{AlertEvent, AlertStatus};
use steward_core::events::DomainEvent;
use steward_core::subscriptions::{Notice, Topic};
use steward_core::tickets::{IncidentEvent, State, Ticket, TicketField};
use steward_store::LoggedEvent;

use crate::Result;

/// The feed's name in `feed_cursors`.
const CURSOR: &str = "subscriptions";
/// Events read per transaction.
const BATCH: i64 = 500;

impl crate::Subscriptions<'_> {
    /// Queues deliveries for every event written since the last run; returns how many.
    pub async fn process_feed(self) -> Result<usize> {
        let mut queued = 0;
        loop {
            let from = self.store.feed_cursor(CURSOR).await?;
            let events = self.store.events_after(from, BATCH).await?;
            let Some(last) = events.last().map(|e| e.event.seq) else { return Ok(queued) };
            // Read afresh each batch: a subscription made meanwhile hears from then on.
            let subscriptions = self.store.subscriptions().await?;
            let mut wanted = Vec::new();
            if !subscriptions.is_empty() {
                for logged in &events {
                    let Some(notice) = self.notice(logged).await? else { continue };
                    for s in &subscriptions {
                        if s.created_at <= logged.at() && s.subscription.wants(&notice) {
                            wanted.push((s.id, notice.clone()));
                        }
                    }
                }
            }
            let at = self.now();
            let mut tx = self.store.begin().await?;
            if !tx.advance_feed(CURSOR, from, last).await? {
                continue; // another node took these events
            }
            for (subscription, notice) in &wanted {
                if let Some(id) = tx.insert_delivery(at, *subscription, notice).await? {
                    super::enqueue(&mut tx, at, id).await?;
                    queued += 1;
                }
            }
            tx.commit().await?;
        }
    }

    /// The notice an event makes, if it is of a topic subscriptions can ask for.
    async fn notice(self, logged: &LoggedEvent) -> Result<Option<Notice>> {
        let seq = logged.event.seq;
        let at = logged.at().to_string();
        match logged.domain() {
            Ok(DomainEvent::Incident { id, event }) => {
                let topic = match &event {
                    IncidentEvent::Created(_) => Topic::IncidentOpened,
                    IncidentEvent::SlaBreach(_) => Topic::SlaBreached,
                    IncidentEvent::Transitioned(c) => {
                        let state = |f: &steward_core::events::Fields<TicketField>| {
                            f.get(TicketField::State)
                                .and_then(|v| v.as_text())
                                .and_then(|s| State::parse(s).ok())
                        };
                        match (state(&c.before), state(&c.after)) {
                            (_, Some(State::Resolved)) => Topic::IncidentResolved,
                            (Some(State::Resolved | State::Closed), Some(s)) if s.is_open() => {
                                Topic::IncidentReopened
                            }
                            _ => return Ok(None),
                        }
                    }
                    _ => return Ok(None),
                };
                let Some(ticket) = self.store.ticket(id).await? else { return Ok(None) };
                Ok(Some(self.incident_notice(topic, seq, at, &ticket).await?))
            }
            Ok(DomainEvent::Alert { id, event }) => {
                let topic = match &event {
                    AlertEvent::Received { status, .. } if status == AlertStatus::Firing.as_str() => {
                        Topic::AlertFiring
                    }
                    AlertEvent::Refired => Topic::AlertFiring,
                    AlertEvent::Resolved => Topic::AlertResolved,
                    _ => return Ok(None),
                };
                let Some(a) = self.store.alert(id).await? else { return Ok(None) };
                // Silenced, expected or flapping: people asked not to hear of it, or would drown.
                let flapping = self.config.alert_flap.flapping(a.flips, a.flips_since, self.now());
                if a.silence_id.is_some() || a.maintenance_id.is_some() || flapping {
                    return Ok(None);
                }
                let mut labels = a.alert.labels.clone();
                labels.entry("severity".into()).or_insert_with(|| a.alert.severity.as_str().to_owned());
                Ok(Some(Notice {
                    topic,
                    seq,
                    reference: a.alert.source.clone(),
                    title: match &a.subject {
                        Some(s) => format!("{} ({s})", a.title),
                        None => a.title.clone(),
                    },
                    link: self.link(&format!("/alerts/{id}")),
                    priority: None,
                    team: None,
                    team_name: None,
                    service: a.subject.clone(),
                    severity: Some(a.alert.severity.as_str().to_owned()),
                    labels,
                    at,
                }))
            }
            _ => Ok(None),
        }
    }

    async fn incident_notice(self, topic: Topic, seq: i64, at: String, t: &Ticket) -> Result<Notice> {
        let team_name = match t.team_id {
            Some(team) => self.store.team(team).await?.map(|t| t.name),
            None => None,
        };
        let priority = i64::from(t.priority.get());
        let mut labels = BTreeMap::from([("priority".to_owned(), format!("P{priority}"))]);
        labels.extend(t.service.clone().map(|s| ("service".to_owned(), s)));
        labels.extend(team_name.clone().map(|n| ("team".to_owned(), n)));
        Ok(Notice {
            topic,
            seq,
            reference: t.number.clone(),
            title: t.title.clone(),
            link: self.link(&format!("/incidents/{}", t.id.get())),
            priority: Some(priority),
            team: t.team_id.map(|x| x.get()),
            team_name,
            service: t.service.clone(),
            severity: None,
            labels,
            at,
        })
    }

    /// `path` under the address people reach Steward at, when it is configured.
    fn link(self, path: &str) -> Option<String> {
        self.config.public_url.as_ref().map(|base| format!("{}{path}", base.trim_end_matches('/')))
    }
}
