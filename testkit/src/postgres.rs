//! A PostgreSQL database of its own for one test (or one benchmark run), created on the
//! server at `VIDEOPROMPT_TEST_POSTGRES_URL` and dropped when the guard is dropped, also when
//! the test panics.

use sea_orm::{ConnectionTrait, Database};

use crate::suites::{announce_skip, require_all_suites};

/// Where the PostgreSQL suite creates its databases.
pub fn postgres_admin_url() -> String {
    std::env::var("VIDEOPROMPT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A uniquely named database; `DROP DATABASE … WITH (FORCE)` when dropped, so connections a
/// server (or a killed child process) left open do not keep it alive.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates the database. `None`, announced once, when PostgreSQL is unreachable; a panic
    /// instead when `VIDEOPROMPT_REQUIRE_ALL_SUITES=1`.
    pub async fn create() -> Option<Self> {
        let admin_url = postgres_admin_url();
        let admin = match Database::connect(&admin_url).await {
            Ok(admin) => admin,
            Err(err) => {
                if require_all_suites() {
                    panic!(
                        "PostgreSQL is required (VIDEOPROMPT_REQUIRE_ALL_SUITES=1) but {admin_url} is unreachable: {err}"
                    );
                }
                announce_skip(
                    "PostgreSQL",
                    &format!(
                        "{admin_url} is unreachable ({err}); set VIDEOPROMPT_TEST_POSTGRES_URL"
                    ),
                );
                return None;
            }
        };
        let name = format!("vp_test_{}", uuid::Uuid::now_v7().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("could not create a test database");
        let _ = admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin_url);
        let url = format!("{base}/{name}");
        Some(Self { name, url })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database's connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        // From a plain thread with a runtime of its own: `drop` cannot await, and it may run
        // inside a test's runtime that is shutting down (or unwinding from a panic).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(postgres_admin_url()).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};

    use super::{TestDatabase, postgres_admin_url};

    async fn exists(name: &str) -> bool {
        let admin = Database::connect(postgres_admin_url()).await.unwrap();
        let rows = admin
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT 1 FROM pg_database WHERE datname = $1",
                [name.into()],
            ))
            .await
            .unwrap();
        let _ = admin.close().await;
        !rows.is_empty()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_database_is_dropped_also_when_its_test_panics_with_a_connection_open() {
        let Some(database) = TestDatabase::create().await else {
            return;
        };
        let name = database.name().to_owned();
        // A connection left open, as a killed server leaves them: only FORCE gets past it.
        let open = Database::connect(database.url()).await.unwrap();
        open.execute_unprepared("CREATE TABLE t (x int)")
            .await
            .unwrap();
        assert!(exists(&name).await);

        let failed = tokio::spawn(async move {
            let _database = database;
            panic!("a failing test");
        })
        .await;

        assert!(failed.unwrap_err().is_panic());
        assert!(!exists(&name).await, "{name} is still there");
    }
}
