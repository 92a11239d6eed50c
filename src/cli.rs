//! Runs the subcommand the command line asked for.

use clap::Parser;

use crate::{
    config::{Cli, Command, LogFormat},
    db, graphql,
    startup::{Application, shutdown_signal},
    telemetry,
};

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Migrate(args)) => {
            telemetry::init(LogFormat::Text);
            std::fs::create_dir_all(&args.data_dir)?;
            let url = db::database_url(args.database_url.as_deref(), &args.data_dir);
            let conn = db::connect(&url, 1).await?;
            db::migrate(&conn).await?;
            tracing::info!(url = %db::redact_url(&url), "migrations applied");
            Ok(())
        }
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::GeminiStandIn(_args)) => {
            anyhow::bail!("the Gemini stand-in is not built yet")
        }
    }
}

async fn serve(args: crate::config::ServeArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    let app = Application::build(args).await?;
    app.run_until_stopped(shutdown_signal()).await
}
