//! When a change runs: its window, the weekly slots a CI allows changes in, freezes, and the
//! conflicts a window has with everything else on the calendar.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::ids::{CiId, TicketId, UserId};
use crate::tickets::FieldError;
use crate::words::word_enum;

/// A planned window: start before end, at most 30 days long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

pub const MAX_WINDOW_DAYS: i64 = 30;

impl Window {
    /// A window to come: it may not end before `now`.
    pub fn parse(start: Timestamp, end: Timestamp, now: Timestamp) -> Result<Window, FieldError> {
        let w = Window::between(start, end)?;
        if end <= now {
            return Err(FieldError::new("planned_end", "the window lies in the past"));
        }
        Ok(w)
    }

    /// Any window, past or not (freezes, records of what happened).
    pub fn between(start: Timestamp, end: Timestamp) -> Result<Window, FieldError> {
        // Calendars, slots and reports add days to these instants: keep them far from jiff's
        // limits (years 1970 to 9000 hold every real plan).
        let sane = |t: Timestamp| (0..=221_845_392_000_000).contains(&t.as_millisecond());
        if !sane(start) {
            return Err(FieldError::new("planned_start", "a window lies between the years 1970 and 9000"));
        }
        if !sane(end) {
            return Err(FieldError::new("planned_end", "a window lies between the years 1970 and 9000"));
        }
        if end <= start {
            return Err(FieldError::new("planned_end", "the end must come after the start"));
        }
        if end.duration_since(start) > SignedDuration::from_hours(24 * MAX_WINDOW_DAYS) {
            return Err(FieldError::new(
                "planned_end",
                format!("a window lasts at most {MAX_WINDOW_DAYS} days"),
            ));
        }
        Ok(Window { start, end })
    }

    pub fn overlaps(&self, other: &Window) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// A weekly slot in which a CI accepts changes: days of the week and a time of day, in the
/// desk's time zone. Written `sat,sun 01:00-05:00` (an end before the start runs past midnight).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub days: BTreeSet<u8>,
    pub start_min: u16,
    pub end_min: u16,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Slot {
    pub fn parse(text: &str) -> Result<Slot, FieldError> {
        let bad = || {
            FieldError::new(
                "maintenance_slot",
                format!(
                    "`{}` is not a weekly slot like `sat,sun 01:00-05:00` or `daily 22:00-02:00`",
                    text.chars().take(60).collect::<String>()
                ),
            )
        };
        let (days, times) = text.trim().split_once(' ').ok_or_else(bad)?;
        let days: BTreeSet<u8> = if days.eq_ignore_ascii_case("daily") {
            (0..7).collect()
        } else {
            days.split(',')
                .map(|d| DAYS.iter().position(|n| n.eq_ignore_ascii_case(d.trim())).map(|p| p as u8))
                .collect::<Option<_>>()
                .ok_or_else(bad)?
        };
        let (from, to) = times.trim().split_once('-').ok_or_else(bad)?;
        let minute = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
        };
        let (start_min, end_min) = (minute(from).ok_or_else(bad)?, minute(to).ok_or_else(bad)?);
        if days.is_empty() || start_min == end_min {
            return Err(bad());
        }
        Ok(Slot { days, start_min, end_min })
    }

    pub fn text(&self) -> String {
        let days = if self.days.len() == 7 {
            "daily".to_owned()
        } else {
            self.days.iter().map(|d| DAYS[*d as usize]).collect::<Vec<_>>().join(",")
        };
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{days} {}-{}", hm(self.start_min), hm(self.end_min))
    }

    /// Whether the window lies inside one occurrence of the slot in `tz` (local times that a
    /// clock change skips are read as the zone reads them).
    pub fn covers(&self, w: &Window, tz: &TimeZone) -> bool {
        let start_day = tz.to_datetime(w.start).date();
        // The occurrence that could hold the start began on its day or the day before (a slot
        // past midnight).
        [Some(start_day), start_day.yesterday().ok()].into_iter().flatten().any(|day| {
            if !self.days.contains(&weekday_index(day.weekday())) {
                return false;
            }
            let len = if self.end_min > self.start_min {
                i64::from(self.end_min - self.start_min)
            } else {
                i64::from(1440 - self.start_min + self.end_min)
            };
            let local = day.to_datetime(jiff::civil::Time::midnight());
            let Ok(midnight) = tz.to_timestamp(local) else { return false };
            let open = midnight + SignedDuration::from_mins(i64::from(self.start_min));
            let close = open + SignedDuration::from_mins(len);
            open <= w.start && w.end <= close
        })
    }
}

/// Reads `weekday` as Monday-zero (for callers matching on `Slot::days`).
pub fn weekday_index(d: Weekday) -> u8 {
    d.to_monday_zero_offset() as u8
}

word_enum! {
    ConflictKind, "conflict" {
        SameCi => "same_ci",
        RelatedCi => "related_ci",
        Freeze => "freeze",
        OutsideSlot => "outside_slot",
        ImplementerBusy => "implementer_busy",
    }
}

/// One conflict, explained: `with` names the other change, the freeze or the CI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub with: String,
    /// The CI it is about (this change's CI for related CIs: the other change's CI in `other_ci`).
    pub ci: Option<String>,
    pub other_ci: Option<String>,
    pub window: Option<Window>,
}

impl Conflict {
    /// The key an override names: the kind and what it is with.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind.as_str(), self.with)
    }
}

/// Another change on the calendar.
#[derive(Debug, Clone)]
pub struct Booked {
    pub id: TicketId,
    pub number: String,
    pub window: Window,
    pub cis: Vec<CiId>,
    pub implementer: Option<UserId>,
}

/// A freeze (blackout): no change inside it without an override.
#[derive(Debug, Clone)]
pub struct Freeze {
    pub name: String,
    pub window: Window,
}

/// The change being scheduled and what the CMDB says around it.
pub struct Candidate<'a> {
    pub id: TicketId,
    pub window: Window,
    pub cis: &'a [CiId],
    pub implementer: Option<UserId>,
    /// CI names, for the explanations.
    pub names: &'a BTreeMap<CiId, String>,
    /// For each CI the change touches, the CIs that depend on it or it on them.
    pub related: &'a BTreeMap<CiId, Vec<CiId>>,
    /// Each CI's weekly slots (a CI with none accepts changes at any time).
    pub slots: &'a BTreeMap<CiId, Vec<Slot>>,
    pub tz: &'a TimeZone,
}

/// Every conflict of the candidate with the others, the freezes and its CIs' slots.
pub fn conflicts(c: &Candidate<'_>, others: &[Booked], freezes: &[Freeze]) -> Vec<Conflict> {
    let name = |id: &CiId| c.names.get(id).cloned().unwrap_or_else(|| format!("#{}", id.get()));
    let mut found = Vec::new();
    for f in freezes.iter().filter(|f| f.window.overlaps(&c.window)) {
        found.push(Conflict {
            kind: ConflictKind::Freeze,
            with: f.name.clone(),
            ci: None,
            other_ci: None,
            window: Some(f.window),
        });
    }
    for ci in c.cis {
        let slots = c.slots.get(ci).map(Vec::as_slice).unwrap_or_default();
        if !slots.is_empty() && !slots.iter().any(|s| s.covers(&c.window, c.tz)) {
            found.push(Conflict {
                kind: ConflictKind::OutsideSlot,
                with: name(ci),
                ci: Some(name(ci)),
                other_ci: Some(slots.iter().map(Slot::text).collect::<Vec<_>>().join("; ")),
                window: None,
            });
        }
    }
    for o in others.iter().filter(|o| o.id != c.id && o.window.overlaps(&c.window)) {
        let mut said = false;
        if let Some(ci) = c.cis.iter().find(|ci| o.cis.contains(ci)) {
            found.push(Conflict {
                kind: ConflictKind::SameCi,
                with: o.number.clone(),
                ci: Some(name(ci)),
                other_ci: None,
                window: Some(o.window),
            });
            said = true;
        }
        if !said {
            let related = c.cis.iter().find_map(|ci| {
                let near = c.related.get(ci)?;
                o.cis.iter().find(|x| near.contains(x)).map(|x| (ci, x))
            });
            if let Some((mine, theirs)) = related {
                found.push(Conflict {
                    kind: ConflictKind::RelatedCi,
                    with: o.number.clone(),
                    ci: Some(name(mine)),
                    other_ci: Some(name(theirs)),
                    window: Some(o.window),
                });
            }
        }
        if c.implementer.is_some() && o.implementer == c.implementer {
            found.push(Conflict {
                kind: ConflictKind::ImplementerBusy,
                with: o.number.clone(),
                ci: None,
                other_ci: None,
                window: Some(o.window),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn window(a: &str, b: &str) -> Window {
        Window::between(at(a), at(b)).unwrap()
    }

    #[test]
    fn windows_are_checked() {
        let now = at("2030-01-01T00:00:00Z");
        let e = Window::parse(at("2030-01-02T00:00:00Z"), at("2030-01-01T23:00:00Z"), now).unwrap_err();
        assert!(e.message.contains("after the start"));
        let e = Window::parse(at("2029-12-30T00:00:00Z"), at("2029-12-31T00:00:00Z"), now).unwrap_err();
        assert!(e.message.contains("past"));
        let e = Window::parse(at("2030-01-02T00:00:00Z"), at("2030-03-02T00:00:00Z"), now).unwrap_err();
        assert!(e.message.contains("30 days"));
        assert!(
            window("2030-01-01T01:00:00Z", "2030-01-01T02:00:00Z")
                .overlaps(&window("2030-01-01T01:59:00Z", "2030-01-01T03:00:00Z"))
        );
        assert!(
            !window("2030-01-01T01:00:00Z", "2030-01-01T02:00:00Z")
                .overlaps(&window("2030-01-01T02:00:00Z", "2030-01-01T03:00:00Z"))
        );
    }

    #[test]
    fn weekly_slots() {
        let sat = Slot::parse("sat,sun 01:00-05:00").unwrap();
        assert_eq!(sat.text(), "sat,sun 01:00-05:00");
        let utc = TimeZone::UTC;
        // 2030-01-05 is a Saturday.
        assert!(sat.covers(&window("2030-01-05T01:00:00Z", "2030-01-05T04:00:00Z"), &utc));
        assert!(!sat.covers(&window("2030-01-05T04:00:00Z", "2030-01-05T06:00:00Z"), &utc));
        assert!(!sat.covers(&window("2030-01-04T01:00:00Z", "2030-01-04T02:00:00Z"), &utc));
        let night = Slot::parse("daily 22:00-02:00").unwrap();
        assert_eq!(night.text(), "daily 22:00-02:00");
        assert!(night.covers(&window("2030-01-08T23:00:00Z", "2030-01-09T01:30:00Z"), &utc));
        assert!(night.covers(&window("2030-01-09T00:30:00Z", "2030-01-09T01:30:00Z"), &utc));
        assert!(!night.covers(&window("2030-01-09T01:30:00Z", "2030-01-09T03:00:00Z"), &utc));
        let shanghai = TimeZone::get("Asia/Shanghai").unwrap();
        // 01:00–03:00 in Shanghai on Saturday is 17:00–19:00 UTC on Friday.
        assert!(sat.covers(&window("2030-01-04T17:00:00Z", "2030-01-04T19:00:00Z"), &shanghai));
        for bad in ["someday 01:00-02:00", "sat 25:00-26:00", "sat 01:00", "sat 01:00-01:00", ""] {
            assert_eq!(Slot::parse(bad).unwrap_err().field, "maintenance_slot", "{bad}");
        }
    }

    #[test]
    fn conflicts_are_found_and_explained() {
        let (db, app, web) = (CiId(1), CiId(2), CiId(3));
        let names =
            BTreeMap::from([(db, "db-01".to_owned()), (app, "app-01".into()), (web, "web-01".into())]);
        let related = BTreeMap::from([(db, vec![app])]);
        let slots = BTreeMap::from([(db, vec![Slot::parse("sat 01:00-05:00").unwrap()])]);
        let tz = TimeZone::UTC;
        let w = window("2030-01-08T01:00:00Z", "2030-01-08T03:00:00Z");
        let cis = [db];
        let candidate = Candidate {
            id: TicketId(9),
            window: w,
            cis: &cis,
            implementer: Some(UserId(5)),
            names: &names,
            related: &related,
            slots: &slots,
            tz: &tz,
        };
        let booked = |id, number: &str, cis: Vec<CiId>, who| Booked {
            id: TicketId(id),
            number: number.into(),
            window: window("2030-01-08T02:00:00Z", "2030-01-08T04:00:00Z"),
            cis,
            implementer: who,
        };
        let others = [
            booked(1, "CHG000001", vec![db], None),
            booked(2, "CHG000002", vec![app], None),
            booked(3, "CHG000003", vec![web], Some(UserId(5))),
            booked(9, "CHG000009", vec![db], Some(UserId(5))),
        ];
        let freezes = [Freeze {
            name: "Year end".into(),
            window: window("2030-01-07T00:00:00Z", "2030-01-09T00:00:00Z"),
        }];
        let found = conflicts(&candidate, &others, &freezes);
        let keys: Vec<String> = found.iter().map(Conflict::key).collect();
        assert_eq!(
            keys,
            [
                "freeze:Year end",
                "outside_slot:db-01",
                "same_ci:CHG000001",
                "related_ci:CHG000002",
                "implementer_busy:CHG000003"
            ]
        );
        assert_eq!(found[3].other_ci.as_deref(), Some("app-01"));
        assert!(
            conflicts(
                &Candidate { window: window("2030-01-12T01:00:00Z", "2030-01-12T02:00:00Z"), ..candidate },
                &others,
                &freezes
            )
            .is_empty()
        );
    }
}
