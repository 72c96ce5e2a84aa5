//! App and HTTP tests: the real router on 127.0.0.1:0 over a real database (SQLite by
//! default, PostgreSQL when `STEWARD_TEST_DATABASE_URL` is set).

mod access;
mod alerts;
mod alerts_bulk;
mod alerts_console;
mod alerts_e2e;
mod alerts_receivers;
mod alerts_rules;
mod audit;
mod auth;
mod cmdb;
mod cmdb_import;
mod errors;
mod group_commit;
mod hardening;
mod incidents;
mod incidents_input;
mod knowledge;
mod notifications;
mod observability;
mod problem_tickets;
mod problems;
mod replies;
mod reports;
mod schema_fuzz;
mod search;
mod sla;
mod sla_rules;
mod sla_scenario;
mod subscriptions;
mod tamper;
mod tokens;
mod ui_text;
mod upgrade;
mod web;
mod web_incidents;
