//! One service per area: `app.incidents()`, `app.cmdb()`, `app.sla()`, … Each is a view of the
//! one `App`, so every area shares its store, configuration and clock (`App::now`); an
//! operation still takes its actor and opens its own transaction. A service derefs to `App`
//! for what the areas share (the store, the clock, the event recording and projections).

use std::ops::Deref;

use crate::App;

macro_rules! services {
    ($($(#[$doc:meta])* $name:ident => $accessor:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug)]
            pub struct $name<'a>(&'a App);

            impl Deref for $name<'_> {
                type Target = App;
                fn deref(&self) -> &App {
                    self.0
                }
            }
        )*

        impl App {
            $(
                $(#[$doc])*
                pub fn $accessor(&self) -> $name<'_> {
                    $name(self)
                }
            )*
        }
    };
}

services! {
    /// Incidents: raise, update, move through the lifecycle, converse, watch, relate, list.
    Incidents => incidents;
    /// Problems: tickets with a root-cause analysis, linked incidents, known errors, candidates.
    Problems => problems;
    /// Changes: models, risk, approvals, the calendar, implementation and review.
    Changes => changes;
    /// The service catalogue: items, their forms and fulfilment plans.
    Catalogue => catalogue;
    /// Service requests: ordering from the catalogue, approvals, fulfilment tasks.
    Requests => requests;
    /// The customer's voice: CSAT, NPS and the service-improvement leaderboard.
    Surveys => surveys;
    /// The knowledge base: articles, their versions, workflow, ratings.
    Knowledge => knowledge;
    /// One search over everything a user may see, fed from the event log.
    Search => search;
    /// Post-incident reviews and their action items.
    Reviews => reviews;
    /// Who outside Steward hears of what: subscriptions and their deliveries.
    Subscriptions => subscriptions;
    /// SLA calendars and policies, an incident's clocks, warnings and breaches.
    Sla => sla;
    /// The service reports.
    Reports => reports;
    /// The CMDB: classes, configuration items, relationships, impact, history, import/export.
    Cmdb => cmdb;
    /// Users and teams.
    Directory => directory;
    /// Sign-in, sessions and the first admin.
    Auth => auth;
    /// API tokens.
    Tokens => tokens;
    /// The audit trail and the operational counts behind `/metrics`.
    Audit => audit;
    /// Notices to the people around each ticket, fed from the event log; their channels.
    Notifications => notifications;
    /// Alerts from monitoring: received, deduplicated, opening and resolving incidents.
    Alerts => alerts;
    /// Automation: runbooks, their runs, schedules, alert triggers, secrets, JIT grants.
    Runbooks => runbooks;
    /// Logs: ingestion, template mining, the explorer, retention, new-template alerts.
    Logs => logs;
    /// Forecasts: Prometheus queries watched for a predicted threshold breach.
    Forecasts => forecasts;
    /// Auto-triage: classifiers that suggest and apply a new incident's fields.
    Triage => triage;
}
