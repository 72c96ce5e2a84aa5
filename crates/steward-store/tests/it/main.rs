//! Store tests against a real database: SQLite by default, PostgreSQL when
//! `STEWARD_TEST_DATABASE_URL` is set.

mod cmdb;
mod direct;
mod events;
mod jobs;
mod joined;
mod readers;
mod users;
mod writer;
