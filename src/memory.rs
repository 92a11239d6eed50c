//! Process-wide memory settings, applied once at the start of the binary: the allocator's
//! configuration (jemalloc, declared in `main.rs`) and SQLite's own bookkeeping.
//!
//! Why jemalloc: the binary's reads allocate and free many small blocks on one thread that
//! another thread made (SQLite copies each value of each row on its connection thread; the
//! runtime's threads decode, answer and free them). glibc's malloc serves that poorly, with its
//! arenas' locks and consolidation: under the app's largest read (20 × 20 × 5 prompts, 32
//! connections, one run) it was a quarter of the server's CPU, and jemalloc in its place took
//! the server's CPU per request from 8.8 to 5.8 ms on PostgreSQL and from 12.2 to 6.8 ms on
//! SQLite. Its `malloc` is unprefixed, so SQLite's allocations (C code linked in) take it too.
//!
//! [`MALLOC_CONF`] returns freed pages to the system within a fifth of a second
//! (`dirty_decay_ms`) and at once after that (`muzzy_decay_ms:0`, no lazily freed middle
//! state), instead of jemalloc's ten seconds: a burst of large reads, or a password hash (argon2
//! takes 19 MiB), leaves no lasting resident memory. It also keeps **one arena** for every
//! thread (`narenas:1`) instead of four per core. Each SQLite connection's thread allocates the
//! rows it reads and a runtime thread frees them; with an arena per thread, the pages freed in
//! one could not serve the next read on another, and each held its own freed pages until they
//! decayed. Under the app's largest read on SQLite (3 connections, 32 clients, two runs each,
//! 2026-12-07) peak RSS was 65.6–65.8 MiB with jemalloc's defaults and one second, 62.4–62.9
//! with a fifth, 60.1–61.1 with two arenas and 56.0–56.2 with one; on PostgreSQL 50.5–52.8
//! against 41.3–41.6. Requests per second were level on PostgreSQL (`{ __typename }`, one
//! image's prompts, the largest read); small reads on SQLite were 0–4 % slower (the threads
//! share the arena's locks when their caches fill or empty), which the third reading connection
//! more than makes up for (`db::max_connections`). An operator on many cores can ask for more arenas
//! (`MALLOC_CONF=narenas:4`): the environment's `MALLOC_CONF` overrides these options.
//! Shorter decay times cost CPU: with none at all (`dirty_decay_ms:0`) the largest read took
//! twice the CPU.
//!
//! jemalloc returns pages only while the process allocates, though: an idle process kept what
//! it had freed last (20,000 idle subscriptions: 16.4 KiB each in the resident set, of which
//! 12.2 KiB live). So the binary asks it once a second to return what is due
//! ([`DECAY_INTERVAL`]). jemalloc's own background thread does that too, but it also takes over
//! the purging a busy process does as it goes, and under the largest read peak RSS was then
//! 2–4 MiB higher.

/// jemalloc's options, read by jemalloc at its first allocation (before `main`) under this
/// symbol's name. A C string: `const char *malloc_conf`.
pub const MALLOC_CONF: &[u8] = b"dirty_decay_ms:200,muzzy_decay_ms:0,narenas:1\0";

/// How often the binary asks jemalloc to return the freed pages that are due.
pub const DECAY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Turns off SQLite's memory statistics, which it keeps under one process-wide mutex taken on
/// every allocation and free it makes. A page read on SQLite allocates and frees each value of
/// each row (sqlx copies them out of the statement): the app's largest read took that lock
/// about 50,000 times, from the connection threads and the runtime's at once. Nothing here
/// reads the statistics. Must run before SQLite is first used, so the binary calls it first
/// thing; a process that used SQLite already keeps the statistics (SQLite refuses the change).
pub fn sqlite_without_memory_statistics() {
    // SAFETY: `sqlite3_config` may only be called while no other thread uses SQLite and before
    // it is initialised: the binary calls this before it starts any thread, and SQLite answers
    // SQLITE_MISUSE (changing nothing) when it is initialised already. This verb takes one
    // `int` (0: off).
    let code = unsafe {
        libsqlite3_sys::sqlite3_config(
            libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS,
            0 as std::ffi::c_int,
        )
    };
    if code != libsqlite3_sys::SQLITE_OK {
        eprintln!("videoprompt: SQLite kept its memory statistics (code {code})");
    }
}
