//! Keeps each ticket's report facts and the daily rollup in step with its writes, inside the
//! writing transaction, so the reports never disagree with the tickets.

use jiff::Timestamp;
use steward_core::reports::{
    Clocks, Entry, Facts, Measures, RollupKey, delta, merge, needs_clocks, next_facts,
};
use steward_core::sla::SlaStatus;
use steward_core::tickets::Ticket;
use steward_store::Tx;

use crate::{App, Result};

fn clock(s: &SlaStatus) -> (jiff::SignedDuration, Option<bool>) {
    (s.elapsed, Some(s.breached_at.is_none()))
}

/// What tickets' changes do to the reports, gathered so that many tickets written in one
/// transaction (a group of creates) store their facts and rollup rows in one statement each.
#[derive(Debug, Default)]
pub(crate) struct Tracked {
    facts: Vec<(i64, Facts)>,
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
    /// Records what the change from `before` (`None`: just created) to `after` at `at` does to
    /// the reports. `agent_reply`: the change is a public reply by someone other than the
    /// requester (a first response).
    pub(crate) async fn track_ticket(
        &self,
        tx: &mut Tx,
        before: Option<&Ticket>,
        after: &Ticket,
        at: Timestamp,
        agent_reply: bool,
    ) -> Result<()> {
        let mut tracked = Tracked::default();
        self.track_facts(tx, &mut tracked, before, after, at, agent_reply).await?;
        tracked.store(tx).await
    }

    /// [`App::track_ticket`] into `tracked`, for a caller that stores many tickets' changes at
    /// once. The ticket's stored facts are read in `tx` (so they must not be among `tracked`'s).
    pub(crate) async fn track_facts(
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
            if let Some(sla) = self.sla_of(before.unwrap_or(after), at).await? {
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
