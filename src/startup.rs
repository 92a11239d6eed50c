//! Building the application from its settings, and running it until a shutdown signal.
//!
//! `Application::build` does everything that can fail (binding the port, data dir, database,
//! migrations, master key check) before serving, so a misconfiguration stops the start with a
//! clear message instead of surfacing later. The port comes first: a port in use fails at once
//! and leaves nothing behind. Tests build it with port 0 and read the real port.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    auth::{
        PasswordHasher, SessionCache, SessionEnds, SignInThrottle, session_cache,
        throttle::{Rate, ThrottleLimits},
    },
    cluster::{Cluster, Outbox},
    config::ServeArgs,
    crypto::{MasterKey, Sealer},
    db::{self, StatementCounter},
    events::{self, EventHub},
    gemini::{GeminiClient, GeminiConfig},
    graphql::{
        self, Limits,
        persisted::{Manifest, PersistedDocuments},
    },
    http::{
        self, GraphqlEndpoint,
        client_addr::TrustedProxies,
        multipart::MultipartLimits,
        server::{self, BodyRules, ServerConfig, descriptors},
        ws::WsSettings,
    },
    image_files::{ImageStore, UrlSigner},
    jobs::{
        Jobs, Progress,
        retry::RetryPolicy,
        runner::{self, Handler, RunnerConfig},
    },
    services::{
        Accounts, Collections, Exports, GeminiKeys, Images, Remover, VideoPrompts,
        exports::ExportLinks, generation::GeminiHandler, images::UploadLimits, master_key_check,
        orphaned_bytes, url_signing_key,
    },
    state::{AppState, Handles},
};

pub struct Application {
    listener: TcpListener,
    server: ServerConfig,
    router: axum::Router,
    state: AppState,
    schema: graphql::Executor,
    jobs: Jobs,
    cluster: Option<Cluster>,
    statements: StatementCounter,
    worker: Worker,
    /// Both pools: the workers write through `writes`; shutdown closes both.
    db: db::Connections,
}

/// What the generation workers run with.
struct Worker {
    config: RunnerConfig,
    handler: Arc<dyn Handler>,
}

impl Worker {
    fn build(
        args: &ServeArgs,
        state: &AppState,
        db: &db::Connections,
        instance: uuid::Uuid,
        several_instances: bool,
    ) -> anyhow::Result<Self> {
        let client = GeminiClient::new(GeminiConfig::from_args(&args.gemini))
            .context("could not build the Gemini client")?;
        // Unique per process: a restarted process must not count as the old lease holder.
        let owner = format!("{}-{}", std::process::id(), instance.simple());
        // Several instances read the text so far from the row; one instance keeps it in memory.
        let progress = if several_instances {
            Progress::ThroughRow {
                db: db.writes.clone(),
                owner: owner.clone(),
                events: state.events.clone(),
            }
        } else {
            Progress::InMemory(state.events.clone())
        };
        let handler = GeminiHandler {
            db: db.reads.clone(),
            keys: state.gemini_keys.clone(),
            client,
            store: state.store.clone(),
            progress,
        };
        Ok(Self {
            config: RunnerConfig {
                owner,
                workers: args.jobs.workers,
                lease: args.jobs.lease,
                retry: RetryPolicy::from_args(&args.jobs),
                shutdown_grace: args.jobs.shutdown_grace,
                idle_poll: Duration::from_secs(5),
            },
            handler: Arc::new(handler),
        })
    }
}

impl Application {
    pub async fn build(args: ServeArgs) -> anyhow::Result<Self> {
        // Before anything is created: a port in use must not leave a data dir or key behind.
        let listener = TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("could not listen on {}", args.listen))?;
        let data_dir = &args.database.data_dir;
        let url = db::database_url(args.database.database_url.as_deref(), data_dir);
        let db_connections = db::max_connections(
            args.database.db_max_connections,
            &url,
            crate::config::cpu_cores(),
        );
        let server = server_config(&args, db_connections);
        let persisted = persisted_documents(&args).await?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("could not create the data dir {}", data_dir.display()))?;
        let master_key = MasterKey::load(
            args.keys.master_key.as_ref(),
            data_dir,
            !db::is_postgres(&url),
        )?;
        let mut db = db::connect(&url, db_connections).await?;
        let statements = StatementCounter::install(&mut db);
        db::migrate(&db.writes).await?;
        let sealer = Sealer::new(&master_key);
        master_key_check::verify_or_record(&db.writes, &sealer).await?;
        tracing::info!(database = db::backend_name(&db.writes), url = %db::redact_url(&url), "database ready");
        let images = ImageStore::open(args.uploads.object_store_url.as_deref(), data_dir)?;
        if db::is_postgres(&url) && args.uploads.object_store_url.is_none() {
            tracing::warn!(
                "image bytes are kept in the data dir; several instances need a shared store \
                 (--object-store-url)"
            );
        }
        let signing_key = url_signing_key::load_or_create(
            &db.writes,
            &sealer,
            args.keys.url_signing_key.as_ref(),
        )
        .await?;
        let signer = UrlSigner::new(
            signing_key,
            args.uploads.image_url_ttl,
            args.uploads.public_base_url.as_deref(),
        );
        let export_links = ExportLinks::new(
            signing_key,
            args.uploads.export_url_ttl,
            args.uploads.public_base_url.as_deref(),
        );

        // One id per process, on its notifications and its leases.
        let instance = uuid::Uuid::now_v7();
        // Several instances share a PostgreSQL; what must reach the others goes through the
        // cluster's outbox, which the handles that use it are built with.
        let outbox = (db.writes.get_database_backend() == sea_orm::DatabaseBackend::Postgres)
            .then(|| Outbox::new(instance));
        // Sessions looked up lately: Accounts reads it, SessionEnds forgets the ended ones.
        let session_cache = SessionCache::new(
            args.accounts.session_cache_ttl,
            session_cache::DEFAULT_CAPACITY,
        );
        let sessions = SessionEnds::new(
            outbox.as_ref().map(Outbox::session_relay),
            session_cache.clone(),
        );
        let events = EventHub::new(
            events::DEFAULT_CAPACITY,
            outbox.as_ref().map(Outbox::event_relay),
        );
        let jobs = Jobs::new(outbox.as_ref().map(Outbox::remote_abort));
        let several_instances = outbox.is_some();
        let cluster = outbox.map(|outbox| {
            Cluster::join(
                db.writes.clone(),
                events.clone(),
                jobs.clone(),
                sessions.clone(),
                outbox,
            )
        });

        let gemini_keys = GeminiKeys::new(db.clone(), sealer);
        let remover = Remover::new(db.clone(), images.clone(), jobs.clone(), events.clone());
        let state = AppState::new(Handles {
            accounts: Accounts::new(
                db.clone(),
                PasswordHasher::new(args.accounts.password_hash_concurrency),
                SignInThrottle::new(throttle_limits(&args)),
                sessions.clone(),
                session_cache,
                args.accounts.token_ttl,
            )?,
            collections: Collections::new(db.clone(), remover.clone()),
            images: Images::new(
                db.clone(),
                images.clone(),
                UploadLimits {
                    max_bytes: args.uploads.upload_limit,
                    max_pixels: args.uploads.max_image_pixels,
                },
                concurrent_upload_checks(),
                remover,
            ),
            video_prompts: VideoPrompts::new(
                db.clone(),
                gemini_keys.clone(),
                jobs.clone(),
                events.clone(),
            ),
            exports: Exports::new(db.reads.clone(), export_links),
            gemini_keys,
            store: images,
            signer,
            events,
            sessions,
            db: db.reads.clone(),
        });
        let limits = Limits {
            max_depth: args.graphql.max_query_depth,
            max_complexity: args.graphql.max_query_complexity,
            max_selections: args.graphql.max_query_selections,
            introspection: args.graphql.introspection,
            field_suggestions: args.graphql.field_suggestions,
        };
        let schema = graphql::Executor::new(
            graphql::with_limits(graphql::schema_builder(), limits)
                .data(state.clone())
                .finish(),
            limits.max_selections,
            persisted,
        );
        let endpoint = GraphqlEndpoint {
            state: state.clone(),
            schema: schema.clone(),
            body_limit: args.graphql.body_limit,
            max_batch: args.graphql.max_batch,
            turns: Arc::new(tokio::sync::Semaphore::new(
                args.graphql.max_concurrent_requests,
            )),
            small_turns: Arc::new(tokio::sync::Semaphore::new(
                args.graphql
                    .max_concurrent_requests
                    .saturating_mul(http::graphql::SMALL_TURNS_PER_TURN),
            )),
            uploads: MultipartLimits {
                max_file_size: args.uploads.upload_limit,
                max_files: args.uploads.upload_max_files,
                max_request_size: args.uploads.upload_request_limit,
                max_operations_size: args.graphql.body_limit,
                max_batch: args.graphql.max_batch,
            },
            ws: WsSettings {
                // Never zero (refused when parsed): tokio's interval timer would panic.
                ping_interval: args.ws.ws_ping_interval,
                init_timeout: args.ws.ws_init_timeout,
                max_subscriptions: args.ws.ws_max_subscriptions,
            },
            trusted_proxies: Arc::new(TrustedProxies::new(args.graphql.trusted_proxies.0.clone())),
        };
        let web_app = http::web_app::WebApp::new(&http::web_app::WebAppSettings {
            demo: args.demo,
            upload_limit: args.uploads.upload_limit,
            max_image_pixels: args.uploads.max_image_pixels,
            public_base_url: args.uploads.public_base_url.clone(),
        });
        let router = http::router(state.clone(), endpoint, &args.graphql.cors_origins, web_app);
        let worker = Worker::build(&args, &state, &db, instance, several_instances)?;
        Ok(Self {
            listener,
            server,
            router,
            state,
            schema,
            jobs,
            cluster,
            statements,
            worker,
            db,
        })
    }

    /// The address actually bound (the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("BUG: a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The schema as the endpoints serve it (with its limits, checks and the state): for executing
    /// operations in-process, without HTTP. Each operation needs the per-request data the
    /// HTTP layer adds (`graphql::loaders::Loaders`, the caller's `Session`, an `Origin`).
    pub fn schema(&self) -> &graphql::Executor {
        &self.schema
    }

    /// The handle on this instance's generation workers.
    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// This instance's link to the others on PostgreSQL; `None` on SQLite.
    pub fn cluster(&self) -> Option<&Cluster> {
        self.cluster.as_ref()
    }

    /// SQL statements run so far (tests and the benchmark count a request's statements).
    pub fn statements(&self) -> &StatementCounter {
        &self.statements
    }

    /// The database connections (tests write their rows through `writes`).
    pub fn db(&self) -> &db::Connections {
        &self.db
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.local_addr();
        let stopping = CancellationToken::new();
        // Stopped after the workers, so that the records they hand back are announced.
        let cluster_stop = CancellationToken::new();
        let cluster = self
            .cluster
            .map(|cluster| tokio::spawn(cluster.run(cluster_stop.clone())));
        let workers = tokio::spawn(runner::run(
            self.db.writes.clone(),
            self.worker.config,
            self.jobs,
            self.worker.handler,
            self.state.events.clone(),
            stopping.clone(),
        ));
        let sweeper = tokio::spawn(orphaned_bytes::run(
            self.db.reads.clone(),
            self.state.store.clone(),
            stopping.clone(),
        ));
        // Tests and scripts read the port from "GraphiQL at http://127.0.0.1:PORT/".
        tracing::info!(
            "listening on http://{addr}; the app at http://{addr}/, GraphiQL at http://{addr}/graphiql"
        );
        server::serve(self.listener, self.router, self.server, {
            let stopping = stopping.clone();
            async move {
                shutdown.await;
                // Workers stop claiming at once, while HTTP requests in flight finish.
                stopping.cancel();
            }
        })
        .await;
        stopping.cancel();
        if let Err(err) = workers.await {
            tracing::error!(error = %err, "the generation workers panicked");
        }
        if let Err(err) = sweeper.await {
            tracing::error!(error = %err, "the image store sweeper panicked");
        }
        cluster_stop.cancel();
        if let Some(cluster) = cluster
            && let Err(err) = cluster.await
        {
            tracing::error!(error = %err, "the cluster link panicked");
        }
        self.db.close().await;
        tracing::info!("shut down cleanly");
        Ok(())
    }
}

/// The connection deadlines and cap. Raises the open-files limit first: the default cap is
/// derived from it.
fn server_config(args: &ServeArgs, db_connections: u32) -> ServerConfig {
    let connections = &args.connections;
    let limits = descriptors::raise_to_hard_limit();
    let db = u64::from(db_connections);
    let probes = connections.probe_connections as u64;
    let workers = args.jobs.workers as u64;
    let max_connections = match (connections.max_connections, limits) {
        (Some(cap), limits) => {
            if let Some(limits) = limits
                && descriptors::needed_for(cap, db, probes, workers) > limits.soft
            {
                tracing::warn!(
                    max_connections = cap,
                    open_files_limit = limits.soft,
                    "--max-connections may need more descriptors than the open-files limit \
                     allows; accepting or opening files can fail before the cap is reached"
                );
            }
            cap
        }
        (None, Some(limits)) => descriptors::default_cap(limits.soft, db, probes, workers),
        (None, None) => 1024,
    };
    tracing::info!(
        max_connections,
        probe_connections = connections.probe_connections,
        "connection cap"
    );
    ServerConfig {
        header_timeout: connections.header_timeout,
        keep_alive_timeout: connections.keep_alive_timeout,
        body: BodyRules {
            read_timeout: connections.body_read_timeout,
            min_rate: connections.body_min_rate as u64,
            grace: connections.body_rate_grace,
        },
        max_connections,
        probe_connections: connections.probe_connections,
    }
}

/// The sign-in limits from the command line.
/// How documents are taken: any, or only the trusted ones of `--trusted-documents`.
async fn persisted_documents(args: &ServeArgs) -> anyhow::Result<PersistedDocuments> {
    let Some(path) = &args.graphql.trusted_documents else {
        return Ok(PersistedDocuments::default());
    };
    let json = tokio::fs::read(path)
        .await
        .with_context(|| format!("could not read --trusted-documents {}", path.display()))?;
    let manifest = Manifest::parse(&json)
        .map_err(|err| anyhow::anyhow!("--trusted-documents {}: {err}", path.display()))?;
    tracing::info!(
        documents = manifest.len(),
        free_documents = args.graphql.allow_free_documents,
        "running only the trusted documents of {}",
        path.display()
    );
    Ok(PersistedDocuments::new(
        Some(manifest),
        args.graphql.allow_free_documents,
    ))
}

fn throttle_limits(args: &ServeArgs) -> ThrottleLimits {
    let failures = |limit| Rate {
        limit,
        window: args.accounts.login_failure_window,
    };
    ThrottleLimits {
        failures_per_account: failures(args.accounts.login_failures_per_account),
        failures_per_address: failures(args.accounts.login_failures_per_address),
        registrations_per_address: Rate {
            limit: args.accounts.registrations_per_address,
            window: args.accounts.registration_window,
        },
        capacity: args.accounts.sign_in_throttle_capacity,
    }
}

/// Uploads checked at once: two per core keeps the cores busy while one waits on the store,
/// and bounds the memory held to that many files.
fn concurrent_upload_checks() -> usize {
    crate::config::two_per_core()
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled: call it before the server announces its address, so a signal
/// sent right after the announcement is never met by the default action (an abrupt exit).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            let wait = |stream: std::io::Result<tokio::signal::unix::Signal>| async move {
                match stream {
                    Ok(mut stream) => {
                        stream.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {},
                () = wait(terminate) => {},
            }
            tracing::info!("shutdown signal received; finishing requests in flight");
        }
    }
    #[cfg(not(unix))]
    async {
        tokio::signal::ctrl_c().await.ok();
        tracing::info!("shutdown signal received; finishing requests in flight");
    }
}
