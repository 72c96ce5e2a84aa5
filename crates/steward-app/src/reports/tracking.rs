//! Keeps each ticket's report facts and the daily rollup in step with its writes, inside the
//! writing transaction, so the reports never disagree with the tickets.

use jiff::Timestamp;
use steward_core::reports::{Clocks, Entry, Facts, Measures, RollupKey, delta, needs_clocks, next_facts};
use steward_core::sla::SlaStatus;
use steward_core::tickets::Ticket;
use steward_store::Tx;

use crate::{App, Result};

fn clock(s: &SlaStatus) -> (jiff::SignedDuration, Option<bool>) {
    (s.elapsed, Some(s.breached_at.is_none()))
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
        let rows = self.track_facts(tx, before, after, at, agent_reply).await?;
        tx.add_to_rollup(&rows).await?;
        Ok(())
    }

    /// [`App::track_ticket`] without the rollup: stores the ticket's new facts and returns
    /// its rollup delta, for a caller that applies many tickets' deltas at once.
    pub(crate) async fn track_facts(
        &self,
        tx: &mut Tx,
        before: Option<&Ticket>,
        after: &Ticket,
        at: Timestamp,
        agent_reply: bool,
    ) -> Result<Vec<(RollupKey, Measures)>> {
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
            tx.put_report_facts(after.id, &new).await?;
        }
        let old_entry = before.map(|b| Entry::of(b, old));
        Ok(delta(old_entry.as_ref(), Some(&Entry::of(after, new)), &self.config.report_zone))
    }
}
