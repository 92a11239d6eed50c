//! The `videoprompt` binary: everything lives in the library; this sets up the process (the
//! allocator and SQLite's process-wide settings, the async runtime) and reports a failed start.

fn main() -> std::process::ExitCode {
    videoprompt::memory::tune_allocator();
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
