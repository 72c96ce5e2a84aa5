//! Service level agreements: business calendars and the SLA clock. Pure: every instant is
//! passed in, so the arithmetic is testable to the minute, DST and holidays included.

mod calendar;
mod clock;
mod events;
mod history;
mod ics;

pub use calendar::{BusinessCalendar, CalendarError, WorkingHours};
pub use clock::{Phase, Segment, SlaStatus, Target, TicketTimeline, measure};
pub use events::{SlaCalendarEvent, SlaPolicyEvent};
pub use history::{HistoryEntry, PausePolicy, since_last_update, timelines};
pub use ics::{CalendarDays, IcsError, parse_calendar_days, parse_holidays};
