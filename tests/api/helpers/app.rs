//! Starting the real server for a test: a fresh database (a SQLite file, or a new PostgreSQL
//! database), port 0, and a client that speaks GraphQL over real HTTP.

use std::{net::SocketAddr, time::Duration};

use sea_orm::DatabaseConnection;
use serde_json::Value;
use testkit::{Api, TestDatabase};
use tokio::sync::oneshot;
use videoprompt::{
    cluster::Cluster,
    config::{LogFormat, ServeArgs},
    crypto::MasterKey,
    db::{self, StatementCounter},
    jobs::Jobs,
    startup::Application,
    state::AppState,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defaults every test starts from; a test may change any field before `spawn_with`.
pub fn serve_args(data_dir: &std::path::Path) -> ServeArgs {
    use clap::Parser;
    let cli = videoprompt::config::Cli::parse_from(["videoprompt"]);
    let mut args = cli.serve;
    args.listen = "127.0.0.1:0".parse().unwrap();
    args.database.data_dir = data_dir.to_owned();
    args.database.database_url = None;
    args.log_format = LogFormat::Text;
    args
}

/// A running server with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The client `api` sends through, for requests a test builds itself.
    pub client: reqwest::Client,
    pub api: Api,
    /// The app's writing connection (on PostgreSQL its one pool): tests read and write here.
    pub db: DatabaseConnection,
    /// Both of the app's pools, to close them under it.
    pub connections: db::Connections,
    pub state: AppState,
    /// The handle on the app's generation workers.
    pub jobs: Jobs,
    /// Its link to the other instances (PostgreSQL only).
    pub cluster: Option<Cluster>,
    /// SQL statements it ran so far.
    pub statements: StatementCounter,
    /// Kept alive for the app's lifetime: dropping it deletes the data dir.
    data_dir: Option<tempfile::TempDir>,
    pub args: ServeArgs,
    #[allow(dead_code)]
    pub backend: Backend,
    /// The PostgreSQL database this app created (a sibling has none); dropped after the server.
    _postgres_database: Option<TestDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

/// Logs through the test harness's capture: shown for a failing test, silent for the rest.
fn init_test_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

impl TestApp {
    /// Starts a server on a fresh database; `None` when PostgreSQL is not reachable (and the
    /// run does not require it).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        configure: impl FnOnce(&mut ServeArgs),
    ) -> Option<Self> {
        init_test_logging();
        let data_dir = tempfile::tempdir().unwrap();
        let mut args = serve_args(data_dir.path());
        let mut postgres_database = None;
        if backend == Backend::Postgres {
            let database = TestDatabase::create().await?;
            args.database.database_url = Some(database.url().to_owned());
            postgres_database = Some(database);
            args.keys.master_key = Some(MasterKey::generate().to_base64().into());
        }
        args.database.db_max_connections = Some(8);
        configure(&mut args);
        Some(Self::start(args, data_dir, backend, postgres_database).await)
    }

    /// Another instance on this app's PostgreSQL database, with its master key and object
    /// store (set `object_store_url` on the first app for a shared one) but its own data dir
    /// and port: what an operator runs behind a load balancer. The first app owns the database.
    pub async fn spawn_sibling(&self, configure: impl FnOnce(&mut ServeArgs)) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut args = self.args.clone();
        args.listen = "127.0.0.1:0".parse().unwrap();
        args.database.data_dir = data_dir.path().to_owned();
        configure(&mut args);
        Self::start(args, data_dir, self.backend, None).await
    }

    async fn start(
        args: ServeArgs,
        data_dir: tempfile::TempDir,
        backend: Backend,
        postgres_database: Option<TestDatabase>,
    ) -> Self {
        let app = Application::build(args.clone())
            .await
            .expect("the application failed to start");
        let addr = app.local_addr();
        let state = app.state().clone();
        let connections = app.db().clone();
        let (jobs, cluster, statements) = (
            app.jobs().clone(),
            app.cluster().cloned(),
            app.statements().clone(),
        );
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("the server failed");
        });
        let api = Api::with_client(
            testkit::http_client_builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            format!("http://{addr}"),
        );
        Self {
            addr,
            client: api.http().clone(),
            api,
            db: connections.writes.clone(),
            connections,
            jobs,
            cluster,
            statements,
            state,
            data_dir: Some(data_dir),
            args,
            backend,
            _postgres_database: postgres_database,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        self.api.url(path)
    }

    /// See [`Api::gql`]: the whole JSON answer, whatever its status.
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        self.api.gql(query, variables, token).await
    }

    /// Stops the server, waiting for it to finish, and hands over its data dir (which would
    /// otherwise be deleted) so a test can start another server on the same data.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.data_dir
            .take()
            .expect("BUG: the data dir is taken only once")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        // Then the fields: `_postgres_database` drops its database, with (FORCE) since the
        // server's connections may still be closing.
    }
}

impl AsRef<Api> for TestApp {
    fn as_ref(&self) -> &Api {
        &self.api
    }
}

/// Defines a test that runs once on SQLite and once on PostgreSQL:
/// `both_backends! { async fn name(app) { … } }` makes `name::sqlite` and `name::postgres`.
/// `both_backends! { configure: |args| …; async fn … }` starts each app with `configure`
/// applied to its settings.
#[macro_export]
macro_rules! both_backends {
    (configure: $configure:expr; $(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, $configure).await.unwrap();
                    run(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Postgres, $configure).await {
                        run(app).await;
                    }
                }
            }
        )*
    };
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn run($app: $crate::helpers::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await.unwrap();
                    run(app).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                        run(app).await;
                    }
                }
            }
        )*
    };
}

/// Defines tests that run a scenario `async fn name(backend: Backend)` once on each backend:
/// `on_both_backends!(name, …)` makes `name::sqlite` and `name::postgres`. For scenarios that
/// start their servers themselves (child processes, a runner of their own).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            }
        )*
    };
}
