//! Business calendars: working hours per weekday in an IANA time zone, minus holidays, plus
//! working-day exceptions (调休: a Saturday worked in exchange for a longer holiday); or 24×7.
//! Durations and due instants are computed minute-exact across DST changes: a window counts
//! the real minutes whose local time lies inside it, so a window that starts or ends in the
//! hour a clock change skips or repeats counts what the wall clock showed.

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
    /// Dates worked although their weekday is not, with the hours of [`Self::standard`].
    working_days: BTreeSet<Date>,
    /// The weekday (Monday = 0) whose hours a working-day exception works: the first with any.
    standard: usize,
    /// The definition this one replaced, and when it stopped applying: an edited calendar
    /// counts from the edit on, and time before it as it was counted then.
    earlier: Option<(Timestamp, std::sync::Arc<BusinessCalendar>)>,
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
            working_days: BTreeSet::new(),
            standard: 0,
            earlier: None,
            midnights: Default::default(),
        }
    }

    /// This calendar from `since` on, and `before` before it (an edited calendar's history).
    pub fn replacing(mut self, before: BusinessCalendar, since: Timestamp) -> BusinessCalendar {
        self.earlier = Some((since, std::sync::Arc::new(before)));
        self
    }

    /// A calendar of working hours in `time_zone` (IANA name), Monday first.
    pub fn new(
        time_zone: &str,
        week: [WorkingHours; 7],
        holidays: BTreeSet<Date>,
    ) -> Result<BusinessCalendar, CalendarError> {
        let tz = TimeZone::get(time_zone)
            .map_err(|_| CalendarError::UnknownTimeZone(time_zone.chars().take(64).collect()))?;
        let standard = week.iter().position(|d| !d.0.is_empty()).ok_or(CalendarError::NoWorkingTime)?;
        Ok(BusinessCalendar {
            tz,
            week: Some(week),
            holidays,
            working_days: BTreeSet::new(),
            standard,
            earlier: None,
            midnights: Default::default(),
        })
    }

    /// The calendar with `days` worked as a normal working day (the hours of the first weekday
    /// with any), whatever their weekday. A date that is also a holiday stays a holiday.
    pub fn with_working_days(mut self, days: BTreeSet<Date>) -> BusinessCalendar {
        self.working_days = days;
        self
    }

    /// The working windows of local `date`: none on a holiday, a normal day's on a working-day
    /// exception, else its weekday's.
    fn windows_on<'a>(&self, week: &'a [WorkingHours; 7], date: Date) -> &'a [(u16, u16)] {
        if self.holidays.contains(&date) {
            &[]
        } else if self.working_days.contains(&date) {
            week[self.standard].windows()
        } else {
            week[date.weekday().to_monday_zero_offset() as usize].windows()
        }
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
        let windows = self.windows_on(week, date);
        let m0 = self.midnight(date);
        let plain = Self::is_plain(m0, date.tomorrow().ok().and_then(|next| self.midnight(next)));
        // Most days: local time is midnight plus minutes.
        let simple = plain.then_some(m0).flatten().into_iter().flat_map(move |m0| {
            windows.iter().filter_map(move |(a, b)| {
                let at = |m: u16| m0.checked_add(SignedDuration::from_mins(i64::from(m))).ok();
                Some((at(*a)?, at(*b)?))
            })
        });
        // A day with a clock change: each window by the offsets in force, in time order (two
        // windows over a repeated hour interleave).
        let exact = (!plain).then(|| {
            let mut pieces: Vec<(Timestamp, Timestamp)> =
                windows.iter().flat_map(|(a, b)| self.exact_window(date, *a, *b)).collect();
            pieces.sort();
            pieces
        });
        simple.chain(exact.into_iter().flatten())
    }

    /// The instants whose local time on `date` lies in `[a, b)` minutes after midnight. Between
    /// two offset changes local time is the instant plus one offset, so each such stretch
    /// contributes the instants `[A − offset, B − offset)` it holds (A and B the window's ends
    /// read as if local time were UTC): a skipped hour adds nothing, a repeated one twice.
    fn exact_window(&self, date: Date, a: u16, b: u16) -> Vec<(Timestamp, Timestamp)> {
        let Ok(day) = TimeZone::UTC.to_timestamp(date.at(0, 0, 0, 0)).map(|t| t.as_second()) else {
            return Vec::new();
        };
        let (start, end) = (day + i64::from(a) * 60, day + i64::from(b) * 60);
        // Offsets are within ±26 hours, so these bounds hold every instant that can qualify.
        let reach = 26 * 3600;
        let (Ok(lo), Ok(hi)) = (Timestamp::from_second(start - reach), Timestamp::from_second(end + reach))
        else {
            return Vec::new();
        };
        let mut cuts = vec![lo];
        cuts.extend(self.tz.following(lo).map(|t| t.timestamp()).take_while(|t| *t < hi));
        cuts.push(hi);
        cuts.windows(2)
            .filter_map(|pair| {
                let offset = i64::from(self.tz.to_offset(pair[0]).seconds());
                let from = pair[0].as_second().max(start - offset);
                let to = pair[1].as_second().min(end - offset);
                let (from, to) = (Timestamp::from_second(from).ok()?, Timestamp::from_second(to).ok()?);
                (from < to).then_some((from, to))
            })
            .collect()
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
    fn plain_day(&self, week: &[WorkingHours; 7], date: Date) -> SignedDuration {
        let minutes: u32 = self.windows_on(week, date).iter().map(|(a, b)| u32::from(b - a)).sum();
        SignedDuration::from_mins(i64::from(minutes))
    }

    /// Whether the local day starting at `m0` and ending at `m1` is exactly 24 hours long, i.e.
    /// has no UTC offset change, so its windows can be summed without converting each one.
    fn is_plain(m0: Option<Timestamp>, m1: Option<Timestamp>) -> bool {
        matches!((m0, m1), (Some(a), Some(b)) if b.duration_since(a) == SignedDuration::from_hours(24))
    }

    /// Business time between two instants (zero when `to <= from`), by the definition that
    /// applied at each moment.
    pub fn business_duration(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        match &self.earlier {
            Some((since, before)) if from < *since => {
                before.business_duration(from, to.min(*since)) + self.own_duration(from.max(*since), to)
            }
            _ => self.own_duration(from, to),
        }
    }

    /// The instant `amount` of business time after `from`, by the definition that applied at
    /// each moment.
    pub fn add(&self, from: Timestamp, amount: SignedDuration) -> Result<Timestamp, CalendarError> {
        match &self.earlier {
            Some((since, before)) if from < *since => {
                let until = before.business_duration(from, *since);
                if amount <= until {
                    return before.add(from, amount);
                }
                self.own_add(*since, amount - until)
            }
            _ => self.own_add(from, amount),
        }
    }

    /// The working stretches between two instants, by the definition that applied at each
    /// moment: what a due time is made of, for an admin checking a calendar.
    pub fn working_spans(&self, from: Timestamp, to: Timestamp) -> Vec<(Timestamp, Timestamp)> {
        let mut spans = match &self.earlier {
            Some((since, before)) if from < *since => before.working_spans(from, to.min(*since)),
            _ => Vec::new(),
        };
        let from = match &self.earlier {
            Some((since, _)) => from.max(*since),
            None => from,
        };
        if to <= from {
            return spans;
        }
        let Some(week) = &self.week else {
            spans.push((from, to));
            return spans;
        };
        let mut date = self.tz.to_datetime(from).date();
        let last = self.tz.to_datetime(to).date();
        while date <= last {
            for (s, e) in self.day_intervals(week, date) {
                let (s, e) = (s.max(from), e.min(to));
                if s < e {
                    spans.push((s, e));
                }
            }
            let Ok(next) = date.tomorrow() else { break };
            date = next;
        }
        spans
    }

    /// Business time by this definition alone.
    ///
    /// The first and last dates are clipped window by window; the dates between are summed
    /// from the weekly hours unless a DST change falls on them.
    fn own_duration(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
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
            total += if Self::is_plain(m0, m1) { self.plain_day(week, date) } else { clipped(date) };
            (date, m0) = (next, m1);
        }
        total + clipped(last)
    }

    /// The instant `amount` of business time after `from`, by this definition alone.
    fn own_add(&self, from: Timestamp, amount: SignedDuration) -> Result<Timestamp, CalendarError> {
        let Some(week) = &self.week else {
            return from.checked_add(amount).map_err(|_| CalendarError::Unreachable);
        };
        let mut left = amount.max(SignedDuration::ZERO);
        let mut date = self.tz.to_datetime(from).date();
        let mut m0 = self.midnight(date);
        for day in 0..HORIZON_DAYS {
            let next = date.tomorrow().map_err(|_| CalendarError::Unreachable)?;
            let m1 = self.midnight(next);
            let skip = day > 0 && Self::is_plain(m0, m1) && {
                let whole = self.plain_day(week, date);
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

    /// The Golden Week case of issue 17: a P3 (two working days) opened Wednesday 2026-09-30
    /// 17:00 in Beijing is due on the makeup Saturday 10-10, not on Monday 10-05 (a holiday).
    #[test]
    fn a_makeup_working_day_is_worked_and_a_holiday_is_not() {
        let day = |s: &str| s.parse::<Date>().unwrap();
        let holidays = (1..=7).map(|d| Date::new(2026, 10, d).unwrap()).collect();
        let working = [day("2026-09-20"), day("2026-10-10")].into_iter().collect();
        let cal = office("Asia/Shanghai");
        let cal = BusinessCalendar::new("Asia/Shanghai", cal.week.clone().unwrap(), holidays)
            .unwrap()
            .with_working_days(working);
        // 17:00–18:00 on the 30th (1 h), then the holidays, then Thursday 10-08 (8 h) and
        // Friday 10-09 to 17:00 (7 h).
        let due = cal.add(at("2026-09-30T09:00:00Z"), SignedDuration::from_hours(16)).unwrap();
        assert_eq!(due, at("2026-10-09T09:00:00Z"), "Friday 10-09 17:00 Beijing");
        // 24 business hours: Friday's last hour, then the makeup Saturday to 17:00.
        let due = cal.add(at("2026-09-30T09:00:00Z"), SignedDuration::from_hours(24)).unwrap();
        assert_eq!(due, at("2026-10-10T09:00:00Z"), "Saturday 10-10 17:00 Beijing, a makeup working day");
        assert_eq!(
            cal.business_duration(at("2026-10-09T16:00:00Z"), at("2026-10-10T16:00:00Z")),
            SignedDuration::from_hours(8)
        );
        // Without the exceptions the same target lands in the holiday week's end instead.
        let plain = office("Asia/Shanghai");
        assert_eq!(
            plain.add(at("2026-09-30T09:00:00Z"), SignedDuration::from_hours(24)).unwrap(),
            at("2026-10-05T09:00:00Z")
        );
    }

    /// Issue 17: a Sunday 00:30–01:30 London window on 2027-03-28 loses the half hour the clock
    /// skips (due times used to land at 02:10 BST, outside it), and an autumn 01:30–02:30
    /// window holds 90 real minutes (it counted 120).
    #[test]
    fn windows_over_a_clock_change_count_the_minutes_the_clock_showed() {
        let spring = BusinessCalendar::from_days(
            "Europe/London",
            &["", "", "", "", "", "", "00:30-01:30"],
            BTreeSet::new(),
        )
        .unwrap();
        assert_eq!(
            spring.business_duration(at("2027-03-27T12:00:00Z"), at("2027-03-28T12:00:00Z")),
            SignedDuration::from_mins(30)
        );
        let due = spring.add(at("2027-03-28T00:30:00Z"), SignedDuration::from_mins(40)).unwrap();
        assert_eq!(due, at("2027-04-03T23:40:00Z"), "10 minutes into next Sunday's 00:30 BST");
        let autumn = BusinessCalendar::from_days(
            "Europe/London",
            &["", "", "", "", "", "", "01:30-02:30"],
            BTreeSet::new(),
        )
        .unwrap();
        assert_eq!(
            autumn.business_duration(at("2027-10-30T12:00:00Z"), at("2027-10-31T12:00:00Z")),
            SignedDuration::from_mins(90)
        );
        let due = autumn.add(at("2027-10-31T00:30:00Z"), SignedDuration::from_mins(45)).unwrap();
        assert_eq!(due, at("2027-10-31T01:45:00Z"), "30 min before the change, 15 after 01:30 GMT");
        // Two windows over the repeated hour: their pieces are counted in time order.
        let split = ["", "", "", "", "", "", "01:00-01:30,01:30-02:00"];
        let split = BusinessCalendar::from_days("Europe/London", &split, BTreeSet::new()).unwrap();
        assert_eq!(
            split.add(at("2027-10-31T00:00:00Z"), SignedDuration::from_mins(45)).unwrap(),
            at("2027-10-31T00:45:00Z")
        );
    }

    mod against_a_minute_by_minute_reference {
        use super::*;
        use proptest::prelude::*;

        const SPECS: [&str; 8] = [
            "",
            "09:00-17:00",
            "00:30-01:30",
            "01:30-02:30",
            "00:00-24:00",
            "01:00-03:00,22:00-23:30",
            "02:00-02:45",
            // Two windows over the repeated hour: their pieces interleave in time.
            "01:00-01:30,01:30-02:00",
        ];
        /// (time zone, a date near a clock change of 2027)
        const ZONES: [(&str, &str); 5] = [
            ("Europe/London", "2027-03-28"),
            ("Europe/London", "2027-10-31"),
            ("America/New_York", "2027-11-07"),
            ("Australia/Sydney", "2027-04-04"),
            ("Asia/Shanghai", "2027-10-01"),
        ];

        /// Whether minute `[t, t + 1 min)` is working time, read off the local clock.
        fn works(cal: &BusinessCalendar, days: &[&str; 7], t: Timestamp) -> bool {
            let local = cal.tz.to_datetime(t);
            let date = local.date();
            let spec = if cal.holidays.contains(&date) {
                ""
            } else if cal.working_days.contains(&date) {
                days[cal.standard]
            } else {
                days[date.weekday().to_monday_zero_offset() as usize]
            };
            let minute = i32::from(local.hour()) * 60 + i32::from(local.minute());
            WorkingHours::parse("x", spec)
                .unwrap()
                .windows()
                .iter()
                .any(|(a, b)| (i32::from(*a)..i32::from(*b)).contains(&minute))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]
            #[test]
            fn due_times_and_durations_match(
                zone in 0..ZONES.len(),
                specs in proptest::array::uniform7(0..SPECS.len()),
                start_minutes in -6000i64..6000,
                amount in 1i64..2500,
                exceptions in proptest::collection::vec((-8i64..8, any::<bool>()), 0..4),
            ) {
                let (tz, near) = ZONES[zone];
                let days: [&str; 7] = specs.map(|i| SPECS[i]);
                prop_assume!(days.iter().any(|d| !d.is_empty()));
                let near: Date = near.parse().unwrap();
                let (mut holidays, mut working) = (BTreeSet::new(), BTreeSet::new());
                for (offset, holiday) in exceptions {
                    let d = near.checked_add(jiff::Span::new().days(offset)).unwrap();
                    if holiday { holidays.insert(d); } else { working.insert(d); }
                }
                let cal = BusinessCalendar::from_days(tz, &days, holidays).unwrap().with_working_days(working);
                let noon = cal.tz.to_timestamp(near.at(12, 0, 0, 0)).unwrap();
                let start = noon.checked_add(SignedDuration::from_mins(start_minutes)).unwrap();
                // Walk minute by minute until `amount` working minutes have passed.
                let (mut t, mut counted) = (start, 0);
                let limit = start.checked_add(SignedDuration::from_hours(24 * 60)).unwrap();
                while counted < amount && t < limit {
                    if works(&cal, &days, t) { counted += 1; }
                    t = t.checked_add(SignedDuration::from_mins(1)).unwrap();
                }
                prop_assume!(counted == amount);
                prop_assert_eq!(cal.add(start, SignedDuration::from_mins(amount)).unwrap(), t);
                prop_assert_eq!(cal.business_duration(start, t), SignedDuration::from_mins(amount));
            }
        }
    }

    /// Issue 17: a changed calendar applies from the change on; time before it is counted as
    /// it was.
    #[test]
    fn an_edited_calendar_keeps_what_was_counted_before_the_edit() {
        let nine_to_five = ["09:00-17:00"; 7];
        let old = BusinessCalendar::from_days("UTC", &nine_to_five, BTreeSet::new()).unwrap();
        let around_the_clock = ["00:00-24:00"; 7];
        let edit = at("2027-01-04T12:00:00Z");
        let new = BusinessCalendar::from_days("UTC", &around_the_clock, BTreeSet::new())
            .unwrap()
            .replacing(old, edit);
        // Monday 09:00–12:00 by the old hours (3 h), then 12:00–18:00 by the new (6 h).
        let span = new.business_duration(at("2027-01-04T08:00:00Z"), at("2027-01-04T18:00:00Z"));
        assert_eq!(span, SignedDuration::from_hours(9));
        assert_eq!(
            new.add(at("2027-01-04T08:00:00Z"), SignedDuration::from_hours(2)).unwrap(),
            at("2027-01-04T11:00:00Z")
        );
        assert_eq!(
            new.add(at("2027-01-04T08:00:00Z"), SignedDuration::from_hours(5)).unwrap(),
            at("2027-01-04T14:00:00Z")
        );
        assert_eq!(
            new.add(at("2027-01-05T08:00:00Z"), SignedDuration::from_hours(1)).unwrap(),
            at("2027-01-05T09:00:00Z")
        );
    }
}
