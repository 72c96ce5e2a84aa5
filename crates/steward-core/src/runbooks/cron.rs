//! Cron schedules: the standard five-field form (`minute hour day-of-month month day-of-week`)
//! and its `@` macros, with the next run computed in an IANA time zone, DST included.
//!
//! Hand-rolled because the cron crates on crates.io are built on chrono, and Steward uses jiff
//! everywhere. Semantics follow Vixie cron: when both day fields are restricted, a day matches
//! if either does; a field counts as unrestricted when it begins with `*` (so `*/2` does too).
//! Local times a spring-forward gap skips do not fire; local times a fall-back repeats fire
//! once, at the earlier instant.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// The longest expression accepted, in characters.
const MAX_LEN: usize = 200;

/// How far ahead [`Cron::next_after`] searches before it gives up.
const HORIZON_YEARS: i32 = 5;

const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Why a cron expression was refused; the message names the field and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("the expression is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("the expression contains a control character")]
    ControlCharacter,
    #[error("expected 5 fields (minute hour day-of-month month day-of-week), found {0}")]
    FieldCount(usize),
    #[error("unknown macro `{0}` (use @hourly, @daily, @weekly, @monthly or @yearly)")]
    UnknownMacro(String),
    #[error("{field} {value} is outside {min}–{max}")]
    OutOfRange { field: &'static str, value: String, min: u32, max: u32 },
    #[error("{field} step {step} is outside 1–{max}")]
    BadStep { field: &'static str, step: String, max: u32 },
    #[error("{field}: empty list item")]
    EmptyItem { field: &'static str },
    #[error("{field}: range {start}-{end} is inverted (it starts after it ends)")]
    InvertedRange { field: &'static str, start: u32, end: u32 },
    #[error("{field}: unknown name `{name}`")]
    UnknownName { field: &'static str, name: String },
    #[error("{field}: cannot read `{item}` (expected *, N, A-B, a list or a /step)")]
    BadItem { field: &'static str, item: String },
}

/// One field's name, bounds, and the names it accepts (index + `min` = value).
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 5] = [
    Field { name: "minute", min: 0, max: 59, names: &[] },
    Field { name: "hour", min: 0, max: 23, names: &[] },
    Field { name: "day-of-month", min: 1, max: 31, names: &[] },
    Field { name: "month", min: 1, max: 12, names: &MONTHS },
    Field { name: "day-of-week", min: 0, max: 7, names: &WEEKDAYS },
];

impl Field {
    /// Parses one field into a bit mask of its values, and whether it begins with `*`.
    fn parse(&self, text: &str) -> Result<(u64, bool), CronError> {
        let mut mask = 0u64;
        for item in text.split(',') {
            if item.is_empty() {
                return Err(CronError::EmptyItem { field: self.name });
            }
            let (base, step) = match item.split_once('/') {
                Some((base, step)) => (base, Some(step)),
                None => (item, None),
            };
            let (start, end) = match base.split_once('-') {
                _ if base == "*" => (self.min, self.max),
                Some((a, b)) => (self.value(a, item)?, self.value(b, item)?),
                // `a/n` runs from `a` to the field's end, as in cronie.
                None if step.is_some() => (self.value(base, item)?, self.max),
                None => (self.value(base, item)?, self.value(base, item)?),
            };
            if start > end {
                return Err(CronError::InvertedRange { field: self.name, start, end });
            }
            let step = match step {
                None => 1,
                Some(s) if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) => {
                    return Err(self.bad_item(item));
                }
                Some(s) => match s.parse::<u32>() {
                    Ok(n) if (1..=self.max).contains(&n) => n,
                    _ => return Err(CronError::BadStep { field: self.name, step: s.into(), max: self.max }),
                },
            };
            for v in (start..=end).step_by(step as usize) {
                mask |= 1 << v;
            }
        }
        Ok((mask, text.starts_with('*')))
    }

    /// One value: a number within bounds, or one of the field's names.
    fn value(&self, text: &str, item: &str) -> Result<u32, CronError> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return match text.parse::<u32>() {
                Ok(v) if (self.min..=self.max).contains(&v) => Ok(v),
                _ => Err(CronError::OutOfRange {
                    field: self.name,
                    value: text.into(),
                    min: self.min,
                    max: self.max,
                }),
            };
        }
        if let Some(i) = self.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
            return Ok(i as u32 + self.min);
        }
        if !text.is_empty() && text.chars().all(char::is_alphabetic) {
            return Err(CronError::UnknownName { field: self.name, name: text.into() });
        }
        Err(self.bad_item(item))
    }

    fn bad_item(&self, item: &str) -> CronError {
        CronError::BadItem { field: self.name, item: item.into() }
    }
}

/// A parsed cron schedule. Compare with `==`; print with `Display` or [`Cron::as_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// The expression, trimmed, fields separated by one space.
    text: String,
    minutes: u64,
    hours: u32,
    /// Bit `d` for day `d` (1–31).
    days: u32,
    /// Bit `m` for month `m` (1–12).
    months: u16,
    /// Bit `w` for weekday `w`, Sunday = 0.
    weekdays: u8,
    days_star: bool,
    weekdays_star: bool,
}

impl Cron {
    /// Parses a five-field expression or one of `@hourly`, `@daily`, `@midnight`, `@weekly`,
    /// `@monthly`, `@yearly`, `@annually`. Names (`jan`, `mon`) are case-insensitive; day-of-week
    /// 0 and 7 are both Sunday. At most 200 characters, no control characters.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        if text.chars().count() > MAX_LEN {
            return Err(CronError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(CronError::ControlCharacter);
        }
        let trimmed = text.trim();
        if trimmed.starts_with('@') {
            let expansion = match trimmed.to_ascii_lowercase().as_str() {
                "@hourly" => "0 * * * *",
                "@daily" | "@midnight" => "0 0 * * *",
                "@weekly" => "0 0 * * 0",
                "@monthly" => "0 0 1 * *",
                "@yearly" | "@annually" => "0 0 1 1 *",
                _ => return Err(CronError::UnknownMacro(trimmed.into())),
            };
            return Ok(Cron { text: trimmed.into(), ..Cron::parse(expansion)? });
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let [minute, hour, day, month, weekday] = fields[..] else {
            return Err(CronError::FieldCount(fields.len()));
        };
        let (minutes, _) = FIELDS[0].parse(minute)?;
        let (hours, _) = FIELDS[1].parse(hour)?;
        let (days, days_star) = FIELDS[2].parse(day)?;
        let (months, _) = FIELDS[3].parse(month)?;
        let (weekdays, weekdays_star) = FIELDS[4].parse(weekday)?;
        Ok(Cron {
            text: fields.join(" "),
            minutes,
            hours: hours as u32,
            days: days as u32,
            months: months as u16,
            // Fold 7 (Sunday) onto 0.
            weekdays: ((weekdays | weekdays >> 7) & 0x7f) as u8,
            days_star,
            weekdays_star,
        })
    }

    /// The expression as parsed: trimmed, its fields separated by single spaces.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first instant strictly after `after` whose wall-clock time in `zone` matches, at
    /// second 0; `None` if nothing matches within five years (e.g. `0 0 30 2 *`).
    ///
    /// A matching local time that a spring-forward gap skips does not fire that day; one that a
    /// fall-back repeats fires once, at the earlier instant (so during the repeated hour an
    /// every-minute schedule is silent: it already fired for those wall-clock times).
    pub fn next_after(&self, after: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let local = zone.to_datetime(after);
        let (mut y, mut m, mut d) = (i32::from(local.year()), local.month() as u8, local.day() as u8);
        let limit = (y + HORIZON_YEARS, m, d);
        let mut wd = local.weekday().to_sunday_zero_offset() as u8;
        // Local times up to `local` resolve to instants at or before `after`: start a minute on.
        let mut from = local.hour() as u32 * 60 + local.minute() as u32 + 1;
        loop {
            if (y, m, d) > limit || y > 9999 {
                return None;
            }
            let month_len = days_in_month(y, m);
            if self.months >> m & 1 == 0 {
                // Skip to the first of next month.
                wd = (wd + month_len - d + 1) % 7;
                (d, from) = (1, 0);
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                continue;
            }
            if from < 24 * 60
                && self.day_matches(d, wd)
                && let Some(t) = self.first_on(y, m, d, from, after, zone)
            {
                return Some(t);
            }
            (wd, from) = ((wd + 1) % 7, 0);
            if d < month_len {
                d += 1;
            } else {
                d = 1;
                (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            }
        }
    }

    /// Vixie's rule: both day fields restricted → either matches; otherwise both must.
    fn day_matches(&self, day: u8, weekday: u8) -> bool {
        let dom = self.days >> day & 1 == 1;
        let dow = self.weekdays >> weekday & 1 == 1;
        if self.days_star || self.weekdays_star { dom && dow } else { dom || dow }
    }

    /// The first matching time on local date `y-m-d`, from minute-of-day `from` on, that
    /// exists in `zone` and falls after `after`.
    fn first_on(
        &self,
        y: i32,
        m: u8,
        d: u8,
        from: u32,
        after: Timestamp,
        zone: &TimeZone,
    ) -> Option<Timestamp> {
        let mut hours = self.hours & (u32::MAX << (from / 60));
        while hours != 0 {
            let h = hours.trailing_zeros();
            hours &= hours - 1;
            let first_minute = if h == from / 60 { from % 60 } else { 0 };
            let mut minutes = self.minutes & (u64::MAX << first_minute);
            while minutes != 0 {
                let mi = minutes.trailing_zeros();
                minutes &= minutes - 1;
                let dt = DateTime::new(y as i16, m as i8, d as i8, h as i8, mi as i8, 0, 0).ok()?;
                let offset = match zone.to_ambiguous_timestamp(dt).offset() {
                    AmbiguousOffset::Unambiguous { offset } => offset,
                    AmbiguousOffset::Gap { .. } => continue,
                    AmbiguousOffset::Fold { before, .. } => before,
                };
                match offset.to_timestamp(dt) {
                    Ok(t) if t > after => return Some(t),
                    _ => {}
                }
            }
        }
        None
    }
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Cron {
    type Err = CronError;

    fn from_str(text: &str) -> Result<Cron, CronError> {
        Cron::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    /// The next run of `expr` after `from`, in `zone`.
    fn next(expr: &str, from: &str, zone: &str) -> Option<Timestamp> {
        Cron::parse(expr).unwrap().next_after(at(from), &tz(zone))
    }

    /// The first `n` runs of `expr` after `from`, in `zone`.
    fn runs(expr: &str, from: &str, zone: &str, n: usize) -> Vec<Timestamp> {
        let (cron, zone) = (Cron::parse(expr).unwrap(), tz(zone));
        std::iter::successors(cron.next_after(at(from), &zone), |t| cron.next_after(*t, &zone))
            .take(n)
            .collect()
    }

    fn bits(mask: u64) -> Vec<u32> {
        (0..64).filter(|b| mask >> b & 1 == 1).collect()
    }

    #[test]
    fn fields_parse() {
        let c = Cron::parse("  5,10-12,*/20   1-7/3 1,15 JAN,jun-Aug mon-FRI ").unwrap();
        assert_eq!(bits(c.minutes), [0, 5, 10, 11, 12, 20, 40]);
        assert_eq!(bits(c.hours.into()), [1, 4, 7]);
        assert_eq!(bits(c.days.into()), [1, 15]);
        assert_eq!(bits(c.months.into()), [1, 6, 7, 8]);
        assert_eq!(bits(c.weekdays.into()), [1, 2, 3, 4, 5]);
        assert!(!c.days_star && !c.weekdays_star);
        assert_eq!(c.as_str(), "5,10-12,*/20 1-7/3 1,15 JAN,jun-Aug mon-FRI");
        assert_eq!(c.to_string(), c.as_str());
        assert_eq!("5,10-12,*/20 1-7/3 1,15 JAN,jun-Aug mon-FRI".parse::<Cron>().unwrap(), c);

        let c = Cron::parse("* * */2 * 7").unwrap();
        assert_eq!(bits(c.minutes).len(), 60);
        assert_eq!(bits(c.hours.into()).len(), 24);
        assert_eq!(bits(c.days.into()), (1..=31).step_by(2).collect::<Vec<_>>());
        assert_eq!(bits(c.weekdays.into()), [0], "7 is Sunday");
        assert!(c.days_star && !c.weekdays_star);
        assert_eq!(bits(Cron::parse("0 0 * * 0,7").unwrap().weekdays.into()), [0]);
        assert_eq!(bits(Cron::parse("0 0 * * 5-7").unwrap().weekdays.into()), [0, 5, 6]);
        assert_eq!(bits(Cron::parse("0 0 * * sun-sat").unwrap().weekdays.into()).len(), 7);
        assert_eq!(bits(Cron::parse("50/5 0 * * *").unwrap().minutes), [50, 55]);
        assert_eq!(bits(Cron::parse("0 0 * */4 *").unwrap().months.into()), [1, 5, 9]);
    }

    #[test]
    fn macros_parse() {
        for (mac, same) in [
            ("@hourly", "0 * * * *"),
            ("@daily", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@weekly", "0 0 * * 0"),
            ("@monthly", "0 0 1 * *"),
            ("@yearly", "0 0 1 1 *"),
            ("@ANNUALLY", "0 0 1 1 *"),
        ] {
            let (a, b) = (Cron::parse(mac).unwrap(), Cron::parse(same).unwrap());
            assert_eq!(a.as_str(), mac);
            assert_eq!(Cron { text: same.into(), ..a }, b, "{mac}");
        }
    }

    #[test]
    fn errors_name_the_field_and_problem() {
        let long = format!("0 0 * * *{}", " ".repeat(200));
        for (text, message) in [
            ("", "expected 5 fields (minute hour day-of-month month day-of-week), found 0"),
            ("0 0 * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4"),
            ("0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6"),
            ("61 * * * *", "minute 61 is outside 0–59"),
            ("0 24 * * *", "hour 24 is outside 0–23"),
            ("0 0 0 * *", "day-of-month 0 is outside 1–31"),
            ("0 0 * 13 *", "month 13 is outside 1–12"),
            ("0 0 * * 8", "day-of-week 8 is outside 0–7"),
            ("99999999999 * * * *", "minute 99999999999 is outside 0–59"),
            ("*/0 * * * *", "minute step 0 is outside 1–59"),
            ("0 */24 * * *", "hour step 24 is outside 1–23"),
            ("0 0 1,,2 * *", "day-of-month: empty list item"),
            ("0 0 * * mon,", "day-of-week: empty list item"),
            ("0 5-3 * * *", "hour: range 5-3 is inverted (it starts after it ends)"),
            ("0 0 * * fri-mon", "day-of-week: range 5-1 is inverted (it starts after it ends)"),
            ("0 0 * foo *", "month: unknown name `foo`"),
            ("0 0 * * monday", "day-of-week: unknown name `monday`"),
            ("0 0 * mon *", "month: unknown name `mon`"),
            ("noon * * * *", "minute: unknown name `noon`"),
            ("1- * * * *", "minute: cannot read `1-` (expected *, N, A-B, a list or a /step)"),
            ("*/x * * * *", "minute: cannot read `*/x` (expected *, N, A-B, a list or a /step)"),
            ("*/1/2 * * * *", "minute: cannot read `*/1/2` (expected *, N, A-B, a list or a /step)"),
            ("0 -1 * * *", "hour: cannot read `-1` (expected *, N, A-B, a list or a /step)"),
            ("@reboot", "unknown macro `@reboot` (use @hourly, @daily, @weekly, @monthly or @yearly)"),
            ("0 0 * * *\n", "the expression contains a control character"),
            ("0\t0 * * *", "the expression contains a control character"),
            (long.as_str(), "the expression is longer than 200 characters"),
        ] {
            assert_eq!(Cron::parse(text).unwrap_err().to_string(), message, "{text:?}");
        }
    }

    #[test]
    fn every_minute_and_every_quarter_hour() {
        assert_eq!(next("* * * * *", "2026-03-27T12:00:00Z", "UTC"), Some(at("2026-03-27T12:01:00Z")));
        assert_eq!(next("* * * * *", "2026-03-27T12:00:30Z", "UTC"), Some(at("2026-03-27T12:01:00Z")));
        assert_eq!(next("* * * * *", "2026-03-27T11:59:59.9Z", "UTC"), Some(at("2026-03-27T12:00:00Z")));
        assert_eq!(next("*/15 * * * *", "2026-03-27T12:07:00Z", "UTC"), Some(at("2026-03-27T12:15:00Z")));
        assert_eq!(next("*/15 * * * *", "2026-03-27T12:45:00Z", "UTC"), Some(at("2026-03-27T13:00:00Z")));
        assert_eq!(next("*/15 * * * *", "2026-12-31T23:59:00Z", "UTC"), Some(at("2027-01-01T00:00:00Z")));
    }

    #[test]
    fn weekdays_skip_the_weekend() {
        // Friday 2026-03-27 after nine: next is Monday.
        assert_eq!(
            runs("0 9 * * mon-fri", "2026-03-27T12:00:00Z", "UTC", 2),
            [at("2026-03-30T09:00:00Z"), at("2026-03-31T09:00:00Z")]
        );
    }

    #[test]
    fn spring_forward_skips_the_missing_time() {
        // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST, so 02:00 does not exist that day.
        assert_eq!(
            runs("0 2 * * *", "2026-03-27T12:00:00Z", "Europe/Berlin", 3),
            [at("2026-03-28T01:00:00Z"), at("2026-03-30T00:00:00Z"), at("2026-03-31T00:00:00Z")]
        );
        assert_eq!(
            runs("30 * * * *", "2026-03-28T23:45:00Z", "Europe/Berlin", 2),
            [at("2026-03-29T00:30:00Z"), at("2026-03-29T01:30:00Z")]
        );
    }

    #[test]
    fn fall_back_fires_once_at_the_earlier_instant() {
        // Berlin, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00 happens at 00:00Z and 01:00Z.
        assert_eq!(
            runs("0 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin", 2),
            [at("2026-10-25T00:00:00Z"), at("2026-10-26T01:00:00Z")]
        );
        assert_eq!(
            next("0 2 * * *", "2026-10-25T00:30:00Z", "Europe/Berlin"),
            Some(at("2026-10-26T01:00:00Z"))
        );
        // Every quarter hour: silent through the repeated hour, which already fired.
        assert_eq!(
            runs("*/15 * * * *", "2026-10-25T00:30:00Z", "Europe/Berlin", 3),
            [at("2026-10-25T00:45:00Z"), at("2026-10-25T02:00:00Z"), at("2026-10-25T02:15:00Z")]
        );
    }

    #[test]
    fn shanghai_has_no_dst() {
        assert_eq!(
            runs("0 9 * * *", "2026-03-27T12:00:00Z", "Asia/Shanghai", 2),
            [at("2026-03-28T01:00:00Z"), at("2026-03-29T01:00:00Z")]
        );
    }

    #[test]
    fn restricted_day_fields_match_either() {
        // Monday 30 March, Wednesday 1 April, Monday 6 April.
        assert_eq!(
            runs("0 0 1 * mon", "2026-03-27T12:00:00Z", "UTC", 3),
            [at("2026-03-30T00:00:00Z"), at("2026-04-01T00:00:00Z"), at("2026-04-06T00:00:00Z")]
        );
        // A field starting with `*` is unrestricted: both must match (odd days that are Mondays).
        assert_eq!(next("0 0 */2 * mon", "2026-03-27T12:00:00Z", "UTC"), Some(at("2026-04-13T00:00:00Z")));
    }

    #[test]
    fn leap_days_and_impossible_dates() {
        assert_eq!(next("0 0 29 2 *", "2026-03-27T12:00:00Z", "UTC"), Some(at("2028-02-29T00:00:00Z")));
        assert_eq!(next("0 0 30 2 *", "2026-03-27T12:00:00Z", "UTC"), None);
        assert_eq!(next("0 0 31 4,6,9,11 *", "2026-03-27T12:00:00Z", "Europe/Berlin"), None);
    }

    #[test]
    fn macros_run() {
        let from = "2026-03-27T12:00:00Z";
        assert_eq!(next("@hourly", from, "UTC"), Some(at("2026-03-27T13:00:00Z")));
        assert_eq!(next("@daily", from, "UTC"), Some(at("2026-03-28T00:00:00Z")));
        assert_eq!(next("@midnight", from, "Asia/Shanghai"), Some(at("2026-03-27T16:00:00Z")));
        assert_eq!(next("@weekly", from, "UTC"), Some(at("2026-03-29T00:00:00Z")));
        assert_eq!(next("@monthly", from, "UTC"), Some(at("2026-04-01T00:00:00Z")));
        assert_eq!(next("@yearly", from, "UTC"), Some(at("2027-01-01T00:00:00Z")));
        assert_eq!(next("@annually", from, "UTC"), Some(at("2027-01-01T00:00:00Z")));
    }
}
