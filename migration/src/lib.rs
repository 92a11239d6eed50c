//! Database migrations for videoprompt, run by the server at start-up and by
//! `videoprompt migrate` (there is no separate migration binary).
//!
//! The schema works on SQLite and PostgreSQL alike: ids are `uuid` (a 16-byte blob on
//! SQLite), timestamps are `timestamp with time zone` (RFC 3339 text on SQLite), binary
//! values are `bytea`/`blob`, JSON is `jsonb` (text on SQLite), and the job status is a
//! short string rather than a database enum type.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_users_and_sessions;
mod m20261125_000002_create_profiles_and_app_settings;
mod m20261125_000003_create_collections_and_images;
mod m20261125_000004_create_video_prompts;
mod m20261201_000005_page_order_indexes;
mod m20261202_000006_user_prompt_order_index;

/// All migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_users_and_sessions::Migration),
            Box::new(m20261125_000002_create_profiles_and_app_settings::Migration),
            Box::new(m20261125_000003_create_collections_and_images::Migration),
            Box::new(m20261125_000004_create_video_prompts::Migration),
            Box::new(m20261201_000005_page_order_indexes::Migration),
            Box::new(m20261202_000006_user_prompt_order_index::Migration),
        ]
    }
}
