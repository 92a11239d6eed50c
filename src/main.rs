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

/// Asks jemalloc, every `DECAY_INTERVAL`, to return to the system the freed pages whose time
/// has come, also while nothing allocates (`videoprompt::memory` says why). A thread of its
/// own: the call can take a moment of page unmapping, which the async runtime should not wait
/// for.
#[cfg(not(target_env = "msvc"))]
fn return_freed_memory_when_idle() {
    const ALL_ARENAS_DECAY: &[u8] = b"arena.4096.decay\0";
    let spawned = std::thread::Builder::new()
        .name("memory-decay".into())
        .spawn(|| {
            loop {
                std::thread::sleep(videoprompt::memory::DECAY_INTERVAL);
                // SAFETY: a NUL-terminated control name; this control reads and writes nothing
                // through the (null) pointers. 4096 is MALLCTL_ARENAS_ALL: every arena.
                let code = unsafe {
                    tikv_jemalloc_sys::mallctl(
                        ALL_ARENAS_DECAY.as_ptr().cast(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        std::ptr::null_mut(),
                        0,
                    )
                };
                if code != 0 {
                    eprintln!("videoprompt: jemalloc refused to return freed memory (code {code})");
                    return;
                }
            }
        });
    if let Err(err) = spawned {
        eprintln!("videoprompt: could not start the memory decay thread: {err}");
    }
}

fn main() -> std::process::ExitCode {
    videoprompt::memory::sqlite_without_memory_statistics();
    #[cfg(not(target_env = "msvc"))]
    return_freed_memory_when_idle();
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
