//! Integration tests: the real server on a random port, real HTTP, a real database (SQLite, and
//! PostgreSQL when reachable — CI requires it).

mod helpers;

mod accounts;
mod browser;
mod gemini_key;
mod http_spec;
mod job_queue;
mod pickers;
mod process;
mod prompt_requests;
mod records;
mod schema_file;
