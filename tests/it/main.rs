//! Integration tests: user stories driven through the real router, each on
//! a fresh database. Run on SQLite by default; set TEST_DATABASE_URL to a
//! PostgreSQL server to run them all on PostgreSQL.

mod support;

mod access_matrix;
mod accessibility;
mod account_links;
mod api;
mod backup;
mod bench_data;
mod browser;
mod capacity;
mod cases;
mod cli;
mod dashboard;
mod database;
mod demand;
mod demo;
mod email;
mod filing;
mod health;
mod homes;
mod hostile_input;
mod logs;
mod map;
mod ofsted_import;
mod organisations;
mod quality;
mod regions;
mod requests;
mod returns;
mod schedules;
mod schema_migrations;
mod search;
mod security;
mod session_changes;
mod sign_in;
mod snapshots;
mod two_factor;
mod uploads;
mod users;
