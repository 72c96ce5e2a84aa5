//! Forecasts (issue 22): a Prometheus query watched for a predicted threshold breach ("disk full
//! in 3 days"). A breach predicted within the rule's horizon raises an alert on its CI before the
//! failure — a predictive incident — and resolves it when the prediction clears. A rule of kind
//! `outside` watches instead for the newest value leaving its Holt-Winters band (a daily season
//! from two days of history, weekly from two weeks): a metric anomaly.

/// Which side of the threshold is the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// The value rising to the threshold (usage %, queue length).
    Above,
    /// The value falling to it (free bytes, remaining capacity).
    Below,
    /// The value leaving its expected band by more than `threshold` deviations, either way.
    Outside,
}

/// The least history a band is fitted on: two daily seasons.
pub const BAND_MIN_LOOKBACK_MINUTES: i64 = 2 * 1440;
/// From this much history on, a band has a weekly season.
pub const WEEKLY_LOOKBACK_MINUTES: i64 = 14 * 1440;

impl Breach {
    pub fn as_str(self) -> &'static str {
        match self {
            Breach::Above => "above",
            Breach::Below => "below",
            Breach::Outside => "outside",
        }
    }

    pub fn parse(s: &str) -> Option<Breach> {
        match s.trim() {
            "above" => Some(Breach::Above),
            "below" => Some(Breach::Below),
            "outside" => Some(Breach::Outside),
            _ => None,
        }
    }
}

/// A rule as checked: what to query, the threshold, how far ahead to look and how far back.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastRule {
    pub name: String,
    /// PromQL returning one series (the first is used when it returns several).
    pub query: String,
    /// The value crossed (`above`, `below`), or the band's half-width in residual deviations
    /// (`outside`).
    pub threshold: f64,
    pub breach: Breach,
    /// How far ahead a predicted breach opens an incident.
    pub horizon_minutes: i64,
    /// How much history the forecast is fitted on.
    pub lookback_minutes: i64,
}

/// Why a rule was refused: the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> RuleError {
    RuleError { field, message: message.into() }
}

impl ForecastRule {
    pub fn parse(
        name: &str,
        query: &str,
        threshold: f64,
        breach: &str,
        horizon_minutes: i64,
        lookback_minutes: i64,
    ) -> Result<ForecastRule, RuleError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 || name.chars().any(char::is_control) {
            return Err(refuse("name", "a name of 1–120 characters on one line"));
        }
        let query = query.trim();
        if query.is_empty()
            || query.len() > 4000
            || query.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(refuse("query", "a PromQL expression of at most 4,000 characters"));
        }
        if !threshold.is_finite() {
            return Err(refuse("threshold", "a number"));
        }
        let breach =
            Breach::parse(breach).ok_or_else(|| refuse("breach", "`above`, `below` or `outside`"))?;
        if breach == Breach::Outside && !(0.5..=50.0).contains(&threshold) {
            return Err(refuse("threshold", "a band's half-width: 0.5 to 50 deviations"));
        }
        if !(1..=60 * 24 * 90).contains(&horizon_minutes) {
            return Err(refuse("horizon_minutes", "1 minute to 90 days"));
        }
        if !(2..=60 * 24 * 30).contains(&lookback_minutes) {
            return Err(refuse("lookback_minutes", "2 minutes to 30 days"));
        }
        if breach == Breach::Outside && lookback_minutes < BAND_MIN_LOOKBACK_MINUTES {
            return Err(refuse("lookback_minutes", "a band is fitted on at least two days of history"));
        }
        Ok(ForecastRule {
            name: name.to_owned(),
            query: query.to_owned(),
            threshold,
            breach,
            horizon_minutes,
            lookback_minutes,
        })
    }
}

/// What can happen to a forecast rule (the threshold as text: events compare exactly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForecastEvent {
    Created {
        name: String,
        query: String,
        threshold: String,
        breach: String,
        horizon_minutes: i64,
        ci: Option<i64>,
    },
    Deleted {
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_checked_field_by_field() {
        let ok = ForecastRule::parse(" Disk /data ", "node_filesystem_avail_bytes", 0.0, "below", 1440, 360)
            .unwrap();
        assert_eq!((ok.name.as_str(), ok.breach), ("Disk /data", Breach::Below));
        let field = |r: Result<ForecastRule, RuleError>| r.unwrap_err().field;
        assert_eq!(field(ForecastRule::parse("", "up", 1.0, "above", 60, 60)), "name");
        assert_eq!(field(ForecastRule::parse("x", " ", 1.0, "above", 60, 60)), "query");
        assert_eq!(field(ForecastRule::parse("x", "up", f64::NAN, "above", 60, 60)), "threshold");
        assert_eq!(field(ForecastRule::parse("x", "up", 1.0, "sideways", 60, 60)), "breach");
        assert_eq!(field(ForecastRule::parse("x", "up", 1.0, "above", 0, 60)), "horizon_minutes");
        assert_eq!(field(ForecastRule::parse("x", "up", 1.0, "above", 60, 1)), "lookback_minutes");
        let band = ForecastRule::parse("Orders", "rate(orders[5m])", 4.0, "outside", 60, 3 * 1440).unwrap();
        assert_eq!(band.breach, Breach::Outside);
        assert_eq!(field(ForecastRule::parse("x", "up", 0.0, "outside", 60, 3 * 1440)), "threshold");
        assert_eq!(field(ForecastRule::parse("x", "up", 4.0, "outside", 60, 1440)), "lookback_minutes");
    }
}
