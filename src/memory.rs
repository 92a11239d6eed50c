//! Process-wide allocator settings (glibc's malloc, SQLite's own bookkeeping), applied once at
//! the start of the binary.
//!
//! glibc's malloc raises its mmap threshold each time a large block is freed ("dynamic mmap
//! threshold"): after the first password hash (argon2 allocates 19 MiB and frees it), blocks of
//! that size come from the per-thread arenas instead of `mmap`, and freed arena memory stays
//! resident. Measured on the release binary: each sign-up or sign-in left about 19 MB of RSS
//! behind (8 sign-ups: 160 MB), up to the arenas' limit. Fixing the threshold at 1 MiB keeps
//! large blocks on `mmap`, so they go back to the system when freed (8 sign-ups: 22.5 MB, the
//! same as before the first). Small allocations are unaffected.

/// Turns off SQLite's memory statistics, which it keeps under one process-wide mutex taken on
/// every allocation and free it makes. A page read on SQLite allocates and frees each value of
/// each row (sqlx copies them out of the statement): the app's largest read took that lock
/// about 50,000 times, from the four connection threads and the runtime's at once. Nothing here
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

/// Applies the settings; a no-op where the allocator is not glibc's.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const LARGE_BLOCK: libc::c_int = 1024 * 1024;
        // SAFETY: mallopt only changes allocator parameters; it is called before any other
        // thread of ours exists and takes no pointers.
        let applied = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK) };
        if applied != 1 {
            eprintln!("videoprompt: could not set the allocator's mmap threshold");
        }
    }
}
