//! From rollup rows to the figures management reads: per week or month, broken down by
//! priority, team, service and category, with the backlog and service availability.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, ToSpan};

use super::rollup::{Dim, Entry, Measures, contributions};

/// How a report's range is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Week,
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Granularity> {
        match s {
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }
}

/// Local days `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Date,
    pub end: Date,
}

impl Period {
    /// `2026-11` for a month, `2026-W47` (ISO week) for a week.
    pub fn label(&self, g: Granularity) -> String {
        match g {
            Granularity::Month => format!("{:04}-{:02}", self.start.year(), self.start.month()),
            Granularity::Week => {
                let w = self.start.iso_week_date();
                format!("{:04}-W{:02}", w.year(), w.week())
            }
        }
    }

    /// The period's instants in `tz`.
    pub fn instants(&self, tz: &TimeZone) -> Option<(Timestamp, Timestamp)> {
        let at = |d: Date| tz.to_ambiguous_timestamp(d.at(0, 0, 0, 0)).compatible().ok();
        Some((at(self.start)?, at(self.end)?))
    }
}

/// The weeks (Monday first) or months that cover `from..=to`; empty when `to < from`.
pub fn periods(from: Date, to: Date, g: Granularity) -> Vec<Period> {
    let first = match g {
        Granularity::Week => from.checked_sub((from.weekday().to_monday_zero_offset() as i64).days()),
        Granularity::Month => Ok(from.first_of_month()),
    };
    let step: Span = match g {
        Granularity::Week => 1.week(),
        Granularity::Month => 1.month(),
    };
    let mut out = Vec::new();
    let Ok(mut start) = first else { return out };
    while start <= to {
        let Ok(end) = start.checked_add(step) else { break };
        out.push(Period { start, end });
        start = end;
    }
    out
}

/// One rollup row as read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    pub day: Date,
    pub dim: Dim,
    pub value: String,
    pub measures: Measures,
}

/// The rollup rows a set of tickets makes, summed one ticket at a time (a filtered report
/// reads its tickets page by page into this).
#[derive(Debug, Default)]
pub struct DaySums(BTreeMap<(Date, Dim, String), Measures>);

impl DaySums {
    pub fn add(&mut self, e: &Entry, tz: &TimeZone) {
        for (k, m) in contributions(e, tz).into_iter().filter(|(k, _)| k.filter.is_empty()) {
            *self.0.entry((k.day, k.dim, k.value)).or_default() += m;
        }
    }

    pub fn into_rows(self) -> Vec<DayRow> {
        self.0.into_iter().map(|((day, dim, value), measures)| DayRow { day, dim, value, measures }).collect()
    }
}

/// One period's figures and the backlog open at its end.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodFigures {
    pub period: Period,
    pub measures: Measures,
    pub backlog: i64,
}

/// A report over a range of periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub periods: Vec<PeriodFigures>,
    pub total: Measures,
    /// Per value of each dimension other than `All`, over the whole range, largest first.
    pub by: BTreeMap<Dim, Vec<(String, Measures)>>,
}

/// Sums `rows` into `periods`; `opening_backlog` is what was open when the first began.
pub fn assemble(rows: &[DayRow], periods: &[Period], opening_backlog: i64) -> Report {
    let mut figures: Vec<PeriodFigures> = periods
        .iter()
        .map(|p| PeriodFigures { period: *p, measures: Measures::default(), backlog: 0 })
        .collect();
    let mut total = Measures::default();
    let mut by: BTreeMap<Dim, BTreeMap<String, Measures>> = BTreeMap::new();
    for row in rows {
        let Some(i) = periods.iter().position(|p| p.start <= row.day && row.day < p.end) else { continue };
        if row.dim == Dim::All {
            figures[i].measures += row.measures;
            total += row.measures;
        } else {
            *by.entry(row.dim).or_default().entry(row.value.clone()).or_default() += row.measures;
        }
    }
    let mut backlog = opening_backlog;
    for f in &mut figures {
        backlog += f.measures.created - f.measures.ended;
        f.backlog = backlog;
    }
    let by = by
        .into_iter()
        .map(|(dim, values)| {
            let mut v: Vec<(String, Measures)> = values.into_iter().collect();
            if matches!(dim, Dim::Team | Dim::Service | Dim::Category) {
                v.sort_by(|a, b| b.1.created.cmp(&a.1.created).then_with(|| a.0.cmp(&b.0)));
            }
            (dim, v)
        })
        .collect();
    Report { periods: figures, total, by }
}

fn mean(sum: i64, n: i64) -> Option<SignedDuration> {
    (n > 0).then(|| SignedDuration::from_secs(sum / n))
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Measures {
    /// Mean time to acknowledge (first response), wall clock.
    pub fn mtta_wall(&self) -> Option<SignedDuration> {
        mean(self.response_wall_secs, self.responded)
    }
    pub fn mtta_business(&self) -> Option<SignedDuration> {
        mean(self.response_business_secs, self.responded)
    }
    /// Mean time to resolve, wall clock.
    pub fn mttr_wall(&self) -> Option<SignedDuration> {
        mean(self.resolution_wall_secs, self.resolved)
    }
    pub fn mttr_business(&self) -> Option<SignedDuration> {
        mean(self.resolution_business_secs, self.resolved)
    }
    /// Share of measured resolutions that met their target.
    pub fn resolution_attainment(&self) -> Option<f64> {
        ratio(self.resolution_met, self.resolution_measured)
    }
    pub fn response_attainment(&self) -> Option<f64> {
        ratio(self.response_met, self.response_measured)
    }
    /// Resolved without reopening and without moving to another team.
    pub fn first_contact_rate(&self) -> Option<f64> {
        ratio(self.first_contact, self.resolved)
    }
    pub fn reopen_rate(&self) -> Option<f64> {
        ratio(self.reopened, self.resolved)
    }
}

/// An incident that took a whole service down, from when it was raised until it was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub service: String,
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// A service's availability over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub service: String,
    pub downtime: SignedDuration,
    pub outages: usize,
    /// 0.0 ..= 1.0
    pub ratio: f64,
}

/// Availability per service over `[from, to)`: overlapping outages count once, still-open
/// ones last until `to`. Services without outages are not listed (they were up throughout).
pub fn availability(outages: &[Outage], from: Timestamp, to: Timestamp) -> Vec<Availability> {
    let span = to.duration_since(from);
    let mut per: BTreeMap<&str, Vec<(Timestamp, Timestamp)>> = BTreeMap::new();
    for o in outages {
        let (start, end) = (o.start.max(from), o.end.unwrap_or(to).min(to));
        if start < end {
            per.entry(o.service.as_str()).or_default().push((start, end));
        }
    }
    per.into_iter()
        .map(|(service, mut windows)| {
            windows.sort();
            let mut down = SignedDuration::ZERO;
            let mut current: Option<(Timestamp, Timestamp)> = None;
            for (s, e) in windows.iter().copied() {
                current = match current {
                    Some((cs, ce)) if s <= ce => Some((cs, ce.max(e))),
                    Some((cs, ce)) => {
                        down += ce.duration_since(cs);
                        Some((s, e))
                    }
                    None => Some((s, e)),
                };
            }
            if let Some((cs, ce)) = current {
                down += ce.duration_since(cs);
            }
            let ratio = if span.is_positive() { 1.0 - down.as_secs_f64() / span.as_secs_f64() } else { 1.0 };
            Availability { service: service.to_owned(), downtime: down, outages: windows.len(), ratio }
        })
        .collect()
}
