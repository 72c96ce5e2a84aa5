//! Forecasts (issue 22): Prometheus queries watched for a predicted threshold breach. Each
//! minute every rule's history is pulled from Prometheus' query API (`prometheus.rs`) and
//! forecast — Holt-Winters with a daily season over two days or more of history, else a
//! least-squares line — and a breach predicted within the rule's horizon fires an alert
//! `PredictedThresholdBreach` on the rule's CI (a predictive incident, through the alert
//! pipeline's rules), resolved when the prediction clears. A rule of kind `outside` is a metric
//! anomaly band instead (`band.rs`): the newest value judged against its Holt-Winters forecast
//! with a daily or weekly season, firing `MetricAnomaly`. Prometheus away or answering nonsense
//! is recorded on the rule and changes nothing else.

mod band;
mod prometheus;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use steward_aiops::series::{holt_winters, trend};
use steward_core::alerts::{Alert, RawAlert};
use steward_core::events::DomainEvent;
use steward_core::forecasts::{Breach, ForecastEvent, ForecastRule};
use steward_core::identity::Permission;
use steward_core::ids::CiId;
use steward_store::{ForecastOutcome, ForecastRecord, NewForecast};

use crate::{Actor, AppError, Result, record};

/// The job that evaluates every rule; each minute.
pub const EVALUATE: &str = "forecast_evaluation";

/// A new rule as asked for.
#[derive(Debug, Clone, Default)]
pub struct NewRule {
    pub name: String,
    pub query: String,
    pub ci_id: Option<i64>,
    pub threshold: f64,
    pub breach: String,
    pub horizon_minutes: i64,
    pub lookback_minutes: i64,
}

impl crate::Forecasts<'_> {
    pub async fn create(self, actor: &Actor, input: NewRule) -> Result<ForecastRecord> {
        actor.require(Permission::ManageRunbooks)?;
        let rule = ForecastRule::parse(
            &input.name,
            &input.query,
            input.threshold,
            &input.breach,
            input.horizon_minutes,
            input.lookback_minutes,
        )
        .map_err(|e| AppError::invalid(e.field, e.message))?;
        let ci_id = match input.ci_id {
            Some(id) => Some(
                self.store.ci(CiId(id)).await?.ok_or_else(|| AppError::invalid("ci_id", "no such CI"))?.id,
            ),
            None => None,
        };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let new = NewForecast {
            name: &rule.name,
            query: &rule.query,
            ci_id,
            threshold: rule.threshold,
            breach: rule.breach.as_str(),
            horizon_minutes: rule.horizon_minutes,
            lookback_minutes: rule.lookback_minutes,
            created_by: actor.user.id.get(),
        };
        let id = tx.insert_forecast(at, &new).await?;
        let event = ForecastEvent::Created {
            name: rule.name.clone(),
            query: rule.query.clone(),
            threshold: rule.threshold.to_string(),
            breach: rule.breach.as_str().into(),
            horizon_minutes: rule.horizon_minutes,
            ci: ci_id.map(CiId::get),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Forecast { id, event }).await?;
        tx.commit().await?;
        self.store.forecast(id).await?.ok_or(AppError::NotFound("forecast"))
    }

    pub async fn list(self, actor: &Actor) -> Result<Vec<ForecastRecord>> {
        actor.require(Permission::ReadLogs)?;
        Ok(self.store.forecasts().await?)
    }

    pub async fn get(self, actor: &Actor, id: i64) -> Result<ForecastRecord> {
        actor.require(Permission::ReadLogs)?;
        self.store.forecast(id).await?.ok_or(AppError::NotFound("forecast"))
    }

    pub async fn delete(self, actor: &Actor, id: i64) -> Result<()> {
        actor.require(Permission::ManageRunbooks)?;
        let rule = self.store.forecast(id).await?.ok_or(AppError::NotFound("forecast"))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.delete_forecast(id).await?;
        record(
            &mut tx,
            at,
            Some(actor),
            DomainEvent::Forecast { id, event: ForecastEvent::Deleted { name: rule.name.clone() } },
        )
        .await?;
        tx.commit().await?;
        // A breach it predicted is no longer anyone's concern: its alert resolves.
        if rule.predicted_at.is_some() {
            self.alert(&rule, at, None, None, "").await?;
        }
        Ok(())
    }

    /// Evaluates one rule now (the rule's page and the API's "run now").
    pub async fn run(self, actor: &Actor, id: i64) -> Result<ForecastRecord> {
        actor.require(Permission::ManageRunbooks)?;
        let rule = self.store.forecast(id).await?.ok_or(AppError::NotFound("forecast"))?;
        self.evaluate(&rule).await?;
        self.store.forecast(id).await?.ok_or(AppError::NotFound("forecast"))
    }

    /// Evaluates every rule (the job); answers how many predict a breach.
    pub async fn evaluate_all(self) -> Result<usize> {
        let mut breaching = 0;
        for rule in self.store.forecasts().await? {
            // One rule's trouble (its alert refused, say) does not stop the others.
            match self.evaluate(&rule).await {
                Ok(b) => breaching += usize::from(b),
                Err(e) => tracing::warn!(rule = rule.id, error = %e, "forecast"),
            }
        }
        Ok(breaching)
    }

    async fn evaluate(self, rule: &ForecastRecord) -> Result<bool> {
        let now = self.now();
        let outcome = match self.predict(rule, now).await {
            Ok(o) => o,
            // The last prediction stands while Prometheus cannot be read, so an alert it fired
            // is resolved once a good reading says so.
            Err(error) => ForecastOutcome {
                predicted_at: rule.predicted_at,
                last_value: None,
                model: String::new(),
                error,
            },
        };
        // An error leaves the alert as it was: no news is not good news.
        if outcome.error.is_empty() {
            let was = rule.predicted_at.is_some();
            match (outcome.predicted_at, was) {
                (Some(at), _) => self.alert(rule, now, Some(at), outcome.last_value, &outcome.model).await?,
                (None, true) => self.alert(rule, now, None, outcome.last_value, &outcome.model).await?,
                (None, false) => {}
            }
        }
        self.store.record_forecast(rule.id, now, &outcome).await?;
        Ok(outcome.predicted_at.is_some())
    }

    async fn predict(
        self,
        rule: &ForecastRecord,
        now: Timestamp,
    ) -> std::result::Result<ForecastOutcome, String> {
        let base = self.config.prometheus_url.as_deref().ok_or("no prometheus_url is configured")?;
        // Everything below is on Prometheus' clock; a predicted time is told on ours.
        let prom_now = prometheus::now(base).await?;
        let end = Timestamp::from_second(prom_now as i64).map_err(|e| format!("Prometheus' time: {e}"))?;
        if rule.breach == Breach::Outside.as_str() {
            return band::judge(base, rule, end, now).await;
        }
        let lookback = SignedDuration::from_mins(rule.lookback_minutes);
        // Two days or more: 5-minute steps and a daily season; less: up to 300 points on a line.
        let seasonal = rule.lookback_minutes >= 2 * 1440;
        let step = if seasonal { 300 } else { (rule.lookback_minutes * 60 / 300).max(1) };
        let samples = prometheus::query_range(base, &rule.query, end - lookback, end, step).await?;
        let Some(&(last_t, last)) = samples.last() else {
            return Err("the query returned no samples".into());
        };
        let rising = rule.breach == Breach::Above.as_str();
        let crossed = |v: f64| if rising { v >= rule.threshold } else { v <= rule.threshold };
        let horizon = rule.horizon_minutes * 60;
        // The crossing, in seconds from Prometheus' now.
        let (ahead, model): (Option<f64>, &str) = if crossed(last) {
            (Some(0.0), "observed")
        } else if seasonal
            && let Some(fit) = holt_winters::fit(&samples.iter().map(|s| s.1).collect::<Vec<_>>(), 288)
        {
            let steps = (horizon / step).clamp(1, 100_000) as usize;
            let at = (1..=steps)
                .find(|h| crossed(fit.forecast(*h)))
                .map(|h| last_t + (h as i64 * step) as f64 - prom_now);
            (at, "holt-winters")
        } else {
            let line = trend::fit(&samples).ok_or("too few samples for a trend")?;
            let at = line
                .crossing(rule.threshold, rising, prom_now)
                .filter(|at| *at - prom_now <= horizon as f64 && line.r2 >= 0.5)
                .map(|at| at - prom_now);
            (at, "linear")
        };
        let predicted =
            ahead.and_then(|s| now.checked_add(SignedDuration::from_secs(s.max(0.0) as i64)).ok());
        Ok(ForecastOutcome {
            predicted_at: predicted,
            last_value: Some(last),
            model: model.into(),
            error: String::new(),
        })
    }

    async fn alert(
        self,
        rule: &ForecastRecord,
        now: Timestamp,
        at: Option<Timestamp>,
        value: Option<f64>,
        detail: &str,
    ) -> Result<()> {
        let mut labels = BTreeMap::from([
            ("alertname".to_owned(), "PredictedThresholdBreach".to_owned()),
            ("forecast".to_owned(), rule.name.clone()),
            ("severity".to_owned(), "warning".to_owned()),
        ]);
        if let Some(ci) = &rule.ci_name {
            labels.insert("host".into(), ci.clone());
        }
        let summary = match at {
            Some(at) => {
                let minutes = (at - now).as_secs().max(0) / 60;
                format!(
                    "{}: predicted to go {} {} at {} (in {} h {} min); now {}",
                    rule.name,
                    rule.breach,
                    rule.threshold,
                    at.strftime("%Y-%m-%d %H:%M UTC"),
                    minutes / 60,
                    minutes % 60,
                    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}")),
                )
            }
            None => format!("{}: no breach predicted any more", rule.name),
        };
        let anomaly = rule.breach == Breach::Outside.as_str();
        if anomaly {
            labels.insert("alertname".into(), "MetricAnomaly".into());
        }
        let summary = match (anomaly, at) {
            (true, Some(_)) => format!(
                "{}: {} outside its expected band, {}",
                rule.name,
                value.map_or_else(|| "—".to_owned(), |v| format!("{v:.2}")),
                detail
            ),
            (true, None) => format!("{}: back inside its expected band", rule.name),
            (false, _) => summary,
        };
        let raw = RawAlert {
            fingerprint: Some(format!("forecast:{}", rule.id)),
            status: if at.is_some() { "firing" } else { "resolved" }.into(),
            labels,
            annotations: BTreeMap::from([("summary".to_owned(), summary)]),
            starts_at: Some(now),
            ends_at: at.is_none().then_some(now),
            link: None,
        };
        let alert =
            Alert::parse("forecast", "alerts", raw, now).map_err(|e| AppError::invalid("alerts", e))?;
        let actor = self.logs().pipeline_actor().await?;
        self.alerts().ingest(&actor, &format!("forecast:{}", rule.id), vec![alert], "forecast").await?;
        Ok(())
    }
}
