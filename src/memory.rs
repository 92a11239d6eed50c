//! Process-wide allocator settings, applied once at the start of the binary.
//!
//! glibc's malloc raises its mmap threshold each time a large block is freed ("dynamic mmap
//! threshold"): after the first password hash (argon2 allocates 19 MiB and frees it), blocks of
//! that size come from the per-thread arenas instead of `mmap`, and freed arena memory stays
//! resident. Measured on the release binary: each sign-up or sign-in left about 19 MB of RSS
//! behind (8 sign-ups: 160 MB), up to the arenas' limit. Fixing the threshold at 1 MiB keeps
//! large blocks on `mmap`, so they go back to the system when freed (8 sign-ups: 22.5 MB, the
//! same as before the first). Small allocations are unaffected.

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
