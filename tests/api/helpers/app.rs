//! Starting the real server for a test: a fresh database (a SQLite file, or a new PostgreSQL
//! database), port 0, and a client that speaks GraphQL over real HTTP.

use std::{
    io::Write,
    net::SocketAddr,
    sync::{Once, OnceLock},
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use videoprompt::{
    config::{LogFormat, ServeArgs},
    crypto::MasterKey,
    startup::Application,
    state::AppState,
};

/// Where the PostgreSQL suite creates its databases.
pub fn postgres_admin_url() -> String {
    std::env::var("VIDEOPROMPT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Set by CI: a suite that cannot run fails instead of being skipped.
pub fn require_all_suites() -> bool {
    std::env::var("VIDEOPROMPT_REQUIRE_ALL_SUITES").is_ok_and(|v| v == "1")
}

/// Tells the person running the tests, once per suite, that it was skipped. Written straight to
/// stderr: the test harness captures `eprintln!` of passing tests, and a skip must be seen.
pub fn announce_skip(suite: &str, reason: &str) {
    static ANNOUNCED: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let announced = ANNOUNCED.get_or_init(Default::default);
    let mut announced = announced.lock().unwrap();
    if announced.iter().any(|s| s == suite) {
        return;
    }
    announced.push(suite.to_owned());
    let _ = writeln!(
        std::io::stderr(),
        "\nSKIPPED: the {suite} suite did not run: {reason}\n"
    );
}

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
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub state: AppState,
    /// Kept alive for the app's lifetime: dropping it deletes the data dir.
    data_dir: Option<tempfile::TempDir>,
    pub args: ServeArgs,
    #[allow(dead_code)]
    pub backend: Backend,
    postgres_database: Option<String>,
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

/// A client for tests that talk to a server they did not spawn with `TestApp`.
pub fn http_client() -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::new()
}

fn install_tls_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
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
        install_tls_provider();
        init_test_logging();
        let data_dir = tempfile::tempdir().unwrap();
        let mut args = serve_args(data_dir.path());
        let mut postgres_database = None;
        if backend == Backend::Postgres {
            let (name, url) = create_postgres_database().await?;
            postgres_database = Some(name);
            args.database.database_url = Some(url);
            args.master_key = Some(MasterKey::generate().to_base64().into());
        }
        args.database.db_max_connections = 8;
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
        postgres_database: Option<String>,
    ) -> Self {
        let app = Application::build(args.clone())
            .await
            .expect("the application failed to start");
        let addr = app.local_addr();
        let state = app.state().clone();
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("the server failed");
        });
        Self {
            addr,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            db: state.db.clone(),
            state,
            data_dir: Some(data_dir),
            args,
            backend,
            postgres_database,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a GraphQL operation and returns the JSON response (any status).
    pub async fn gql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the request failed");
        response.json().await.expect("the response is not JSON")
    }

    /// Registers a user and returns (token, user id).
    pub async fn register(&self, email: &str) -> (String, String) {
        let body = self
            .gql(
                "mutation($input: CredentialsInput!) { register(input: $input) { token user { id } } }",
                json!({ "input": { "email": email, "password": PASSWORD } }),
                None,
            )
            .await;
        let payload = &body["data"]["register"];
        assert!(payload.is_object(), "register failed: {body}");
        (
            payload["token"].as_str().unwrap().to_owned(),
            payload["user"]["id"].as_str().unwrap().to_owned(),
        )
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
        if let Some(name) = self.postgres_database.take() {
            // Dropped from a plain thread: Drop cannot await, and the test's runtime is ending.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
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
}

/// A password that satisfies the rules.
pub const PASSWORD: &str = "correct horse battery staple";

/// Creates a uniquely named database; returns its name and URL.
pub async fn create_postgres_database() -> Option<(String, String)> {
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
                &format!("{admin_url} is unreachable ({err}); set VIDEOPROMPT_TEST_POSTGRES_URL"),
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
    Some((name.clone(), format!("{base}/{name}")))
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
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
