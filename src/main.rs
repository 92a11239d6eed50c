//! The `videoprompt` binary: everything lives in the library; this sets up the process (the
//! allocator and SQLite's process-wide settings, the async runtime) and reports a failed start.

/// jemalloc for every allocation of the process (`videoprompt::memory` says why).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options (`videoprompt::memory::MALLOC_CONF`), under the name jemalloc reads.
#[cfg(not(target_env = "msvc"))]
#[unsafe(no_mangle)]
#[allow(non_upper_case_globals)]
static malloc_conf: ConfString = ConfString(videoprompt::memory::MALLOC_CONF.as_ptr());

/// A pointer to a static C string, shareable between threads (it is never written).
#[repr(transparent)]
struct ConfString(*const u8);

// SAFETY: the pointer is to a `'static` byte string that nothing writes.
unsafe impl Sync for ConfString {}

fn main() -> std::process::ExitCode {
    videoprompt::memory::sqlite_without_memory_statistics();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("videoprompt: could not start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(videoprompt::cli::run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("videoprompt: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
