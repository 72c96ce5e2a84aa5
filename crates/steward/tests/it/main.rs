//! Tests of the real `steward` binary: the CLI, `serve`, and the web UI in headless Chromium.

mod browser;
mod browser_alerts;
mod browser_changes;
mod browser_logs;
mod browser_portal;
mod browser_problems;
mod browser_runbooks;
mod cli;
mod layout;
mod reliability;
mod server;
