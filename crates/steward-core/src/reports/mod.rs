//! Service reports: volume, backlog, MTTA/MTTR, SLA attainment, first-contact resolution,
//! reopen rate and availability, per week or month.
//!
//! Reports read a daily rollup rather than every ticket, so a dashboard over a million tickets
//! stays fast: `rollup` says what one ticket adds to it, `figures` turns rows into a report.

mod figures;
mod rollup;

pub use figures::{
    Availability, DayRow, DaySums, Granularity, Outage, Period, PeriodFigures, Report, assemble,
    availability, periods,
};
pub use rollup::{
    Clocks, Dim, Entry, Facts, Measures, RESOLUTION_BUCKETS, RESPONSE_BUCKETS, RollupKey, bucket,
    contributions, delta, filter_key, merge, needs_clocks, next_facts,
};

#[cfg(test)]
mod tests;
