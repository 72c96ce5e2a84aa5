//! Six months of a believable small company's service desk (issue 17), so reports, SLA
//! figures and queues look alive from minute one: a few incidents every working day across
//! teams and categories, replies, waits on the customer, reopenings, cancellations, late
//! resolutions that breach, and a monthly outage with its flood of related calls.
//!
//! Everything goes through the normal operations on an `App` whose clock is set back and moved
//! forward step by step, so events, histories, SLA clocks, breaches and report rollups are the
//! ones real work would have left. Steps of all incidents run in time order.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use steward_core::identity::User;
use steward_core::ids::{CategoryId, TeamId, TicketId};
use steward_core::tickets::{HoldReason, ResolutionCode, State, TransitionRequest};

use super::direct;
use crate::{App, AppConfig, Clock, IncidentPatch, NewIncident, Result};

/// How far back the history starts: six months.
pub const DAYS: i64 = 182;

/// A small deterministic generator (SplitMix64), so every demo is the same company; a crate
/// for this would be one more dependency for a few lines.
pub(super) struct Dice(pub(super) u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[lo, hi]`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    /// True `percent` times in a hundred.
    pub(super) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// (title, category index, impact, urgency)
const CALLS: &[(&str, usize, i64, i64)] = &[
    ("Laptop will not boot", 0, 3, 2),
    ("Printer on the 3rd floor jams", 0, 3, 3),
    ("打印机无法连接", 0, 3, 3),
    ("Desk phone has no dial tone", 0, 3, 2),
    ("VPN disconnects every few minutes", 1, 2, 2),
    ("无法连接公司 Wi-Fi", 1, 3, 2),
    ("Supplier portal blocked by the firewall", 1, 2, 2),
    ("Outlook keeps asking for the password", 2, 3, 2),
    ("邮件发送延迟", 2, 2, 2),
    ("ERP order entry is very slow", 2, 2, 1),
    ("ERP 报表导出失败", 2, 2, 2),
    ("Excel crashes when opening large files", 2, 3, 3),
    ("Password reset for the HR system", 3, 3, 2),
    ("需要开通财务共享盘权限", 3, 3, 3),
    ("New starter needs accounts", 3, 3, 3),
    ("Cannot open the shared drive", 3, 3, 2),
];

/// (title of the outage, service, titles of the calls it brings)
const OUTAGES: &[(&str, &str, &[&str])] = &[
    (
        "Major incident: email down for all users",
        "Email",
        &["Cannot send email", "收不到邮件", "Outlook offline"],
    ),
    (
        "Major incident: ERP unavailable",
        "ERP",
        &["ERP login fails", "ERP 无法登录", "Orders cannot be saved"],
    ),
    (
        "Major incident: office network outage",
        "Network",
        &["No network at my desk", "网络中断", "Wi-Fi gone"],
    ),
];

const REPLIES: &[&str] = &[
    "Looking into it now. When did it start exactly?",
    "正在处理，请问问题是从什么时候开始的？",
    "Could you send a screenshot of the error?",
    "We have reproduced it and are working on a fix.",
];
const ANSWERS: &[&str] =
    &["Since this morning, right after logging in.", "今天上午开始的。", "Screenshot attached to my mail."];
const FIXES: &[&str] = &[
    "Cleared the profile cache and re-synced; confirmed working with the user.",
    "Replaced the faulty part; tested with the user.",
    "已重置配置并与用户确认恢复正常。",
    "Applied the vendor patch; monitored for an hour with no recurrence.",
];

/// One step of one incident, at its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Raise,
    Assign,
    Start,
    Reply,
    Hold,
    Answer,
    Resolve,
    Reopen,
    Close,
    Cancel,
    /// The daily chore: closing incidents resolved a week ago.
    Chores,
}

struct Call {
    title: String,
    category: CategoryId,
    impact: i64,
    urgency: i64,
    requester: usize,
    agent: usize,
    team: TeamId,
    service: Option<String>,
    parent: Option<usize>,
}

/// The people and records the history needs.
pub(super) struct Cast<'a> {
    pub people: &'a [User],
    /// (person index, team index) of every agent.
    pub agents: Vec<(usize, usize)>,
    pub requesters: Vec<usize>,
    pub lead: usize,
    pub teams: &'a [TeamId],
    /// The category of each call category index (hardware, network, software, access).
    pub categories: &'a [CategoryId],
}

impl App {
    /// Writes `days` days of history ending now; returns how many incidents.
    pub(super) async fn seed_demo_history(&self, cast: &Cast<'_>, days: i64) -> Result<usize> {
        let now = self.now();
        let start = now.checked_sub(SignedDuration::from_hours(24 * days)).unwrap_or(now);
        let clock = Clock::manual(start);
        // Its own clock and its own incident writer, which stamps with that clock.
        let past = App {
            config: Arc::new(AppConfig { clock: clock.clone(), ..(*self.config).clone() }),
            intake: Arc::default(),
            ..self.clone()
        };
        let mut dice = Dice(0x5EED_2026);
        let mut calls: Vec<Call> = Vec::new();
        let mut plan: Vec<(Timestamp, usize, Step)> = Vec::new();
        let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
        let first_day = zone.to_datetime(start).date();
        let agent_of_team = |dice: &mut Dice, team: usize| -> usize {
            let of_team: Vec<usize> =
                cast.agents.iter().filter(|(_, t)| *t == team).map(|(p, _)| *p).collect();
            if of_team.is_empty() { cast.agents[0].0 } else { *dice.pick(&of_team) }
        };
        for day in 0..days {
            let Ok(date) = first_day.checked_add(jiff::Span::new().days(day)) else { continue };
            let at = |h: i64, m: i64| {
                zone.to_ambiguous_timestamp(date.at(h as i8, m as i8, 0, 0)).compatible().unwrap_or(start)
            };
            plan.push((at(23, 30), usize::MAX, Step::Chores));
            let weekend = date.weekday().to_monday_one_offset() > 5;
            let count = if weekend { dice.range(0, 1) } else { dice.range(1, 4) };
            let mut raised = Vec::new();
            for _ in 0..count {
                let (title, category, impact, urgency) = *dice.pick(CALLS);
                let team = match category {
                    1 => 1,
                    2 if dice.chance(50) => 3,
                    _ => 0,
                };
                raised.push((
                    at(dice.range(8, 17), dice.range(0, 59)),
                    Call {
                        title: title.to_owned(),
                        category: cast.categories[category],
                        impact,
                        urgency,
                        requester: *dice.pick(&cast.requesters),
                        agent: agent_of_team(&mut dice, team),
                        team: cast.teams[team],
                        service: None,
                        parent: None,
                    },
                ));
            }
            // A monthly outage: the major incident first, its calls within the hour.
            if day % 30 == 12 {
                let (title, service, echoes) = OUTAGES[(day / 30) as usize % OUTAGES.len()];
                let when = at(10, 5);
                let major = calls.len() + raised.len();
                raised.push((
                    when,
                    Call {
                        title: title.to_owned(),
                        category: cast.categories[2],
                        impact: 1,
                        urgency: 1,
                        requester: cast.lead,
                        agent: cast.lead,
                        team: cast.teams[0],
                        service: Some(service.to_owned()),
                        parent: None,
                    },
                ));
                for (k, echo) in echoes.iter().enumerate() {
                    raised.push((
                        when.checked_add(SignedDuration::from_mins(10 + 12 * k as i64)).unwrap_or(when),
                        Call {
                            title: (*echo).to_owned(),
                            category: cast.categories[2],
                            impact: 3,
                            urgency: 2,
                            requester: *dice.pick(&cast.requesters),
                            agent: cast.lead,
                            team: cast.teams[0],
                            service: Some(service.to_owned()),
                            parent: Some(major),
                        },
                    ));
                }
            }
            for (when, call) in raised {
                let index = calls.len();
                let major = call.impact == 1;
                calls.push(call);
                let mut t = when;
                let mut step = |mins: i64, s: Step| {
                    t = t.checked_add(SignedDuration::from_mins(mins)).unwrap_or(t);
                    plan.push((t, index, s));
                };
                step(0, Step::Raise);
                if dice.chance(5) && !major {
                    step(dice.range(10, 120), Step::Cancel);
                    continue;
                }
                step(dice.range(3, 90), Step::Assign);
                step(dice.range(2, 45), Step::Start);
                step(dice.range(1, 30), Step::Reply);
                if dice.chance(30) {
                    step(dice.range(10, 60), Step::Hold);
                    step(dice.range(60, 2 * 24 * 60), Step::Answer);
                }
                // Most are fixed within the day; some take days and breach.
                let work = if major {
                    dice.range(60, 240)
                } else if dice.chance(22) {
                    dice.range(24 * 60, 8 * 24 * 60)
                } else {
                    dice.range(30, 8 * 60)
                };
                step(work, Step::Resolve);
                if dice.chance(10) {
                    step(dice.range(60, 24 * 60), Step::Reopen);
                    step(dice.range(60, 8 * 60), Step::Resolve);
                }
                if dice.chance(60) {
                    step(dice.range(30, 2 * 24 * 60), Step::Close);
                }
            }
        }
        // Steps still ahead of now have not happened yet: those tickets are open.
        plan.retain(|(t, _, _)| *t < now);
        plan.sort_by_key(|(t, i, _)| (*t, *i));
        let mut ids: Vec<Option<TicketId>> = vec![None; calls.len()];
        let mut voices = Dice(0x0C5A_7202);
        for (t, i, step) in plan {
            clock.set(t);
            if step == Step::Chores {
                // No SLA scan: its warnings would notify and mail people today of breaches
                // months old. The reports measure attainment from each ticket's clock anyway.
                past.incidents().auto_close_resolved().await?;
                past.demo_voices(&mut voices, cast).await?;
                continue;
            }
            let call = &calls[i];
            let requester = direct(cast.people[call.requester].clone());
            let agent = direct(cast.people[call.agent].clone());
            let lead = direct(cast.people[cast.lead].clone());
            let to = |state: State| TransitionRequest { to: Some(state), ..TransitionRequest::default() };
            let Some(id) = ids[i].or(if step == Step::Raise { Some(TicketId(0)) } else { None }) else {
                continue;
            };
            // A step whose ticket a refused earlier step left behind is skipped, not fatal:
            // the history stays believable either way.
            let _ = match step {
                Step::Raise => {
                    let input = NewIncident {
                        title: call.title.clone(),
                        description: String::new(),
                        category_id: Some(call.category),
                        impact: Some(call.impact),
                        urgency: Some(call.urgency),
                        service: call.service.clone(),
                        parent_id: call.parent.and_then(|p| ids[p]),
                        requester_id: call.parent.map(|_| cast.people[call.requester].id),
                        ..NewIncident::default()
                    };
                    let by = if call.parent.is_some() || call.impact == 1 { &lead } else { &requester };
                    let created = past.incidents().create(by, input).await?;
                    ids[i] = Some(created.id);
                    Ok(())
                }
                Step::Assign => {
                    let patch = IncidentPatch {
                        team_id: Some(Some(call.team)),
                        assignee_id: Some(Some(cast.people[call.agent].id)),
                        ..IncidentPatch::default()
                    };
                    past.incidents().update(&lead, id, None, patch).await.map(drop)
                }
                Step::Start => {
                    past.incidents().transition(&agent, id, None, to(State::InProgress)).await.map(drop)
                }
                Step::Reply => {
                    let text = REPLIES[i % REPLIES.len()];
                    past.incidents().comment(&agent, id, text, false).await.map(drop)
                }
                Step::Hold => {
                    let hold = TransitionRequest {
                        hold_reason: Some(HoldReason::AwaitingCustomer),
                        ..to(State::OnHold)
                    };
                    past.incidents().transition(&agent, id, None, hold).await.map(drop)
                }
                Step::Answer => past
                    .incidents()
                    .comment(&requester, id, ANSWERS[i % ANSWERS.len()], false)
                    .await
                    .map(drop),
                Step::Resolve => {
                    let resolve = TransitionRequest {
                        resolution_code: Some(if i % 4 == 0 {
                            ResolutionCode::Workaround
                        } else {
                            ResolutionCode::Fixed
                        }),
                        resolution_note: Some(FIXES[i % FIXES.len()].to_owned()),
                        ..to(State::Resolved)
                    };
                    past.incidents().transition(&agent, id, None, resolve).await.map(drop)
                }
                Step::Reopen => {
                    past.incidents().transition(&requester, id, None, to(State::InProgress)).await.map(drop)
                }
                Step::Close => {
                    past.incidents().transition(&requester, id, None, to(State::Closed)).await.map(drop)
                }
                Step::Cancel => {
                    let text = "Duplicate of an earlier call; closing this one.";
                    match past.incidents().comment(&lead, id, text, false).await {
                        Ok(_) => {
                            past.incidents().transition(&lead, id, None, to(State::Cancelled)).await.map(drop)
                        }
                        Err(e) => Err(e),
                    }
                }
                Step::Chores => Ok(()),
            };
        }
        Ok(ids.iter().flatten().count())
    }
}
