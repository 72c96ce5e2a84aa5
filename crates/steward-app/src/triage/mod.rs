//! Auto-triage (issue 22): classifiers trained on the desk's own resolved incidents suggest a
//! new incident's category, service, team and priority with a confidence
//! (`steward_aiops::triage`). Above the configured confidence an incident raised without a
//! category or team gets them applied by the AIOps user, with a work note saying so — the
//! system's decision, which agents correct like any other; the corrected values are what the
//! next training learns. Training runs daily (a job) or on demand, and reports its held-out
//! accuracy. With too little history the classifier says so instead of guessing.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
pub use steward_aiops::triage::MIN_EXAMPLES;
use steward_aiops::triage::{Example, FIELDS, Triage, Untrained};
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, TeamId, TicketId};

use crate::incidents::IncidentPatch;
use crate::{Actor, AppError, Result};

/// The job that retrains the classifiers; daily.
pub const TRAIN: &str = "triage_training";

/// Most incidents learned from (the newest).
const HISTORY: i64 = 20_000;

/// What a training reports (stored with the model as JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TriageReport {
    pub trained_at: String,
    pub examples: usize,
    /// Incidents held out to measure accuracy (every fifth).
    pub held_out: usize,
    /// Held-out accuracy per field (0–1), for the fields that could be learned.
    pub accuracy: BTreeMap<String, f64>,
    /// Fields without a classifier, and why.
    pub untrained: Vec<String>,
    /// The same, for pages to say in the reader's language (absent from reports stored before).
    #[serde(default)]
    pub gaps: Vec<Gap>,
}

/// A field without a classifier: `have` resolved incidents carry it (fewer than
/// `steward_aiops::triage::MIN_EXAMPLES`), or `None` when every one has the same value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Gap {
    pub field: String,
    pub have: Option<usize>,
}

fn gap(u: &Untrained) -> Gap {
    match u {
        Untrained::TooFewExamples { field, have } => Gap { field: (*field).to_owned(), have: Some(*have) },
        Untrained::OneValue { field } => Gap { field: (*field).to_owned(), have: None },
    }
}

/// One suggested value, named.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggested {
    pub field: &'static str,
    /// The value as stored: a category's or team's id, a service's name, a priority 1–4.
    pub value: String,
    /// What people read: the category's or team's name.
    pub label: String,
    pub confidence: f32,
}

/// This node's copy of the newest model and when it last looked for a newer one.
#[derive(Default, Debug)]
pub(crate) struct Cached {
    model: Option<(i64, Arc<Triage>)>,
    checked: Option<std::time::Instant>,
}

fn labels(e: &steward_store::TriageExample) -> [Option<String>; 4] {
    [
        e.category_id.map(|c| c.to_string()),
        e.service.clone().filter(|s| !s.is_empty()),
        e.team_id.map(|t| t.to_string()),
        Some(e.priority.to_string()),
    ]
}

fn why(u: &Untrained) -> String {
    match u {
        Untrained::TooFewExamples { field, have } => {
            format!(
                "{field}: too little history ({have} resolved incidents carry it; {} needed)",
                steward_aiops::triage::MIN_EXAMPLES
            )
        }
        Untrained::OneValue { field } => format!("{field}: every resolved incident has the same value"),
    }
}

impl crate::Triage<'_> {
    /// Trains on the resolved incidents: first without every fifth to measure accuracy, then
    /// on all; stores the model unless no field could be learned.
    pub async fn train(self, actor: Option<&Actor>) -> Result<TriageReport> {
        if let Some(a) = actor {
            a.require(Permission::ManageRunbooks)?;
        }
        let history = self.store.triage_examples(HISTORY).await?;
        let examples: Vec<(i64, Example)> = history
            .iter()
            .map(|e| {
                (
                    e.id,
                    Example { title: e.title.clone(), description: e.description.clone(), labels: labels(e) },
                )
            })
            .collect();
        let (held, kept): (Vec<_>, Vec<_>) = examples.iter().partition(|(id, _)| id % 5 == 0);
        let kept: Vec<Example> = kept.into_iter().map(|(_, e)| e.clone()).collect();
        let partial = tokio::task::spawn_blocking(move || Triage::train(&kept))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("training: {e}")))?;
        let mut accuracy = BTreeMap::new();
        for (i, field) in FIELDS.iter().enumerate() {
            let judged: Vec<_> = held.iter().filter(|(_, e)| e.labels[i].is_some()).collect();
            if !partial.knows(field) || judged.is_empty() {
                continue;
            }
            let right = judged
                .iter()
                .filter(|(_, e)| {
                    partial
                        .suggest(&e.title, &e.description)
                        .iter()
                        .any(|s| s.field == *field && Some(&s.value) == e.labels[i].as_ref())
                })
                .count();
            accuracy.insert((*field).to_owned(), right as f64 / judged.len() as f64);
        }
        let all: Vec<Example> = examples.iter().map(|(_, e)| e.clone()).collect();
        let count = all.len();
        let model = tokio::task::spawn_blocking(move || Triage::train(&all))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("training: {e}")))?;
        let at = self.now();
        let held_out = held.len();
        let report = TriageReport {
            trained_at: at.to_string(),
            examples: count,
            held_out,
            accuracy,
            untrained: model.untrained.iter().map(why).collect(),
            gaps: model.untrained.iter().map(gap).collect(),
        };
        if FIELDS.iter().any(|f| model.knows(f)) {
            let text = serde_json::to_string(&report).map_err(|e| AppError::Internal(e.into()))?;
            self.store.insert_triage_model(at, count as i64, &text, &model.to_bytes()).await?;
            self.forget().await;
        }
        Ok(report)
    }

    /// The newest training's report; `None` before the first.
    pub async fn report(self, actor: &Actor) -> Result<Option<(Timestamp, TriageReport)>> {
        actor.require(Permission::ReadReports)?;
        let Some(m) = self.store.latest_triage_model().await? else { return Ok(None) };
        let report = serde_json::from_str(&m.report).map_err(|e| AppError::Internal(e.into()))?;
        Ok(Some((m.trained_at, report)))
    }

    /// Suggestions for a ticket's text; `Invalid` when no model has been trained (too little
    /// history), so callers say so rather than show a guess.
    pub async fn suggest(self, actor: &Actor, title: &str, description: &str) -> Result<Vec<Suggested>> {
        actor.require(Permission::WorkTickets)?;
        let model = self.model().await?.ok_or_else(|| {
            AppError::invalid(
                "model",
                "no classifier yet: too little history of resolved incidents to learn from",
            )
        })?;
        self.named(model.suggest(title, description)).await
    }

    async fn named(self, suggestions: Vec<steward_aiops::triage::Suggestion>) -> Result<Vec<Suggested>> {
        let categories = self.store.categories().await?;
        let teams = self.store.list_teams().await?;
        Ok(suggestions
            .into_iter()
            .map(|s| {
                let label = match s.field {
                    "category" => {
                        categories.iter().find(|c| c.id.get().to_string() == s.value).map(|c| c.name.clone())
                    }
                    "team" => teams
                        .iter()
                        .find(|t| t.team.id.get().to_string() == s.value)
                        .map(|t| t.team.name.clone()),
                    "priority" => Some(format!("P{}", s.value)),
                    _ => None,
                }
                .unwrap_or_else(|| s.value.clone());
                Suggested { field: s.field, value: s.value, label, confidence: s.confidence }
            })
            .collect())
    }

    /// The newest model, reloaded when another node (or the job) trained a newer one; looked
    /// for at most once a minute.
    async fn model(self) -> Result<Option<Arc<Triage>>> {
        let mut cache = self.triage_cache.lock().await;
        let fresh = cache.checked.is_some_and(|c| c.elapsed() < std::time::Duration::from_secs(60));
        if fresh {
            return Ok(cache.model.as_ref().map(|m| m.1.clone()));
        }
        let newest = self.store.latest_triage_model_id().await?;
        if newest != cache.model.as_ref().map(|m| m.0) {
            cache.model = match self.store.latest_triage_model().await? {
                Some(m) => Triage::from_bytes(&m.model).map(|t| (m.id, Arc::new(t))),
                None => None,
            };
        }
        cache.checked = Some(std::time::Instant::now());
        Ok(cache.model.as_ref().map(|m| m.1.clone()))
    }

    /// Forgets the cached model (after training on this node, so the next incident uses it).
    pub(crate) async fn forget(self) {
        *self.triage_cache.lock().await = Cached::default();
    }

    /// Applies confident suggestions to a new incident raised without a category or team (the
    /// fields the raiser set are never touched), as the AIOps user, with a work note. Answers
    /// what was applied; never fails the caller (errors are logged).
    pub async fn apply_to_new(self, id: TicketId) -> Vec<Suggested> {
        match self.try_apply(id).await {
            Ok(applied) => applied,
            Err(e) => {
                tracing::warn!(error = %e, incident = id.get(), "auto-triage");
                Vec::new()
            }
        }
    }

    async fn try_apply(self, id: TicketId) -> Result<Vec<Suggested>> {
        let Some(threshold) = self.config.triage_threshold else { return Ok(Vec::new()) };
        let Some(model) = self.model().await? else { return Ok(Vec::new()) };
        let Some(ticket) = self.store.ticket(id).await? else { return Ok(Vec::new()) };
        if ticket.category_id.is_some() && ticket.team_id.is_some() {
            return Ok(Vec::new());
        }
        let suggestions = self.named(model.suggest(&ticket.title, &ticket.description)).await?;
        let mut patch = IncidentPatch::default();
        let mut applied = Vec::new();
        for s in suggestions.into_iter().filter(|s| s.confidence >= threshold) {
            match s.field {
                "category" if ticket.category_id.is_none() => {
                    patch.category_id = Some(s.value.parse().ok().map(CategoryId));
                }
                "team" if ticket.team_id.is_none() => patch.team_id = Some(s.value.parse().ok().map(TeamId)),
                "service" if ticket.service.is_none() => patch.service = Some(Some(s.value.clone())),
                _ => continue,
            }
            applied.push(s);
        }
        if applied.is_empty() {
            return Ok(applied);
        }
        let actor = self.logs().pipeline_actor().await?;
        let what: Vec<String> = applied
            .iter()
            .map(|s| format!("{}: {} ({:.0} %)", s.field, s.label, s.confidence * 100.0))
            .collect();
        let note = format!(
            "Auto-triage set {} — learned from this desk's resolved incidents; correct it if it is wrong.",
            what.join(", ")
        );
        // The note first: once the incident is in a team's queue, the AIOps user (in no team)
        // no longer works it.
        self.incidents().comment(&actor, id, &note, true).await?;
        self.incidents().update(&actor, id, None, patch).await?;
        Ok(applied)
    }
}
