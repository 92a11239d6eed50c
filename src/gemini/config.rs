//! `GeminiConfig`: where Gemini is and how the client talks to it (timeouts, the inline limit),
//! and `FilePollPolicy`: how long and how often an uploaded file's state is asked for.

use std::time::Duration;

use crate::config::GeminiArgs;

/// How long a connection to Gemini may take to open (not a flag: a setting for operators
/// only if it ever needs one).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where Gemini is and how the client talks to it.
#[derive(Debug, Clone)]
pub struct GeminiConfig {
    /// `https://generativelanguage.googleapis.com`, or a stand-in's address.
    pub base_url: String,
    /// `v1beta` (DESIGN's default), `v1` or `v1alpha`.
    pub api_version: String,
    /// The bare model id (`gemini-3.8-flash`).
    pub model: String,
    /// Longest wait for one request, its whole answer included (streamed or not).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Images up to this many bytes go inline; larger ones through the Files API.
    pub inline_limit: usize,
    pub file_poll: FilePollPolicy,
}

/// How `files.get` is polled until an uploaded file is ACTIVE.
#[derive(Debug, Clone, Copy)]
pub struct FilePollPolicy {
    /// The first wait; each next one doubles, up to `max_delay`.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Give up (GEMINI_FILE_PROCESSING) after waiting this long in total.
    pub max_wait: Duration,
}

/// The flags' defaults (`config::GeminiArgs`), the one place they are written.
impl Default for GeminiConfig {
    fn default() -> Self {
        Self::from_args(&GeminiArgs::default())
    }
}

impl GeminiConfig {
    /// The client settings from the server's command line.
    pub fn from_args(args: &GeminiArgs) -> Self {
        Self {
            base_url: args.gemini_base_url.clone(),
            api_version: args.gemini_api_version.clone(),
            model: args.gemini_model.clone(),
            request_timeout: args.gemini_timeout,
            connect_timeout: CONNECT_TIMEOUT,
            inline_limit: args.gemini_inline_limit,
            file_poll: FilePollPolicy::waiting(args.gemini_file_wait),
        }
    }
}

impl FilePollPolicy {
    /// Polls from 250 ms, doubling up to 4 s, for at most `max_wait` in all.
    pub fn waiting(max_wait: Duration) -> Self {
        Self {
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            max_wait,
        }
    }
}

/// With `--gemini-file-wait`'s default.
impl Default for FilePollPolicy {
    fn default() -> Self {
        Self::waiting(GeminiArgs::default().gemini_file_wait)
    }
}
