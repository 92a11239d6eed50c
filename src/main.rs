//! The `videoprompt` binary: everything lives in the library; this only reports a failed start.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match videoprompt::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("videoprompt: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
