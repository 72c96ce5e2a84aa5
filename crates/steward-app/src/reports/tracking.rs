//! The report projection: keeps each ticket's report facts and the daily rollup in step with
//! its events, inside the writing transaction, so the reports never disagree with the tickets.
//! `events.rs` applies it to every ticket event.

use jiff::Timestamp;
use steward_core::ids::TicketId;
use steward_core::reports::{
    Clocks, Entry, Facts, Measures, RollupKey, delta, merge, needs_clocks, next_facts,
};
use steward_core::requests::RequestEvent;
use steward_core::sla::SlaStatus;
use steward_core::tickets::{IncidentEvent, Ticket};
use steward_store::Tx;

use crate::events::{TicketChange, TicketEvent};
use crate::{App, Result};

fn clock(s: &SlaStatus) -> (jiff::SignedDuration, Option<bool>) {
    (s.elapsed, Some(s.breached_at.is_none()))
}

/// What tickets' changes do to the reports, gathered so that many tickets written in one
/// transaction (a group of creates) store their facts and rollup rows in one statement each.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    facts: Vec<(TicketId, Facts)>,
    rollup: Vec<(RollupKey, Measures)>,
}

impl Tracked {
    /// Stores what was gathered (deferred: it goes out with the transaction's next statement).
    pub(crate) async fn store(self, tx: &mut Tx) -> Result<()> {
        tx.put_report_facts(&self.facts).await?;
        tx.add_to_rollup(&merge(self.rollup)).await?;
        Ok(())
    }
}

impl App {
    /// What `change` does to the reports, into `tracked`: a change of the ticket's fields, or
    /// a public reply (on a request, also a task done) by someone other than the requester (a
    /// first response). Other events
    /// (watchers, links, work notes, SLA firings) leave the reports as they are.
    pub(crate) async fn project_report_facts(
        &self,
        tx: &mut Tx,
        tracked: &mut Tracked,
        change: &TicketChange<'_>,
    ) -> Result<()> {
        let by_other = change.actor.is_some_and(|a| a.user.id != change.after.requester_id);
        let agent_reply = match &change.event {
            TicketEvent::Incident(
                IncidentEvent::Created(_)
                | IncidentEvent::Updated(_)
                | IncidentEvent::Transitioned(_)
                | IncidentEvent::AutoClosed(_)
                | IncidentEvent::SlaReassigned(_),
            )
            | TicketEvent::Request(
                RequestEvent::Submitted { .. } | RequestEvent::Updated(_) | RequestEvent::Transitioned(_),
            ) => false,
            TicketEvent::Incident(IncidentEvent::Commented { internal: false, .. })
            | TicketEvent::Request(RequestEvent::Commented { internal: false, .. })
                if by_other =>
            {
                true
            }
            // A fulfilment task done answers the request as a reply would.
            TicketEvent::Request(RequestEvent::TaskDone { .. }) if by_other => true,
            _ => return Ok(()),
        };
        // The ticket's facts are read in `tx`: a second change to one ticket in one batch
        // stores the first's before it reads.
        if tracked.facts.iter().any(|(id, _)| *id == change.after.id) {
            std::mem::take(tracked).store(tx).await?;
        }
        self.track_facts(tx, tracked, change.before, change.after, change.at, agent_reply).await
    }

    /// What the change from `before` (`None`: just created) to `after` at `at` does to the
    /// reports, into `tracked`. `agent_reply`: the change is a first response. The ticket's
    /// stored facts are read in `tx` (so they must not be among `tracked`'s).
    async fn track_facts(
        &self,
        tx: &mut Tx,
        tracked: &mut Tracked,
        before: Option<&Ticket>,
        after: &Ticket,
        at: Timestamp,
        agent_reply: bool,
    ) -> Result<()> {
        let old = match before {
            Some(_) => tx.report_facts(after.id).await?,
            None => Facts::default(),
        };
        let (responds, resolves) = needs_clocks(&old, before, after, agent_reply);
        let mut clocks = Clocks::default();
        if responds || resolves {
            // The clocks as they stand just before this change (its own event is not
            // committed yet): how much business time the response or resolution took.
            if let Some(sla) = self.sla().sla_of(before.unwrap_or(after), at).await? {
                clocks.response = sla.response.as_ref().map(clock);
                clocks.resolution = Some(clock(&sla.resolution));
            }
        }
        let new = next_facts(&old, before, after, at, agent_reply, clocks);
        if new != old {
            tracked.facts.push((after.id, new.clone()));
        }
        let old_entry = before.map(|b| Entry::of(b, old));
        tracked.rollup.extend(delta(
            old_entry.as_ref(),
            Some(&Entry::of(after, new)),
            &self.config.report_zone,
        ));
        Ok(())
    }
}
