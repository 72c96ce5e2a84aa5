//! `steward bench sla`: the pure SLA clock over a million open tickets.

use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

#[derive(Args, Debug)]
pub struct SlaBench {
    /// Open tickets to recompute
    #[arg(long, default_value_t = 1_000_000)]
    tickets: usize,
}

/// `steward bench sla`: recomputes the SLA state of open tickets with the pure core clock on
/// one thread (issue 4's target: 1,000,000 in ≤ 2 s).
pub fn sla(args: SlaBench) -> anyhow::Result<ExitCode> {
    use jiff::{SignedDuration, Timestamp};
    use steward_core::sla::{
        BusinessCalendar, Phase, Segment, Target, TicketTimeline, measure, parse_holidays,
    };
    use steward_core::tickets::Priority;

    let day = "09:00-12:00,13:00-18:00";
    let holidays = parse_holidays(
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261001\nDTEND;VALUE=DATE:20261008\nEND:VEVENT\nEND:VCALENDAR\n",
    )?;
    let calendar =
        BusinessCalendar::from_days("Asia/Shanghai", &[day, day, day, day, day, "", ""], holidays)?;
    let target = Target([2, 4, 8, 24, 40].map(SignedDuration::from_hours));
    let now: Timestamp = "2026-11-30T07:00:00Z".parse()?;
    // Open tickets of every priority, up to three weeks old, a third with a pause.
    let timelines: Vec<TicketTimeline> = (0..args.tickets)
        .map(|i| {
            let age = SignedDuration::from_mins((i as i64 * 7919) % (21 * 24 * 60) + 1);
            let start = now.checked_sub(age).unwrap_or(now);
            let priority = Priority::new(1 + (i % 5) as i64).unwrap_or_else(|_| unreachable!("1..=5"));
            let mut segments = vec![Segment { from: start, phase: Phase::Running, priority }];
            if i % 3 == 0 {
                let half = start.checked_add(age / 2).unwrap_or(start);
                segments.push(Segment { from: half, phase: Phase::Paused, priority });
                segments.push(Segment {
                    from: half.checked_add(age / 4).unwrap_or(half),
                    phase: Phase::Running,
                    priority,
                });
            }
            TicketTimeline(segments)
        })
        .collect();
    let started = Instant::now();
    let mut breached = 0usize;
    for t in &timelines {
        if measure(&calendar, t, &target, now)?.breached_at.is_some() {
            breached += 1;
        }
    }
    let wall = started.elapsed();
    println!(
        "sla: {} open tickets recomputed in {:.3} s on one thread ({:.0} ns each); {breached} breached",
        args.tickets,
        wall.as_secs_f64(),
        wall.as_nanos() as f64 / args.tickets.max(1) as f64
    );
    Ok(ExitCode::SUCCESS)
}
