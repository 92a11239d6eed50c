//! Opening the database: the embedded SQLite file under the data dir, or PostgreSQL.
//!
//! SQLite runs in WAL mode (readers never wait for the writer) with a busy timeout, so the
//! worker and request handlers can share one file without "database is locked" errors.

use std::{path::Path, time::Duration};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// The database file's name inside the data dir.
pub const SQLITE_FILE: &str = "videoprompt.db";

/// The URL to connect to: the configured one, or the data dir's SQLite file.
pub fn database_url(configured: Option<&str>, data_dir: &Path) -> String {
    match configured {
        Some(url) => url.to_owned(),
        None => format!("sqlite://{}?mode=rwc", data_dir.join(SQLITE_FILE).display()),
    }
}

/// Whether a URL names PostgreSQL (which needs an explicit master key).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connects with settings suited to the backend.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections.max(1))
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let db = Database::connect(options)
        .await
        .with_context(|| format!("could not connect to the database at {}", redact_url(url)))?;
    Ok(db)
}

/// Counts the SQL statements a connection runs: tests and the benchmark read it to check that a
/// query's statement count stays fixed (DataLoader batching) rather than growing per object.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl StatementCounter {
    /// Hooks a counter into the connection (clones made afterwards share it).
    pub fn install(db: &mut DatabaseConnection) -> Self {
        let counter = Self::default();
        let count = counter.0.clone();
        db.set_metric_callback(move |_| {
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        counter
    }

    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations failed")
}

/// A short name for logs.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "PostgreSQL",
        DbBackend::Sqlite => "SQLite",
        _ => "other",
    }
}

/// The URL without its password, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            if credentials.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/vp"),
            "postgres://app:***@db:5432/vp"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }
}
