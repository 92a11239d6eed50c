//! Integration tests: the real server on a random port, real HTTP, a real database (SQLite, and
//! PostgreSQL when reachable — CI requires it).

mod helpers;

mod accounts;
mod bind_first;
mod browser;
mod collections;
mod connections;
mod cors_and_compression;
mod database_settings;
mod document_limits;
mod gemini_key;
mod generation;
mod generation_durability;
mod generation_faults;
mod generation_flows;
mod http_spec;
mod image_orientation;
mod image_urls;
mod instances;
mod instances_processes;
mod job_queue;
mod module_layers;
mod nodes;
mod nul_text;
mod orphaned_bytes;
mod page_columns;
mod page_plans;
mod pickers;
mod process;
mod prompt_listing;
mod prompt_requests;
mod request_ids;
mod resolver_rules;
mod runner_strands_nothing;
mod schema_file;
mod secrets_in_logs;
mod service_effects;
mod session_cache;
mod sessions;
mod sign_in_throttle;
mod startup_checks;
mod subscriptions;
mod uploads;
mod ws_clients;
mod ws_fragments;
