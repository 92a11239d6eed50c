//! Opening the database: the embedded SQLite file under the data dir, or PostgreSQL.
//!
//! SQLite runs in WAL mode (readers never wait for the writer): one connection writes and the
//! others only read ([`Connections`]), and a busy handler waits for another process's writes,
//! so the workers, the request handlers and a CLI command share one file without "database is
//! locked" errors.
//!
//! PostgreSQL on this machine (a loopback address or a Unix socket) is reached in plain TCP
//! unless the URL (or `PGSSLMODE`) says otherwise: TLS there protects nothing, and it cost
//! 6 % of the server's CPU on large reads. Anywhere else sqlx's default holds (`prefer`:
//! TLS when the server offers it); README "TLS to PostgreSQL" says when to ask for more.

use std::{path::Path, time::Duration};

use anyhow::{Context, bail};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, RuntimeErr,
    sqlx::{
        postgres::PgSslMode,
        sqlite::{SqliteJournalMode, SqliteSynchronous},
    },
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

/// How many connections to open when `--db-max-connections` does not say: 16 on PostgreSQL;
/// on SQLite one that writes and one more reader than the CPU cores (`cores`; 4 to 10 in all).
///
/// SQLite does its work on each connection's own thread, so readers well beyond the cores add
/// memory, not throughput: under the app's largest read on two cores, 2 connections answered
/// as many requests as 4. Small reads want one more than the cores, though: each statement is
/// handed to a connection's thread and its rows handed back, and while one connection's rows
/// travel back to their request (and it waits for the next statement), the extra one has a
/// statement to run. A page of 5 prompts at 16 clients on two cores, two runs each with
/// jemalloc's own arenas (2026-12-07): 2 connections about 8,700 requests a second, 3 about
/// 9,700, 4 about 11,500. Each connection also maps the database file (`SQLITE_MMAP_BYTES`):
/// the pages it reads count in the resident set once per connection, although the system keeps
/// them once, so the largest read's peak RSS grows by about the file's size per reader (56 MiB
/// at 3 on the benchmark's 3.6 MB file, 61–62 at 4). The writer reads little (the rows its
/// writes touch), so it adds its thread and a few pages; see [`Connections`] for why it is one.
pub fn max_connections(configured: Option<u32>, url: &str, cores: usize) -> u32 {
    configured.unwrap_or_else(|| match is_postgres(url) {
        true => 16,
        false => u32::try_from(cores)
            .unwrap_or(u32::MAX)
            .saturating_add(2)
            .clamp(4, 10),
    })
}

/// The database as the rest of the server reaches it: `reads` for statements that only read,
/// `writes` for whatever changes rows (and for reads inside a transaction that does).
///
/// On PostgreSQL both are the same pool. On SQLite `writes` is one connection and `reads` the
/// others, opened with `query_only`, so a write sent to `reads` fails at once (every test runs
/// on SQLite first and would show it). SQLite lets one connection write at a time: with every
/// connection a writer, a write that found the lock taken napped in SQLite's busy handler and
/// looked again, and when every request wrote (the subscription benchmark's 20,000
/// `generateVideoPrompt`s) the connection that had just written often took the lock again
/// before the napping one woke, so the wait's tail grew with each connection added. With one
/// writer the writes queue in the process, first come first served, and never nap; reads
/// never wait behind them (WAL). Its rows are the ones reads see next: each read starts after
/// the writes it follows have committed. Given one connection in all (`--db-max-connections
/// 1`), SQLite reads and writes through it.
#[derive(Clone)]
pub struct Connections {
    pub reads: DatabaseConnection,
    pub writes: DatabaseConnection,
}

impl Connections {
    /// Closes both pools (on PostgreSQL, the one); statements afterwards fail.
    pub async fn close(&self) {
        self.reads.clone().close().await.ok();
        self.writes.clone().close().await.ok();
    }
}

/// How much of the SQLite file each connection reads through a memory map instead of
/// `read` calls. Reads then take pages straight from the operating system's cache, with no
/// system call and no copy into SQLite's own cache per page (the app's largest read: 11.6
/// instead of 14.9 ms of CPU per request); the mapped pages are the system's file cache,
/// shared and reclaimable, counted in the resident set only while mapped. Writes still go
/// through SQLite's page cache and the WAL.
const SQLITE_MMAP_BYTES: u64 = 256 * 1024 * 1024;

/// How many rows a SQLite connection's thread may hand over before it waits for the request
/// to take them (sqlx's default is 50). The app's largest read has 2,400 rows in one
/// statement; with room for 50 the connection thread and the request's task woke each other
/// for nearly every row (a quarter of that read's CPU went to waking threads). The rows are
/// held by the request either way.
const SQLITE_ROWS_BUFFERED: usize = 4096;

/// Whether a URL names PostgreSQL (which needs an explicit master key).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Connects with settings suited to the backend: at most `max_connections` in all, split as
/// [`Connections`] says.
///
/// No error from here repeats the database password: the drivers quote the whole connection
/// string in some of theirs, so every message is scrubbed before it is shown.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Connections> {
    let redacted = redact_url(url);
    if let Err(err) = url::Url::parse(url) {
        // `url`'s messages name the fault ("invalid port number"), never the text.
        bail!("the database URL {redacted} is not a valid URL: {err}");
    }
    let max_connections = max_connections.max(1);
    if is_postgres(url) || max_connections == 1 {
        let shared = open(url, max_connections, Access::ReadWrite).await?;
        return Ok(Connections {
            reads: shared.clone(),
            writes: shared,
        });
    }
    // The writer first: it creates the file and puts it in WAL mode.
    let writes = open(url, 1, Access::ReadWrite).await?;
    let reads = open(url, max_connections - 1, Access::ReadOnly).await?;
    Ok(Connections { reads, writes })
}

/// What a pool's SQLite connections may do.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    ReadWrite,
    /// `PRAGMA query_only`: a statement that would change the file fails.
    ReadOnly,
}

async fn open(
    url: &str,
    max_connections: u32,
    access: Access,
) -> anyhow::Result<DatabaseConnection> {
    let plain_tcp = is_on_this_machine(url) && !names_ssl_mode(url);
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            let opts = opts
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_WAIT)
                .foreign_keys(true)
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string())
                .row_buffer_size(SQLITE_ROWS_BUFFERED);
            match access {
                Access::ReadWrite => opts,
                Access::ReadOnly => opts.pragma("query_only", "1"),
            }
        })
        .map_sqlx_sqlite_pool_opts(|opts| {
            opts.after_connect(|connection, _| Box::pin(tune_sqlite_connection(connection)))
        })
        .map_sqlx_postgres_opts(move |opts| match plain_tcp {
            true => opts.ssl_mode(PgSslMode::Disable),
            false => opts,
        });
    match Database::connect(options).await {
        Ok(db) => Ok(db),
        Err(err) => {
            // The pool reports only that it timed out; one direct connection tells why.
            let cause = match is_pool_timeout(&err) {
                true => why_no_connection(url)
                    .await
                    .unwrap_or_else(|| err.to_string()),
                false => err.to_string(),
            };
            bail!(
                "could not connect to the database at {}: {}",
                redact_url(url),
                scrub(&cause, url)
            )
        }
    }
}

/// Settings of a new SQLite connection that sqlx has no option for, made on its raw handle
/// (taken once for both):
///
/// - **Query planner stability (QPSG)**, so a cached statement is planned once and runs again
///   as it is. Without it SQLite plans with the values bound to `LIMIT ?` (SeaORM's `.one()`,
///   every page read) and marks the statement stale when they are bound again, so sqlx's
///   statement cache saved nothing: every execution was parsed and planned anew (2 of the 77
///   million instructions of the app's largest read, the larger part of the small ones). The
///   values bound elsewhere weigh in a plan only through `LIKE` patterns and `sqlite_stat4`
///   samples, neither of which this schema has; the plans `tests/api/page_plans.rs` reads back
///   are made with this setting.
/// - **A busy handler that naps 50 µs at a time** while another connection holds the write
///   lock (1 ms after the first 200 naps), up to [`SQLITE_BUSY_WAIT`]. SQLite's own handler
///   (what `busy_timeout` sets) naps 1, 2, 5, 10, 15, 20 … ms. The server's own writes queue
///   for its one writer ([`Connections`]) and never meet here; another process writing the
///   same file does (a second server on it, `videoprompt migrate`, an operator's `sqlite3`).
///   A write holds the lock for a fraction of a millisecond, but while the other keeps
///   writing, it takes the lock again and again while the waiter sleeps, and SQLite's naps
///   grow: 16 clients sending nonstop through two connections saw 3,000 naps in 20,000
///   requests, a third of them the third in a row (8 ms of sleep). With short naps the waiter
///   looks again soon after each write ends.
async fn tune_sqlite_connection(
    connection: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{
        SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3_busy_handler, sqlite3_db_config,
    };
    let refused = |code: std::ffi::c_int, setting: &str| match code {
        SQLITE_OK => Ok(()),
        code => Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused {setting} (code {code})").into(),
        )),
    };
    let mut handle = connection.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    // SAFETY: `raw` is the connection's open `sqlite3*`, valid and used by no one else while
    // `handle` (the connection's lock) lives; this `sqlite3_db_config` verb takes an `int`
    // (1: on) and an `int*` for the new setting, which may be null.
    let code = unsafe {
        sqlite3_db_config(
            raw,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    refused(code, "the query planner stability setting")?;
    // SAFETY: as above; the handler is a plain function that reads no argument (null) and
    // cannot unwind.
    let code = unsafe { sqlite3_busy_handler(raw, Some(nap_while_busy), std::ptr::null_mut()) };
    refused(code, "the busy handler")
}

/// How long a SQLite write waits for another connection's write before it fails with "database
/// is locked" (`busy_timeout`, replaced per connection by [`tune_sqlite_connection`]).
const SQLITE_BUSY_WAIT: Duration = Duration::from_secs(10);

/// SQLite's busy callback: `tries` is how often it was called for this wait. Nonzero: try
/// again; zero: give up (the statement fails with SQLITE_BUSY).
extern "C" fn nap_while_busy(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
    const SHORT_NAPS: i32 = 200;
    const SHORT: Duration = Duration::from_micros(50);
    const LONG: Duration = Duration::from_millis(1);
    const LONG_NAPS: i32 = (SQLITE_BUSY_WAIT.as_millis() / LONG.as_millis()) as i32;
    if tries >= SHORT_NAPS + LONG_NAPS {
        return 0;
    }
    std::thread::sleep(if tries < SHORT_NAPS { SHORT } else { LONG });
    1
}

/// Whether a PostgreSQL URL names a server on this machine: a loopback host, or a Unix socket
/// (`host=/run/postgresql`).
fn is_on_this_machine(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if !is_postgres(url) {
        return false;
    }
    let socket = parsed
        .query_pairs()
        .any(|(key, value)| key == "host" && value.starts_with('/'));
    let loopback = match parsed.host() {
        // `postgres:` is not a scheme the URL standard knows, so an IPv4 address stays a name.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => true,
    };
    socket || loopback
}

/// Whether the URL or the environment chooses the TLS mode itself.
fn names_ssl_mode(url: &str) -> bool {
    let in_url = url::Url::parse(url).is_ok_and(|parsed| {
        parsed
            .query_pairs()
            .any(|(key, _)| key == "sslmode" || key == "ssl-mode")
    });
    in_url || std::env::var_os("PGSSLMODE").is_some()
}

/// How long connecting (and waiting for a pooled connection) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

fn is_pool_timeout(err: &DbErr) -> bool {
    match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => true,
        DbErr::Conn(RuntimeErr::SqlxError(err)) => {
            matches!(err.as_ref(), sea_orm::sqlx::Error::PoolTimedOut)
        }
        _ => false,
    }
}

/// The error of one direct PostgreSQL connection (refused, unknown host, authentication), or
/// `None` when it connects after all or the URL is not PostgreSQL's.
async fn why_no_connection(url: &str) -> Option<String> {
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _, postgres::PgConnectOptions};
    if !is_postgres(url) {
        return None;
    }
    let options: PgConnectOptions = url.parse().ok()?;
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(connection)) => {
            connection.close().await.ok();
            None
        }
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some(format!(
            "no answer from the server within {}s",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// `text` with the URL's password (as written and percent-decoded) and the whole URL replaced.
fn scrub(text: &str, url: &str) -> String {
    let mut text = text.replace(url, &redact_url(url));
    if let Some(password) = url::Url::parse(url)
        .ok()
        .and_then(|parsed| parsed.password().map(str::to_owned))
    {
        let decoded = percent_decode(&password);
        for secret in [password, decoded] {
            if !secret.is_empty() {
                text = text.replace(&secret, "***");
            }
        }
    }
    text
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Counts the SQL statements a connection runs: tests and the benchmark read it to check that a
/// query's statement count stays fixed (DataLoader batching) rather than growing per object.
/// Tests can also have it keep the statements ([`Self::record`]): off unless asked
/// for, so a server pays one relaxed load per statement for it, and bounded.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(std::sync::Arc<Statements>);

#[derive(Debug, Default)]
struct Statements {
    count: std::sync::atomic::AtomicU64,
    recording: std::sync::atomic::AtomicBool,
    recorded: std::sync::Mutex<Vec<sea_orm::Statement>>,
}

/// The most statements [`StatementCounter::record`] keeps; later ones are dropped, so a test
/// that forgets to take them cannot grow the server's memory.
pub const MAX_RECORDED_STATEMENTS: usize = 1_000;

impl StatementCounter {
    /// Hooks a counter into both pools (clones made afterwards share it).
    pub fn install(connections: &mut Connections) -> Self {
        let counter = Self::default();
        counter.hook(&mut connections.reads);
        counter.hook(&mut connections.writes);
        counter
    }

    fn hook(&self, db: &mut DatabaseConnection) {
        let statements = self.0.clone();
        db.set_metric_callback(move |info| {
            use std::sync::atomic::Ordering::Relaxed;
            statements.count.fetch_add(1, Relaxed);
            if statements.recording.load(Relaxed) {
                let mut recorded = statements
                    .recorded
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if recorded.len() < MAX_RECORDED_STATEMENTS {
                    recorded.push(info.statement.clone());
                }
            }
        });
    }

    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.count.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Starts keeping the SQL text of the statements run from now on (for tests), dropping any
    /// kept before.
    pub fn record(&self) {
        self.take_recorded();
        self.0
            .recording
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The statements kept since [`Self::record`] (SQL text and values, so a test can run
    /// them again under `EXPLAIN`), and stops.
    pub fn take_recorded(&self) -> Vec<sea_orm::Statement> {
        self.0
            .recording
            .store(false, std::sync::atomic::Ordering::Relaxed);
        std::mem::take(
            &mut *self
                .0
                .recorded
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
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

/// The URL without its password, for logs and error messages. The credentials end at the
/// last `@` before the host (a password may itself hold `@`); a URL that does not parse keeps
/// its user name at most.
pub fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(url)
        && parsed.has_host()
    {
        if parsed.password().is_some() {
            let _ = parsed.set_password(Some("***"));
        }
        return parsed.to_string();
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let credentials = &rest[..at];
            let host = &rest[at + 1..];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
                None => format!("{scheme}://{credentials}@{host}"),
            }
        }
        None => url.to_owned(),
    }
}

/// The current time, truncated to microseconds: what both databases store, so a value read back
/// equals the value written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_server_on_this_machine_is_reached_without_tls_by_default() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/db",
            "postgres://u:p@localhost/db",
            "postgresql://u@[::1]:5432/db",
            "postgres://u@127.0.0.2/db",
            "postgres:///db?host=/run/postgresql",
        ] {
            assert!(is_on_this_machine(url), "{url}");
            assert!(!names_ssl_mode(url), "{url}");
        }
        for url in [
            "postgres://u@db.example.org/db",
            "postgres://u@10.0.0.5/db",
            "postgres://u@[2001:db8::1]/db",
            "sqlite://./data/videoprompt.db",
        ] {
            assert!(!is_on_this_machine(url), "{url}");
        }
        for url in [
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?ssl-mode=verify-full",
        ] {
            assert!(names_ssl_mode(url), "{url}");
        }
    }

    #[test]
    fn sqlite_gets_a_writer_and_a_reader_beyond_the_cores_unless_told_otherwise() {
        let sqlite = "sqlite://./data/videoprompt.db?mode=rwc";
        let postgres = "postgres://u@db/vp";
        assert_eq!(max_connections(None, sqlite, 2), 4);
        assert_eq!(max_connections(None, sqlite, 4), 6);
        assert_eq!(max_connections(None, sqlite, 1), 4);
        assert_eq!(max_connections(None, sqlite, 64), 10);
        assert_eq!(max_connections(None, postgres, 2), 16);
        assert_eq!(max_connections(Some(1), sqlite, 2), 1);
        assert_eq!(max_connections(Some(40), postgres, 2), 40);
    }

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

    #[test]
    fn a_password_holding_at_signs_is_redacted_whole() {
        assert_eq!(
            redact_url("postgres://u:p@ss@host/db"),
            "postgres://u:***@host/db"
        );
        // Not a valid URL (the port), yet the password is gone.
        let redacted = redact_url("postgres://postgres:Top@Secret@127.0.0.1:notaport/x");
        assert_eq!(redacted, "postgres://postgres:***@127.0.0.1:notaport/x");
    }

    #[test]
    fn scrubbing_removes_the_url_and_the_password() {
        let url = "postgres://app:s%40cret@db/vp";
        let text = format!("the string '{url}' is bad; password s@cret; raw s%40cret");
        let scrubbed = scrub(&text, url);
        assert!(
            !scrubbed.contains("s@cret") && !scrubbed.contains("s%40cret"),
            "{scrubbed}"
        );
    }
}
