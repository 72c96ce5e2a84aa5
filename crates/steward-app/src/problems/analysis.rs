//! A problem's root-cause analysis, and the known-error database it publishes.

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::problems::{Analysis, ProblemEvent, analysis_changes};
use steward_core::tickets::Ticket;

use crate::events::record;
use crate::{Actor, AppError, Result};

/// A known error: a problem whose workaround is published to every agent.
#[derive(Debug, Clone)]
pub struct KnownError {
    pub problem: Ticket,
    pub analysis: Analysis,
}

impl crate::Problems<'_> {
    /// Records the analysis (the whole of it, as the form shows it) if the problem is still at
    /// `expected_version`. A problem past root cause known keeps its root cause, and a known
    /// error its workaround: clearing one would leave the state claiming what is not recorded.
    pub async fn analyse(
        self,
        actor: &Actor,
        id: TicketId,
        expected_version: Option<i64>,
        analysis: Analysis,
    ) -> Result<Ticket> {
        let problem = self.problems().current(actor, id, expected_version).await?;
        if !problem.state.is_open() {
            return Err(AppError::Conflict {
                field: Some("state"),
                message: format!("{} is {}: reopen it to change its analysis", problem.number, problem.state),
            });
        }
        analysis.ready_for(problem.state).map_err(AppError::from)?;
        let before = self.store.analysis(id).await?;
        let Some(changes) = analysis_changes(&before, &analysis) else { return Ok(problem) };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.save_analysis(id, &analysis, at).await?;
        record(&mut tx, at, Some(actor), DomainEvent::Problem { id, event: ProblemEvent::Analysed(changes) })
            .await?;
        let saved = self.problems().touch(&mut tx, &problem).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// The known-error database: problems in the known-error state, newest first, with their
    /// workaround; `q` keeps those whose title, root cause or workaround holds every word of it.
    pub async fn known_errors(self, actor: &Actor, q: Option<&str>, limit: i64) -> Result<Vec<KnownError>> {
        actor.require(Permission::ReadTickets)?;
        actor.require(Permission::WorkTickets)?;
        let rows = self.store.problems_with_analysis(&["known_error"], 5_000).await?;
        let words: Vec<String> =
            q.unwrap_or_default().split_whitespace().map(str::to_lowercase).take(20).collect();
        Ok(rows
            .into_iter()
            .filter(|(t, a)| {
                let text =
                    format!("{} {} {} {}", t.number, t.title, a.root_cause, a.workaround).to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
            })
            .take(limit.clamp(1, 500) as usize)
            .map(|(problem, analysis)| KnownError { problem, analysis })
            .collect())
    }
}
