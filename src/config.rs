//! The command line: subcommands and every setting, each a flag with an environment variable.
//!
//! Parsing stops here: the rest of the program gets plain typed values (`Duration`, byte counts),
//! never strings to interpret again.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

/// videoprompt: turns images into German video-generation prompts with Google Gemini,
/// over a GraphQL API with live progress.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, propagate_version = true, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Settings for `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

// Parsed once at start-up: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no command is given).
    Serve(Box<ServeArgs>),
    /// Apply the database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the GraphQL schema (SDL) that the server serves.
    Schema,
    /// Run the local Gemini stand-in (not Google's service: a faithful local imitation for tests
    /// and offline demos).
    GeminiStandIn(StandInArgs),
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Folder for the embedded SQLite database, the master key file and the image bytes.
    #[arg(long, env = "VIDEOPROMPT_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database URL (`sqlite://…` or `postgres://…`); overrides the data dir's SQLite file.
    /// PostgreSQL also needs VIDEOPROMPT_MASTER_KEY.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Most database connections this process opens [default: 16 on PostgreSQL; on SQLite two
    /// more than the CPU cores, 4 to 10, one of which takes every write while the others read].
    #[arg(long, env = "VIDEOPROMPT_DB_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..))]
    pub db_max_connections: Option<u32>,
}

/// Settings of the server, in groups (each group's flags keep their names and variables).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "VIDEOPROMPT_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub keys: KeyArgs,

    #[command(flatten)]
    pub gemini: GeminiArgs,

    #[command(flatten)]
    pub jobs: JobArgs,

    #[command(flatten)]
    pub accounts: AccountArgs,

    #[command(flatten)]
    pub graphql: GraphqlArgs,

    #[command(flatten)]
    pub uploads: UploadArgs,

    #[command(flatten)]
    pub ws: WsArgs,

    #[command(flatten)]
    pub connections: ConnectionArgs,

    /// Log format: `text` for people, `json` for log collectors.
    #[arg(long, env = "VIDEOPROMPT_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// Offline demo: runs the local Gemini stand-in inside this process, on a loopback port,
    /// and sends every generation there instead of to Google (overrides `--gemini-base-url`),
    /// so the whole flow works with no key and no internet; the web app shows a banner saying
    /// that the answers are made up locally.
    #[arg(
        long,
        env = "VIDEOPROMPT_DEMO",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub demo: bool,
}

/// The keys the server seals and signs with.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Keys")]
pub struct KeyArgs {
    /// The master key (base64 of 32 bytes) that encrypts stored Gemini keys. Without it, a key
    /// file in the data dir is used (created on first start); PostgreSQL requires it.
    #[arg(long, env = "VIDEOPROMPT_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<SecretString>,

    /// Key that signs image URLs (base64 of at least 32 bytes). Without it, a key is generated
    /// on first start and kept in the database (sealed with the master key), so every instance
    /// on the same database shares it.
    #[arg(long, env = "VIDEOPROMPT_URL_SIGNING_KEY", hide_env_values = true)]
    pub url_signing_key: Option<SecretString>,
}

/// How the server reaches Gemini.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Gemini")]
pub struct GeminiArgs {
    /// Base URL of the Gemini API (point it at `videoprompt gemini-stand-in` for offline use).
    #[arg(
        long,
        env = "VIDEOPROMPT_GEMINI_BASE_URL",
        default_value = "https://generativelanguage.googleapis.com",
        value_parser = parse_http_url
    )]
    pub gemini_base_url: String,

    /// Gemini API version path segment.
    #[arg(long, env = "VIDEOPROMPT_GEMINI_API_VERSION", default_value = "v1beta")]
    pub gemini_api_version: String,

    /// Gemini model that writes the prompts.
    #[arg(
        long,
        env = "VIDEOPROMPT_GEMINI_MODEL",
        default_value = "gemini-3.8-flash"
    )]
    pub gemini_model: String,

    /// Images up to this size go to Gemini inline, in one request; larger ones through the
    /// Files API (upload, wait until processed, generate, delete). Gemini takes requests up to
    /// 100 MB, and base64 grows the bytes by a third.
    #[arg(long, env = "VIDEOPROMPT_GEMINI_INLINE_LIMIT", default_value = "20MiB", value_parser = parse_byte_size)]
    pub gemini_inline_limit: usize,

    /// Longest wait for one Gemini request, its whole (streamed) answer included.
    #[arg(long, env = "VIDEOPROMPT_GEMINI_TIMEOUT", default_value = "120s", value_parser = parse_positive_duration)]
    pub gemini_timeout: Duration,

    /// Longest wait for an image uploaded through the Files API to be processed (ACTIVE) before
    /// the generation fails with GEMINI_FILE_PROCESSING.
    #[arg(long, env = "VIDEOPROMPT_GEMINI_FILE_WAIT", default_value = "60s", value_parser = parse_duration)]
    pub gemini_file_wait: Duration,
}

/// The generation workers and their retries.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Generation jobs")]
pub struct JobArgs {
    /// Generations in flight per instance (they wait on the network, not on the CPU).
    #[arg(long, env = "VIDEOPROMPT_WORKERS", default_value_t = 16)]
    pub workers: usize,

    /// How long a worker's claim on a generation lasts without renewal; a record whose worker
    /// died is taken up again after this.
    #[arg(long, env = "VIDEOPROMPT_LEASE", default_value = "30s", value_parser = parse_positive_duration)]
    pub lease: Duration,

    /// Tries per generation for temporary failures (429, 5xx, timeouts), the first included.
    #[arg(long, env = "VIDEOPROMPT_MAX_ATTEMPTS", value_parser = clap::value_parser!(u32).range(1..), default_value_t = 4)]
    pub max_attempts: u32,

    /// Wait before the first retry; it doubles with each further one (with jitter, and never
    /// shorter than the delay Gemini asks for).
    #[arg(long, env = "VIDEOPROMPT_RETRY_BASE_DELAY", default_value = "500ms", value_parser = parse_duration)]
    pub retry_base_delay: Duration,

    /// On shutdown, how long generations in flight may finish before they are handed back to
    /// the queue for another instance or the next start.
    #[arg(long, env = "VIDEOPROMPT_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

/// Sessions, password hashing and the sign-in throttle.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Accounts and sign-in")]
pub struct AccountArgs {
    /// How long a sign-in token stays valid (e.g. `30d`, `12h`).
    #[arg(long, env = "VIDEOPROMPT_TOKEN_TTL", default_value = "30d", value_parser = parse_positive_duration)]
    pub token_ttl: Duration,

    /// How long a token's session, once looked up, is answered from memory without SQL
    /// (`0` turns the cache off). Logouts reach the cache at once, on every instance; a
    /// session deleted by hand in SQL keeps working for up to this long.
    #[arg(long, env = "VIDEOPROMPT_SESSION_CACHE_TTL", default_value = "10s", value_parser = parse_duration)]
    pub session_cache_ttl: Duration,

    /// Password hashes computed at once (each takes 19 MiB and one core for ~50 ms).
    #[arg(
        long,
        env = "VIDEOPROMPT_PASSWORD_HASH_CONCURRENCY",
        value_parser = at_least_one, default_value_t = 2
    )]
    pub password_hash_concurrency: usize,

    /// Failed logins allowed for one e-mail from one client address per
    /// --login-failure-window (a burst of this many, then one more each window / this).
    #[arg(
        long,
        env = "VIDEOPROMPT_LOGIN_FAILURES_PER_ACCOUNT",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub login_failures_per_account: u32,

    /// Failed logins allowed from one client address per --login-failure-window, whatever the
    /// e-mails (IPv6 addresses count by their /64).
    #[arg(
        long,
        env = "VIDEOPROMPT_LOGIN_FAILURES_PER_ADDRESS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub login_failures_per_address: u32,

    /// The window of the two login failure limits (e.g. `15m`).
    #[arg(long, env = "VIDEOPROMPT_LOGIN_FAILURE_WINDOW", default_value = "15m", value_parser = parse_positive_duration)]
    pub login_failure_window: Duration,

    /// Registrations allowed from one client address per --registration-window.
    #[arg(
        long,
        env = "VIDEOPROMPT_REGISTRATIONS_PER_ADDRESS",
        default_value_t = 20,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub registrations_per_address: u32,

    /// The window of the registration limit (e.g. `1h`).
    #[arg(long, env = "VIDEOPROMPT_REGISTRATION_WINDOW", default_value = "1h", value_parser = parse_positive_duration)]
    pub registration_window: Duration,

    /// Most clients each sign-in limit remembers (about 100 bytes each); beyond that the least
    /// recently seen is forgotten, so hostile e-mails and addresses cannot exhaust memory.
    #[arg(
        long,
        env = "VIDEOPROMPT_SIGN_IN_THROTTLE_CAPACITY",
        value_parser = at_least_one, default_value_t = 100_000
    )]
    pub sign_in_throttle_capacity: usize,
}

/// Limits of GraphQL requests, and who counts as a trusted proxy.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "GraphQL requests")]
pub struct GraphqlArgs {
    /// Proxies whose `X-Forwarded-For` is believed, as IPs or CIDRs separated by commas (e.g.
    /// `10.0.0.0/8,127.0.0.1`). The client is the right-most forwarded address that is not one
    /// of them. Empty (the default): the client is the socket's peer, and the header is ignored.
    #[arg(
        long,
        env = "VIDEOPROMPT_TRUSTED_PROXIES",
        default_value = "",
        value_parser = parse_ip_nets
    )]
    pub trusted_proxies: IpNets,

    /// Origins of web apps served from elsewhere that may call the API from a browser (CORS),
    /// each exactly as the browser sends it: `https://app.example.de`, `http://localhost:5173`.
    /// Repeat the flag or separate them by commas. None (the default): only pages served by
    /// this server itself can read its answers.
    #[arg(
        long = "cors-origin",
        env = "VIDEOPROMPT_CORS_ORIGINS",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub cors_origins: Vec<String>,

    /// Largest JSON request body (e.g. `1MiB`).
    #[arg(long, env = "VIDEOPROMPT_BODY_LIMIT", default_value = "1MiB", value_parser = parse_byte_size)]
    pub body_limit: usize,

    /// Most operations in one batched request (1 turns batching off).
    #[arg(long, env = "VIDEOPROMPT_MAX_BATCH", value_parser = at_least_one, default_value_t = 10)]
    pub max_batch: usize,

    /// Most large HTTP GraphQL requests executed at once; more wait their turn [default: two per
    /// CPU core]. A request is large when its answer can have 1,000 fields or more (pages count
    /// `first` times what they select): the app's largest screen, 20 × 20 × 5 prompts, holds
    /// about 4 MB while it runs, so this bounds memory. Small requests have eight turns for
    /// each of these, so they never wait behind large ones.
    #[arg(long, env = "VIDEOPROMPT_MAX_CONCURRENT_REQUESTS", value_parser = at_least_one, default_value_t = two_per_core(), hide_default_value = true)]
    pub max_concurrent_requests: usize,

    /// Deepest nesting of fields a query may have (GraphiQL's introspection query needs 13).
    #[arg(long, env = "VIDEOPROMPT_MAX_QUERY_DEPTH", value_parser = at_least_one, default_value_t = 16)]
    pub max_query_depth: usize,

    /// Highest complexity a query may have (a connection field counts `first` times its children).
    /// The app's largest screen, 20 collections × 20 images × 5 prompts with their details,
    /// costs 22,082; 100 × 100 × 100 of anything costs over a million.
    #[arg(long, env = "VIDEOPROMPT_MAX_QUERY_COMPLEXITY", value_parser = at_least_one, default_value_t = 25_000)]
    pub max_query_complexity: usize,

    /// Most selections a document may hold with its fragments expanded: every field, fragment
    /// spread, inline fragment, argument and directive, a fragment counted once for each place
    /// it is spread. Measured before validation, in time linear in the document, so fragments
    /// that spread each other cannot multiply the work (GraphiQL's introspection query counts
    /// 237).
    #[arg(long, env = "VIDEOPROMPT_MAX_QUERY_SELECTIONS", value_parser = at_least_one, default_value_t = 5000)]
    pub max_query_selections: usize,

    /// Answer introspection queries (GraphiQL needs them). `false` also turns off the field
    /// suggestions, which would otherwise reveal field names.
    #[arg(long, env = "VIDEOPROMPT_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Suggest field names in validation errors ("Did you mean …?"); always off when
    /// `--introspection false`.
    #[arg(long, env = "VIDEOPROMPT_FIELD_SUGGESTIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub field_suggestions: bool,

    /// Run only the documents of this manifest (trusted documents): a JSON object of document
    /// id → text, as graphql-codegen's client preset (`persisted-documents.json`) and Relay
    /// write it, or Apollo's persisted-query manifest. Clients name a document by its id
    /// (`documentId`, or `extensions.persistedQuery.sha256Hash`) or send its exact text; any
    /// other is refused (PERSISTED_QUERY_NOT_IN_LIST). Without it, any document runs.
    #[arg(long, env = "VIDEOPROMPT_TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,

    /// With `--trusted-documents`: let documents outside the manifest run too (GraphiQL's, a
    /// developer's), while the app's still go by id.
    #[arg(long, env = "VIDEOPROMPT_ALLOW_FREE_DOCUMENTS", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub allow_free_documents: bool,
}

/// Uploaded images: their limits, where their bytes live and how their URLs are signed.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Uploads and images")]
pub struct UploadArgs {
    /// Largest image file an upload may carry (e.g. `20MiB`).
    #[arg(long, env = "VIDEOPROMPT_UPLOAD_LIMIT", default_value = "20MiB", value_parser = parse_byte_size)]
    pub upload_limit: usize,

    /// Most files one multipart request may carry (the entries of its `map`).
    #[arg(long, env = "VIDEOPROMPT_UPLOAD_MAX_FILES", value_parser = at_least_one, default_value_t = 4)]
    pub upload_max_files: usize,

    /// Largest multipart request as a whole: all its files plus the operations (e.g. `64MiB`).
    #[arg(long, env = "VIDEOPROMPT_UPLOAD_REQUEST_LIMIT", default_value = "64MiB", value_parser = parse_byte_size)]
    pub upload_request_limit: usize,

    /// Most pixels (width × height) an uploaded image may have; larger ones are refused from
    /// their header alone, before anything decodes them (decompression bombs).
    #[arg(
        long,
        env = "VIDEOPROMPT_MAX_IMAGE_PIXELS",
        default_value_t = 100_000_000
    )]
    pub max_image_pixels: u64,

    /// Where image bytes are stored: `s3://bucket/prefix`, `gs://bucket/prefix`,
    /// `az://container/prefix` (credentials from the usual AWS_*, GOOGLE_*, AZURE_* variables),
    /// `file:///path`, or `memory://` (tests only). Default: the data dir's `images` folder.
    /// Several instances must share one store.
    #[arg(long, env = "VIDEOPROMPT_OBJECT_STORE_URL")]
    pub object_store_url: Option<String>,

    /// How long an image URL stays valid (e.g. `1h`, `15m`).
    #[arg(long, env = "VIDEOPROMPT_IMAGE_URL_TTL", default_value = "1h", value_parser = parse_positive_duration)]
    pub image_url_ttl: Duration,

    /// How long an export link (`exportUrl`) stays valid (e.g. `10m`).
    #[arg(long, env = "VIDEOPROMPT_EXPORT_URL_TTL", default_value = "10m", value_parser = parse_positive_duration)]
    pub export_url_ttl: Duration,

    /// Public base URL of the server (e.g. `https://videoprompt.example`): makes `Image.url`
    /// and export links absolute. Without it they are relative (`/images/…`, `/exports/…`).
    #[arg(long, env = "VIDEOPROMPT_PUBLIC_BASE_URL", value_parser = parse_http_url)]
    pub public_base_url: Option<String>,
}

/// WebSocket connections.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "WebSocket")]
pub struct WsArgs {
    /// How often the server pings each WebSocket connection (keeps proxies from closing idle
    /// connections, and is when a connection's sign-in token is checked again).
    #[arg(long, env = "VIDEOPROMPT_WS_PING_INTERVAL", default_value = "15s", value_parser = parse_positive_duration)]
    pub ws_ping_interval: Duration,

    /// How long a new WebSocket connection may take to send `connection_init` before it is
    /// closed (4408).
    #[arg(long, env = "VIDEOPROMPT_WS_INIT_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub ws_init_timeout: Duration,

    /// Most subscriptions one WebSocket connection may run at once.
    #[arg(long, env = "VIDEOPROMPT_WS_MAX_SUBSCRIPTIONS", value_parser = at_least_one, default_value_t = 100)]
    pub ws_max_subscriptions: usize,
}

/// A group's values as an empty command line gives them: the flags' defaults (and what the
/// environment sets, as for `serve`). How the Gemini client's and the job retries' own
/// defaults come from the one place the defaults are written, the flags.
fn group_defaults<T: clap::Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("videoprompt"));
    let matches = command
        .try_get_matches_from(["videoprompt"])
        .unwrap_or_else(|err| panic!("a setting from the environment is invalid: {err}"));
    T::from_arg_matches(&matches).unwrap_or_else(|err| panic!("BUG: {err}"))
}

impl Default for GeminiArgs {
    fn default() -> Self {
        group_defaults()
    }
}

impl Default for JobArgs {
    fn default() -> Self {
        group_defaults()
    }
}

/// Deadlines and limits of client connections (see `http::server`): no socket may hold a
/// descriptor without making progress, and the probes answer while the cap is reached.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Longest time a client may take to send a request's headers, counted from the connection
    /// (or, on a kept-alive connection, from the request's first byte). Also how long a new
    /// connection may stay silent.
    #[arg(long, env = "VIDEOPROMPT_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub header_timeout: Duration,

    /// How long a kept-alive connection (HTTP/1.1 or HTTP/2) may stay idle between requests
    /// before the server closes it.
    #[arg(long, env = "VIDEOPROMPT_KEEP_ALIVE_TIMEOUT", default_value = "60s", value_parser = parse_positive_duration)]
    pub keep_alive_timeout: Duration,

    /// Longest wait for the next bytes of a request body (uploads included) before the request
    /// is cut off.
    #[arg(long, env = "VIDEOPROMPT_BODY_READ_TIMEOUT", default_value = "30s", value_parser = parse_positive_duration)]
    pub body_read_timeout: Duration,

    /// Slowest average rate, per second, at which a request body must arrive once the grace
    /// period has passed (time the server itself spends is not counted). 0 turns it off.
    #[arg(long, env = "VIDEOPROMPT_BODY_MIN_RATE", default_value = "1KiB", value_parser = parse_byte_size)]
    pub body_min_rate: usize,

    /// How long a request body may arrive slower than the minimum rate (a slow start).
    #[arg(long, env = "VIDEOPROMPT_BODY_RATE_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub body_rate_grace: Duration,

    /// Most client connections open at once, upgraded WebSockets included. Default: half the
    /// file descriptors left after the database pool, the workers and a fixed reserve (at most
    /// 16384), from the soft limit after it is raised to the hard limit.
    #[arg(long, env = "VIDEOPROMPT_MAX_CONNECTIONS", value_parser = at_least_one)]
    pub max_connections: Option<usize>,

    /// Extra connections, over the cap, that serve only `/healthz` and `/readyz` (anything else
    /// gets 503 + Retry-After); when they are all taken, the oldest is closed.
    #[arg(long, env = "VIDEOPROMPT_PROBE_CONNECTIONS", default_value_t = 16)]
    pub probe_connections: usize,
}

/// Settings of the Gemini stand-in.
#[derive(Debug, Clone, Args)]
pub struct StandInArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "VIDEOPROMPT_STAND_IN_LISTEN",
        default_value = "127.0.0.1:8090"
    )]
    pub listen: SocketAddr,

    /// Delay added before every answer, in milliseconds (to see loading states in the app).
    #[arg(long, env = "VIDEOPROMPT_STAND_IN_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// How long an uploaded file stays PROCESSING before it turns ACTIVE, in milliseconds.
    #[arg(
        long,
        env = "VIDEOPROMPT_STAND_IN_FILE_ACTIVE_DELAY_MS",
        default_value_t = 300
    )]
    pub file_active_delay_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Checks that `text` is an absolute `http://` or `https://` URL with a host, so that a typo
/// stops the start instead of failing every request made with it later.
pub fn parse_http_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let url = url::Url::parse(text)
        .map_err(|err| format!("`{text}` is not a URL ({err}); write it like https://host"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(format!(
            "`{text}` is not an http:// or https:// URL with a host"
        ));
    }
    Ok(text.to_owned())
}

/// Two per CPU core: enough requests in flight to keep every core busy while some wait on the
/// database (on two cores, 4 answered the app's largest read as fast as 8, with 4 to 6 MiB less
/// peak memory).
pub fn two_per_core() -> usize {
    cpu_cores() * 2
}

/// The CPU cores this process may use (2 when the system does not say), which the defaults
/// sized to the machine start from.
pub fn cpu_cores() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get())
}

/// A count that must be at least one (zero would switch the thing off or make it useless, and
/// is refused rather than quietly raised).
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a whole number of at least 1")),
    }
}

/// A duration that must be longer than zero (a zero lease, ping interval or timeout is never
/// what was meant).
pub fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text)?;
    if duration.is_zero() {
        return Err("must be longer than zero, e.g. 30s".into());
    }
    Ok(duration)
}

/// Parses a duration the `humantime` way (`500ms`, `30s`, `10m`, `12h`, `30d`, `1h 30m`); a bare
/// number means seconds, as it always has.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds)
            .map_err(|_| format!("`{text}` is out of range"));
    }
    humantime::parse_duration(text).map_err(|err| {
        format!("`{text}` is not a duration like 500ms, 30s, 10m, 12h or 30d ({err})")
    })
}

/// A list of networks, as `--trusted-proxies` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpNets(pub Vec<ipnet::IpNet>);

/// Parses networks separated by commas; empty entries are skipped, so an empty variable (as
/// container configs often set) means none.
pub fn parse_ip_nets(text: &str) -> Result<IpNets, String> {
    text.split(',')
        .filter(|entry| !entry.trim().is_empty())
        .map(parse_ip_net)
        .collect::<Result<_, _>>()
        .map(IpNets)
}

/// Parses `10.0.0.0/8`, `2001:db8::/32`, or a single address (`127.0.0.1`, `::1`).
pub fn parse_ip_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{text}` is not an IP address or a CIDR like 10.0.0.0/8"))
}

/// Parses a web origin for `--cors-origin`: `scheme://host[:port]` with nothing after it, as a
/// browser writes it in `Origin` (lower-case host, no default port). `*` is refused: the
/// allow-list is of exact origins.
pub fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let refuse = |why: &str| {
        format!(
            "`{text}` is not an origin ({why}); write it like https://app.example.de or http://localhost:5173"
        )
    };
    if text == "*" {
        return Err(refuse("only exact origins are allowed, not `*`"));
    }
    let url = url::Url::parse(text).map_err(|_| refuse("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse("the scheme must be http or https"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse("no user name or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() || text.ends_with('/')
    {
        return Err(refuse("no path, query or trailing slash"));
    }
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Ok(origin.ascii_serialization()),
        url::Origin::Opaque(_) => Err(refuse("it has no host")),
    }
}

/// Parses `20MiB`, `512K`, `1GB` or a bare number of bytes; every unit is binary (1K = 1024).
pub fn parse_byte_size(text: &str) -> Result<usize, String> {
    const ACCEPTED: &str = "a number of bytes, or with B, K, KB, KiB, M, MB, MiB, G, GB or GiB \
                            (all binary: 1K = 1KB = 1KiB = 1024 bytes)";
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write {ACCEPTED}"))?;
    // One reading for every spelling: `20m` and `20mb` meaning different sizes was a trap.
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit `{other}`: write {ACCEPTED}")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("30 parsecs").is_err());
    }

    #[test]
    fn proxies_parse_as_addresses_or_networks() {
        assert_eq!(
            parse_ip_net("127.0.0.1").unwrap().to_string(),
            "127.0.0.1/32"
        );
        assert_eq!(
            parse_ip_net(" 10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(parse_ip_net("::1").unwrap().to_string(), "::1/128");
        assert!(parse_ip_net("proxy.local").is_err());
        assert!(parse_ip_net("10.0.0.0/33").is_err());
        assert_eq!(parse_ip_nets(""), Ok(IpNets::default()));
        let list = parse_ip_nets("10.0.0.0/8, ::1,").unwrap();
        assert_eq!(list.0.len(), 2);
        assert!(parse_ip_nets("10.0.0.1,nope").is_err());
    }

    #[test]
    fn cors_origins_are_exact_origins_as_browsers_write_them() {
        assert_eq!(
            parse_origin("https://app.example.de").unwrap(),
            "https://app.example.de"
        );
        assert_eq!(
            parse_origin(" http://localhost:5173").unwrap(),
            "http://localhost:5173"
        );
        assert_eq!(
            parse_origin("https://APP.Example.de:443").unwrap(),
            "https://app.example.de"
        );
        assert_eq!(
            parse_origin("http://[::1]:8000").unwrap(),
            "http://[::1]:8000"
        );
        for bad in [
            "*",
            "",
            "app.example.de",
            "ftp://a.de",
            "https://a.de/",
            "https://a.de/app",
            "https://a.de?x=1",
            "https://user:pw@a.de",
            "null",
        ] {
            let err = parse_origin(bad).unwrap_err();
            assert!(err.contains("is not an origin"), "{bad}: {err}");
        }
    }

    #[test]
    fn byte_sizes_parse_with_units() {
        assert_eq!(parse_byte_size("20MiB"), Ok(20 << 20));
        assert_eq!(parse_byte_size("1024"), Ok(1024));
        assert!(parse_byte_size("big").is_err());
    }

    #[test]
    fn every_spelling_of_a_size_unit_is_binary() {
        for (text, bytes) in [
            ("20m", 20 << 20),
            ("20mb", 20 << 20),
            ("20MiB", 20 << 20),
            ("1KB", 1024),
            ("2g", 2 << 30),
        ] {
            assert_eq!(parse_byte_size(text), Ok(bytes), "{text}");
        }
        let err = parse_byte_size("20 megs").unwrap_err();
        assert!(err.contains("KiB") && err.contains("1024"), "{err}");
        use clap::Parser;
        let cli = Cli::try_parse_from(["videoprompt", "--upload-limit", "20MB"]).unwrap();
        assert_eq!(cli.serve.uploads.upload_limit, 20 << 20);
    }

    #[test]
    fn service_urls_must_be_http_urls_with_a_host() {
        assert!(parse_http_url("http://127.0.0.1:8090").is_ok());
        assert!(parse_http_url("https://generativelanguage.googleapis.com/").is_ok());
        for bad in [
            "not a url",
            "127.0.0.1:8090",
            "ftp://host",
            "file:///tmp",
            "http://",
        ] {
            assert!(parse_http_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn out_of_range_values_are_refused_naming_the_flag() {
        use clap::Parser;
        for (flag, value) in [
            ("--max-attempts", "0"),
            ("--lease", "0s"),
            ("--workers", "-1"),
            ("--ws-ping-interval", "0ms"),
            ("--max-batch", "0"),
            ("--upload-max-files", "0"),
            ("--db-max-connections", "0"),
            ("--password-hash-concurrency", "0"),
            ("--header-timeout", "0s"),
            ("--max-connections", "0"),
        ] {
            let err = Cli::try_parse_from(["videoprompt", "serve", &format!("{flag}={value}")])
                .expect_err(&format!("{flag} {value} was accepted"))
                .to_string();
            assert!(err.contains(flag), "{flag} {value}: {err}");
        }
        // Zero workers stays allowed: an instance that serves requests but runs no generations.
        assert!(Cli::try_parse_from(["videoprompt", "serve", "--workers", "0"]).is_ok());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

#[cfg(test)]
mod every_setting {
    use clap::CommandFactory;

    use super::Cli;

    /// Operators configure containers through the environment: no flag may lack a variable,
    /// and none may lack its `--help` text.
    #[test]
    fn has_an_environment_variable_and_help() {
        let cli = Cli::command();
        let commands = std::iter::once(&cli).chain(cli.get_subcommands());
        for command in commands {
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" || arg.is_positional() {
                    continue;
                }
                assert!(
                    arg.get_env().is_some(),
                    "{} --{id} has no environment variable",
                    command.get_name()
                );
                assert!(
                    arg.get_help().is_some(),
                    "{} --{id} has no help text",
                    command.get_name()
                );
            }
        }
    }

    /// Read from the definition, so a variable set on the machine running the tests cannot
    /// change the answer.
    #[test]
    fn the_defaults_are_the_embedded_ones() {
        let cli = Cli::command();
        let default = |id: &str| {
            let arg = cli
                .get_arguments()
                .find(|arg| arg.get_id() == id)
                .unwrap_or_else(|| panic!("no --{id}"));
            arg.get_default_values()[0].to_string_lossy().into_owned()
        };
        assert_eq!(default("listen"), "127.0.0.1:8000");
        assert_eq!(default("data_dir"), "./data");
        assert!(!cli.is_subcommand_required_set());
    }
}

#[cfg(test)]
mod readme {
    use clap::CommandFactory;

    use super::Cli;

    /// The README's configuration table is what operators read: it must not fall behind.
    #[test]
    fn documents_every_environment_variable() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md is missing");
        let cli = Cli::command();
        for command in std::iter::once(&cli).chain(cli.get_subcommands()) {
            for arg in command.get_arguments() {
                if let Some(env) = arg.get_env() {
                    let env = env.to_string_lossy();
                    assert!(
                        readme.contains(&format!("`{env}`")),
                        "README.md does not document `{env}`"
                    );
                }
            }
        }
    }
}
