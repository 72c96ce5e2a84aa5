//! Holidays and makeup working days from an iCalendar (`.ics`) file: every all-day (or dated)
//! `VEVENT` covers the dates from its `DTSTART` up to, not including, its `DTEND`. An event
//! that marks a working day (调休 in China: a weekend worked in exchange for a longer holiday)
//! is a working day, not a holiday; see [`marks_working_day`] for how one is told.

use std::collections::BTreeSet;

use jiff::civil::Date;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct IcsError {
    pub line: usize,
    pub message: String,
}

fn date(value: &str, line: usize) -> Result<Date, IcsError> {
    let digits = value.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    let bad = || IcsError { line, message: format!("`{value}` is not a date (YYYYMMDD)") };
    let d = digits.ok_or_else(bad)?;
    let (y, m, dd) = (
        d[..4].parse().map_err(|_| bad())?,
        d[4..6].parse().map_err(|_| bad())?,
        d[6..].parse().map_err(|_| bad())?,
    );
    Date::new(y, m, dd).map_err(|_| bad())
}

/// What an `.ics` file says: days off and days worked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarDays {
    pub holidays: BTreeSet<Date>,
    pub working_days: BTreeSet<Date>,
}

/// Words that make an event a working day, in its `SUMMARY` or `CATEGORIES`: the Chinese feeds
/// (and the State Council's notices) call a makeup day 补班 or 上班 (often "春节补班", "国庆节
/// （班）"); English feeds say "working day", "workday" or "makeup".
const WORKING_WORDS: [&str; 7] = ["补班", "上班", "（班）", "(班)", "working day", "workday", "makeup"];

/// Whether an event with these properties marks a working day. Apple's feeds mark one with
/// `X-APPLE-SPECIAL-DAY:WORK-HOLIDAY`.
fn marks_working_day(summary: &str, categories: &str, apple_special: &str) -> bool {
    let text = format!("{summary} {categories}").to_lowercase();
    apple_special.eq_ignore_ascii_case("WORK-HOLIDAY") || WORKING_WORDS.iter().any(|w| text.contains(w))
}

/// The holidays of an `.ics` file (its working days dropped); see [`parse_calendar_days`].
pub fn parse_holidays(text: &str) -> Result<BTreeSet<Date>, IcsError> {
    Ok(parse_calendar_days(text)?.holidays)
}

pub fn parse_calendar_days(text: &str) -> Result<CalendarDays, IcsError> {
    // Unfold continuation lines (RFC 5545 §3.1), remembering each logical line's number.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((i + 1, raw.to_owned())),
        }
    }
    let first = lines.iter().find(|(_, l)| !l.trim().is_empty());
    if first.is_none_or(|(_, l)| l.trim() != "BEGIN:VCALENDAR") {
        return Err(IcsError {
            line: first.map_or(1, |f| f.0),
            message: "not an iCalendar file (no BEGIN:VCALENDAR)".into(),
        });
    }
    let mut days = CalendarDays::default();
    /// An open event: its first line, start, end, summary, categories, Apple's mark.
    type Open = (usize, Option<Date>, Option<Date>, String, String, String);
    let mut event: Option<Open> = None;
    let mut closed = false;
    for (n, line) in &lines {
        let (name, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let key = name.split(';').next().unwrap_or("").to_ascii_uppercase();
        match (key.as_str(), value.trim()) {
            ("BEGIN", "VEVENT") => {
                event = Some((*n, None, None, String::new(), String::new(), String::new()))
            }
            ("SUMMARY", v) => {
                if let Some(e) = event.as_mut() {
                    e.3 = v.to_owned();
                }
            }
            ("CATEGORIES", v) => {
                if let Some(e) = event.as_mut() {
                    e.4 = v.to_owned();
                }
            }
            ("X-APPLE-SPECIAL-DAY", v) => {
                if let Some(e) = event.as_mut() {
                    e.5 = v.to_owned();
                }
            }
            ("DTSTART", v) => {
                if let Some(e) = event.as_mut() {
                    e.1 = Some(date(v, *n)?);
                }
            }
            ("DTEND", v) => {
                if let Some(e) = event.as_mut() {
                    e.2 = Some(date(v, *n)?);
                }
            }
            ("END", "VEVENT") => {
                let (start_line, start, end, summary, categories, apple) =
                    event.take().ok_or(IcsError { line: *n, message: "END:VEVENT without BEGIN".into() })?;
                let into = match marks_working_day(&summary, &categories, &apple) {
                    true => &mut days.working_days,
                    false => &mut days.holidays,
                };
                let start =
                    start.ok_or(IcsError { line: start_line, message: "an event without DTSTART".into() })?;
                let end = end.unwrap_or(start.tomorrow().unwrap_or(start));
                let mut d = start;
                for _ in 0..366 {
                    if d >= end && d != start {
                        break;
                    }
                    into.insert(d);
                    match d.tomorrow() {
                        Ok(next) if next < end => d = next,
                        _ => break,
                    }
                }
            }
            ("END", "VCALENDAR") => closed = true,
            _ => {}
        }
    }
    if event.is_some() || !closed {
        let line = lines.last().map_or(1, |l| l.0);
        return Err(IcsError {
            line,
            message: "the file ends inside an event or without END:VCALENDAR".into(),
        });
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_day_events() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:国庆节\r\nDTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261004\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Christmas\r\nDTSTART;VALUE=DATE:20261225\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let days: Vec<String> = parse_holidays(ics).unwrap().iter().map(|d| d.to_string()).collect();
        assert_eq!(days, vec!["2026-10-01", "2026-10-02", "2026-10-03", "2026-12-25"]);
    }

    /// Issue 17: a 补班 event was imported as a holiday.
    #[test]
    fn makeup_working_days_are_told_from_holidays() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:国庆节\r\nDTSTART;VALUE=DATE:20261001\r\nDTEND;VALUE=DATE:20261008\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:国庆节补班\r\nDTSTART;VALUE=DATE:20261010\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:中秋节 (班)\r\nDTSTART;VALUE=DATE:20260920\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:调休\r\nX-APPLE-SPECIAL-DAY:WORK-HOLIDAY\r\nDTSTART;VALUE=DATE:20260214\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let days = parse_calendar_days(ics).unwrap();
        let text = |set: &BTreeSet<Date>| set.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        assert_eq!(text(&days.working_days), vec!["2026-02-14", "2026-09-20", "2026-10-10"]);
        assert_eq!(days.holidays.len(), 7);
        assert!(!days.holidays.contains(&Date::new(2026, 10, 10).unwrap()));
    }

    #[test]
    fn malformed_files_name_the_line() {
        for (text, line, fragment) in [
            ("hello", 1, "not an iCalendar"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-10-01\nEND:VEVENT\nEND:VCALENDAR", 3, "not a date"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR", 2, "without DTSTART"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261301\nEND:VEVENT\nEND:VCALENDAR", 3, "not a date"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261201\n", 3, "ends inside"),
        ] {
            let err = parse_holidays(text).unwrap_err();
            assert_eq!(err.line, line, "{text}: {err}");
            assert!(err.message.contains(fragment), "{text}: {err}");
        }
    }
}
