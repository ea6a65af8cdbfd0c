//! Sufficiency: a web platform for English councils' children's-placement
//! commissioning. See README.md for the map of this crate.

pub mod api;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bench_data;
pub mod capacity;
pub mod cases;
pub mod cli;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod geo;
pub mod health;
pub mod homes;
pub mod jobs;
pub mod map;
pub mod ofsted;
pub mod organisations;
pub mod quality;
pub mod regions;
pub mod requests;
pub mod returns;
pub mod router;
pub mod sandbox;
pub mod search;
pub mod users;
pub mod web;
