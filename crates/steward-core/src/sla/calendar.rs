//! Business calendars: working hours per weekday in an IANA time zone, minus holidays; or
//! 24×7. Durations and due instants are computed minute-exact across DST changes.

use std::collections::BTreeSet;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone `{0}`")]
    UnknownTimeZone(String),
    #[error("{day}: {message}")]
    BadHours { day: &'static str, message: String },
    #[error("the calendar has no working time at all")]
    NoWorkingTime,
    #[error("no working time found within ten years")]
    Unreachable,
}

const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// One day's working windows as minutes after local midnight, `[start, end)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingHours(Vec<(u16, u16)>);

impl WorkingHours {
    /// Parses `"09:00-12:00, 13:00-18:00"`; an empty string is a day off.
    pub fn parse(day: &'static str, text: &str) -> Result<WorkingHours, CalendarError> {
        let bad = |message: String| CalendarError::BadHours { day, message };
        let minute = |s: &str| -> Result<u16, CalendarError> {
            let (h, m) = s.trim().split_once(':').ok_or_else(|| bad(format!("`{s}` is not HH:MM")))?;
            let (h, m): (u16, u16) = (
                h.parse().map_err(|_| bad(format!("`{s}` is not HH:MM")))?,
                m.parse().map_err(|_| bad(format!("`{s}` is not HH:MM")))?,
            );
            if m > 59 || h > 24 || (h == 24 && m > 0) {
                return Err(bad(format!("`{s}` is not a time of day")));
            }
            Ok(h * 60 + m)
        };
        let mut windows = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').ok_or_else(|| bad(format!("`{part}` is not START-END")))?;
            let (a, b) = (minute(a)?, minute(b)?);
            if a >= b {
                return Err(bad(format!("`{part}` ends before it starts")));
            }
            windows.push((a, b));
        }
        windows.sort();
        if windows.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(bad("working hours overlap".into()));
        }
        Ok(WorkingHours(windows))
    }

    pub fn windows(&self) -> &[(u16, u16)] {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    tz: TimeZone,
    /// Monday first; `None` means 24×7.
    week: Option<[WorkingHours; 7]>,
    holidays: BTreeSet<Date>,
}

/// Far enough for any SLA target; a search past it means the calendar has (almost) no time.
const HORIZON_DAYS: usize = 3660;

impl BusinessCalendar {
    pub fn always() -> BusinessCalendar {
        BusinessCalendar { tz: TimeZone::UTC, week: None, holidays: BTreeSet::new() }
    }

    /// A calendar of working hours in `time_zone` (IANA name), Monday first.
    pub fn new(
        time_zone: &str,
        week: [WorkingHours; 7],
        holidays: BTreeSet<Date>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let tz = TimeZone::get(time_zone)
            .map_err(|_| CalendarError::UnknownTimeZone(time_zone.chars().take(64).collect()))?;
        if week.iter().all(|d| d.0.is_empty()) {
            return Err(CalendarError::NoWorkingTime);
        }
        Ok(BusinessCalendar { tz, week: Some(week), holidays })
    }

    /// Parses seven day strings (Monday first), as stored and typed by admins.
    pub fn from_days(
        time_zone: &str,
        days: &[&str; 7],
        holidays: BTreeSet<Date>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let mut week: [WorkingHours; 7] = Default::default();
        for (i, text) in days.iter().enumerate() {
            week[i] = WorkingHours::parse(DAYS[i], text)?;
        }
        BusinessCalendar::new(time_zone, week, holidays)
    }

    /// The working intervals of one local date, as instants.
    fn day_intervals<'a>(
        &'a self,
        week: &'a [WorkingHours; 7],
        date: Date,
    ) -> impl Iterator<Item = (Timestamp, Timestamp)> + 'a {
        let windows = if self.holidays.contains(&date) {
            &[][..]
        } else {
            week[date.weekday().to_monday_zero_offset() as usize].windows()
        };
        windows.iter().filter_map(move |(a, b)| {
            let at = |m: u16| {
                let dt = if m == 24 * 60 {
                    date.tomorrow().ok()?.at(0, 0, 0, 0)
                } else {
                    date.at((m / 60) as i8, (m % 60) as i8, 0, 0)
                };
                // A local time skipped by DST maps to the instant after the gap.
                self.tz.to_ambiguous_timestamp(dt).compatible().ok()
            };
            let (s, e) = (at(*a)?, at(*b)?);
            (s < e).then_some((s, e))
        })
    }

    /// Business time between two instants (zero when `to <= from`).
    pub fn business_duration(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let Some(week) = &self.week else {
            return to.duration_since(from);
        };
        let mut total = SignedDuration::ZERO;
        let mut date = self.tz.to_datetime(from).date();
        let last = self.tz.to_datetime(to).date();
        while date <= last {
            for (s, e) in self.day_intervals(week, date) {
                let (s, e) = (s.max(from), e.min(to));
                if e > s {
                    total += e.duration_since(s);
                }
            }
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        total
    }

    /// The instant `amount` of business time after `from`.
    pub fn add(&self, from: Timestamp, amount: SignedDuration) -> Result<Timestamp, CalendarError> {
        let Some(week) = &self.week else {
            return from.checked_add(amount).map_err(|_| CalendarError::Unreachable);
        };
        let mut left = amount.max(SignedDuration::ZERO);
        let mut date = self.tz.to_datetime(from).date();
        for _ in 0..HORIZON_DAYS {
            for (s, e) in self.day_intervals(week, date) {
                let s = s.max(from);
                if e <= s {
                    continue;
                }
                let span = e.duration_since(s);
                if left <= span {
                    return s.checked_add(left).map_err(|_| CalendarError::Unreachable);
                }
                left -= span;
            }
            date = date.tomorrow().map_err(|_| CalendarError::Unreachable)?;
        }
        Err(CalendarError::Unreachable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office(tz: &str) -> BusinessCalendar {
        let days = [
            "09:00-12:00,13:00-18:00",
            "09:00-12:00,13:00-18:00",
            "09:00-12:00,13:00-18:00",
            "09:00-12:00,13:00-18:00",
            "09:00-12:00,13:00-18:00",
            "",
            "",
        ];
        BusinessCalendar::from_days(tz, &days, BTreeSet::new()).unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_p2_opened_friday_evening_in_beijing() {
        // Friday 2026-11-27 17:30 in Beijing is 09:30 UTC; 30 minutes remain that day.
        let cal = office("Asia/Shanghai");
        let due = cal.add(at("2026-11-27T09:30:00Z"), SignedDuration::from_hours(4)).unwrap();
        // 30 min Friday, then Monday 09:00–12:00 (3 h), then 30 min after lunch: 13:30 local.
        assert_eq!(due, at("2026-11-30T05:30:00Z"));
        assert_eq!(cal.business_duration(at("2026-11-27T09:30:00Z"), due), SignedDuration::from_hours(4));
    }

    #[test]
    fn hours_are_checked() {
        for (text, fragment) in [
            ("18:00-09:00", "ends before"),
            ("09:00-12:00,11:00-13:00", "overlap"),
            ("9-17", "HH:MM"),
            ("25:00-26:00", "time of day"),
        ] {
            let err = WorkingHours::parse("monday", text).unwrap_err();
            assert!(err.to_string().contains(fragment), "{text}: {err}");
        }
        let empty = ["", "", "", "", "", "", ""];
        assert_eq!(
            BusinessCalendar::from_days("UTC", &empty, BTreeSet::new()).unwrap_err(),
            CalendarError::NoWorkingTime
        );
        let days = ["09:00-17:00", "", "", "", "", "", ""];
        assert!(matches!(
            BusinessCalendar::from_days("Mars/Olympus", &days, BTreeSet::new()),
            Err(CalendarError::UnknownTimeZone(_))
        ));
    }

    #[test]
    fn holidays_and_dst() {
        let mut holidays = BTreeSet::new();
        holidays.insert(Date::new(2026, 12, 25).unwrap());
        let days = ["09:00-17:00"; 7];
        let cal = BusinessCalendar::from_days("Europe/London", &days, holidays).unwrap();
        let christmas = cal.business_duration(at("2026-12-25T00:00:00Z"), at("2026-12-26T00:00:00Z"));
        assert_eq!(christmas, SignedDuration::ZERO);
        // 2026-03-29: clocks go forward at 01:00 UTC; 09:00 local is 08:00 UTC that day.
        let spring = cal.business_duration(at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z"));
        assert_eq!(spring, SignedDuration::from_hours(8));
        assert_eq!(
            cal.add(at("2026-03-29T00:00:00Z"), SignedDuration::from_mins(1)).unwrap(),
            at("2026-03-29T08:01:00Z")
        );
        // A 24×7 calendar counts wall-clock time.
        let always = BusinessCalendar::always();
        assert_eq!(
            always.business_duration(at("2026-03-29T00:00:00Z"), at("2026-03-30T00:00:00Z")),
            SignedDuration::from_hours(24)
        );
    }

    #[test]
    fn a_calendar_of_only_holidays_does_not_loop_forever() {
        let days = ["09:00-17:00", "", "", "", "", "", ""];
        let holidays: BTreeSet<Date> = (0..4000)
            .filter_map(|i| Date::new(2026, 1, 1).unwrap().checked_add(jiff::Span::new().days(i)).ok())
            .collect();
        let cal = BusinessCalendar::from_days("UTC", &days, holidays).unwrap();
        assert_eq!(
            cal.add(at("2026-01-01T00:00:00Z"), SignedDuration::from_hours(1)),
            Err(CalendarError::Unreachable)
        );
    }
}
