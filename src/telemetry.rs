//! Logging: human-readable or JSON lines on stderr, filtered by `RUST_LOG`.
//!
//! Whatever `RUST_LOG` asks for, a few libraries never log below `info`: at `debug` and
//! `trace` they print what passes through them in full, and that carries secrets. tungstenite
//! logs every WebSocket frame and message (the token in `connection_init`, passwords and API
//! keys in mutations sent over a socket). Our own code never logs a token, a password, an API
//! key or a database password at any level.

use std::io::IsTerminal;

use tracing::Level;
use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{FilterExt, Targets},
    fmt,
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

use crate::config::LogFormat;

/// The default filter when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,tower_http=info";

/// Libraries whose `debug` and `trace` output carries what passes through them (message bodies,
/// payloads, statements): capped at `info` whatever `RUST_LOG` says.
const VERBATIM_TARGETS: [&str; 2] = ["tungstenite", "tokio_tungstenite"];

/// Installs the global subscriber. Idempotent (tests call it for every app they start).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let fmt = fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in files or collectors.
        .with_ansi(std::io::stderr().is_terminal());
    let fmt = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().boxed(),
    };
    // One filter, both conditions: nested `with_filter`s would let the outer one (which
    // passes everything but the verbatim libraries) tell the registry that every span is
    // wanted, so spans the level filter drops were still made and entered on every poll (sqlx
    // enters the current span for every row it reads: 6 % of the big read's instructions).
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter.and(never_verbatim())))
        .try_init();
}

/// Everything at every level, but the verbatim libraries at `info` at most.
fn never_verbatim() -> Targets {
    VERBATIM_TARGETS.iter().fold(
        Targets::new().with_default(Level::TRACE),
        |targets, target| targets.with_target(*target, Level::INFO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_libraries_are_capped_at_info() {
        let targets = never_verbatim();
        assert!(!targets.would_enable("tungstenite::protocol", &Level::TRACE));
        assert!(!targets.would_enable("tokio_tungstenite", &Level::DEBUG));
        assert!(targets.would_enable("tungstenite::protocol", &Level::INFO));
        assert!(targets.would_enable("videoprompt::http", &Level::TRACE));
    }
}
