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
    /// The instant of every local midnight from `TABLE_FIRST_YEAR` on, made on first use: the
    /// clock asks for the same few hundred dates millions of times, and a time-zone lookup
    /// costs far more than an array read.
    midnights: std::sync::Arc<std::sync::OnceLock<Vec<i64>>>,
}

const TABLE_FIRST_YEAR: i16 = 1970;
const TABLE_YEARS: usize = 131;

/// Far enough for any SLA target; a search past it means the calendar has (almost) no time.
const HORIZON_DAYS: usize = 3660;

impl BusinessCalendar {
    pub fn always() -> BusinessCalendar {
        BusinessCalendar {
            tz: TimeZone::UTC,
            week: None,
            holidays: BTreeSet::new(),
            midnights: Default::default(),
        }
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
        Ok(BusinessCalendar { tz, week: Some(week), holidays, midnights: Default::default() })
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
        let m0 = self.midnight(date);
        let plain = Self::is_plain(m0, date.tomorrow().ok().and_then(|next| self.midnight(next)));
        windows.iter().filter_map(move |(a, b)| {
            let at = |m: u16| {
                if plain {
                    return m0?.checked_add(SignedDuration::from_mins(i64::from(m))).ok();
                }
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

    fn convert_midnight(&self, date: Date) -> Option<Timestamp> {
        self.tz.to_ambiguous_timestamp(date.at(0, 0, 0, 0)).compatible().ok()
    }

    /// The instant local `date` begins.
    fn midnight(&self, date: Date) -> Option<Timestamp> {
        let slot = |d: Date| -> Option<usize> {
            let year = usize::try_from(d.year() - TABLE_FIRST_YEAR).ok().filter(|y| *y < TABLE_YEARS)?;
            Some(year * 366 + usize::try_from(d.day_of_year()).ok()? - 1)
        };
        let table = self.midnights.get_or_init(|| {
            let mut table = vec![i64::MIN; TABLE_YEARS * 366];
            let mut d = Date::new(TABLE_FIRST_YEAR, 1, 1).unwrap_or(Date::MIN);
            while let Some(i) = slot(d) {
                table[i] = self.convert_midnight(d).map_or(i64::MIN, |t| t.as_second());
                let Ok(next) = d.tomorrow() else { break };
                d = next;
            }
            table
        });
        match slot(date).map(|i| table[i]) {
            Some(secs) if secs != i64::MIN => Timestamp::from_second(secs).ok(),
            _ => self.convert_midnight(date),
        }
    }

    /// Working time of a whole local date without a UTC offset change (most dates).
    fn plain_day(week: &[WorkingHours; 7], date: Date) -> SignedDuration {
        let minutes: u32 = week[date.weekday().to_monday_zero_offset() as usize]
            .windows()
            .iter()
            .map(|(a, b)| u32::from(b - a))
            .sum();
        SignedDuration::from_mins(i64::from(minutes))
    }

    /// Whether the local day starting at `m0` and ending at `m1` is exactly 24 hours long, i.e.
    /// has no UTC offset change, so its windows can be summed without converting each one.
    fn is_plain(m0: Option<Timestamp>, m1: Option<Timestamp>) -> bool {
        matches!((m0, m1), (Some(a), Some(b)) if b.duration_since(a) == SignedDuration::from_hours(24))
    }

    /// Business time between two instants (zero when `to <= from`).
    ///
    /// The first and last dates are clipped window by window; the dates between are summed
    /// from the weekly hours unless a DST change falls on them.
    pub fn business_duration(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to <= from {
            return SignedDuration::ZERO;
        }
        let Some(week) = &self.week else {
            return to.duration_since(from);
        };
        let clipped = |date: Date| -> SignedDuration {
            self.day_intervals(week, date)
                .map(|(s, e)| {
                    let (s, e) = (s.max(from), e.min(to));
                    if e > s { e.duration_since(s) } else { SignedDuration::ZERO }
                })
                .sum()
        };
        let first = self.tz.to_datetime(from).date();
        let last = self.tz.to_datetime(to).date();
        let mut total = clipped(first);
        if first == last {
            return total;
        }
        let Ok(mut date) = first.tomorrow() else { return total };
        let mut m0 = self.midnight(date);
        while date < last {
            let Ok(next) = date.tomorrow() else { break };
            let m1 = self.midnight(next);
            if !self.holidays.contains(&date) {
                total += if Self::is_plain(m0, m1) { Self::plain_day(week, date) } else { clipped(date) };
            }
            (date, m0) = (next, m1);
        }
        total + clipped(last)
    }

    /// The instant `amount` of business time after `from`.
    pub fn add(&self, from: Timestamp, amount: SignedDuration) -> Result<Timestamp, CalendarError> {
        let Some(week) = &self.week else {
            return from.checked_add(amount).map_err(|_| CalendarError::Unreachable);
        };
        let mut left = amount.max(SignedDuration::ZERO);
        let mut date = self.tz.to_datetime(from).date();
        let mut m0 = self.midnight(date);
        for day in 0..HORIZON_DAYS {
            let next = date.tomorrow().map_err(|_| CalendarError::Unreachable)?;
            let m1 = self.midnight(next);
            let skip = day > 0 && !self.holidays.contains(&date) && Self::is_plain(m0, m1) && {
                let whole = Self::plain_day(week, date);
                // Only a day that ends before the target is reached can be skipped whole.
                left > whole && {
                    left -= whole;
                    true
                }
            };
            if !skip {
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
            }
            (date, m0) = (next, m1);
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
