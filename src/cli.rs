//! Runs the subcommand the command line asked for.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use crate::{
    config::{Cli, Command, LogFormat},
    db, gemini, graphql,
    startup::{Application, shutdown_signal},
    telemetry,
};

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(*args).await,
        Some(Command::Migrate(args)) => {
            telemetry::init(LogFormat::Text);
            std::fs::create_dir_all(&args.data_dir)?;
            let url = db::database_url(args.database_url.as_deref(), &args.data_dir);
            let conn = db::connect(&url, 1).await?;
            db::migrate(&conn.writes).await?;
            tracing::info!(url = %db::redact_url(&url), "migrations applied");
            Ok(())
        }
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::GeminiStandIn(args)) => stand_in(args).await,
    }
}

/// Runs the local Gemini stand-in until Ctrl-C / SIGTERM.
async fn stand_in(args: crate::config::StandInArgs) -> anyhow::Result<()> {
    telemetry::init(LogFormat::Text);
    let shutdown = shutdown_signal();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let config = gemini::StandInConfig {
        latency: Duration::from_millis(args.latency_ms),
        file_active_delay: Duration::from_millis(args.file_active_delay_ms),
        stream_duration: Duration::ZERO,
    };
    tracing::info!(
        address = %listener.local_addr()?,
        "Gemini stand-in listening (a local imitation of Google's API, not the real service)"
    );
    gemini::stand_in::serve(listener, config, shutdown).await?;
    Ok(())
}

async fn serve(mut args: crate::config::ServeArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    // Before anything can announce the server: a signal from then on shuts down gracefully.
    let shutdown = shutdown_signal();
    let demo = if args.demo {
        Some(demo_stand_in(&mut args).await?)
    } else {
        None
    };
    let app = Application::build(args).await?;
    let served = app.run_until_stopped(shutdown).await;
    // The stand-in outlives the server, so generations handed back at shutdown are answered.
    if let Some((stop, stand_in)) = demo {
        stop.cancel();
        let _ = stand_in.await;
    }
    served
}

/// How long the demo's stand-in takes to stream a prompt.
const DEMO_STREAM_DURATION: std::time::Duration = std::time::Duration::from_millis(2500);

/// `serve --demo`: the Gemini stand-in on a free loopback port of this process, and the server
/// pointed at it. Returns what stops it and its task.
async fn demo_stand_in(
    args: &mut crate::config::ServeArgs,
) -> anyhow::Result<(
    tokio_util::sync::CancellationToken,
    tokio::task::JoinHandle<std::io::Result<()>>,
)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .context("could not listen for the demo's Gemini stand-in")?;
    let addr = listener.local_addr()?;
    args.gemini.gemini_base_url = format!("http://{addr}");
    let stop = tokio_util::sync::CancellationToken::new();
    let stand_in = tokio::spawn(gemini::stand_in::serve(
        listener,
        gemini::StandInConfig {
            // Long enough to watch the prompt grow, short enough not to wait for it.
            stream_duration: DEMO_STREAM_DURATION,
            ..gemini::StandInConfig::default()
        },
        stop.clone().cancelled_owned(),
    ));
    tracing::warn!(
        stand_in = %addr,
        "demo mode: generations go to the local Gemini stand-in, not to Google; its answers are made up"
    );
    Ok((stop, stand_in))
}
