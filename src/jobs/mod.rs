//! Generation jobs: the durable queue over `video_prompts` (claim, lease, finish), the retry
//! policy, the runner that drives a pool of attempts, the handle the rest of the server holds
//! on it (`Jobs`: wake, abort), and how a worker shows the prompt while it grows (`progress`).
//!
//! What one attempt does (the Gemini call) is not here: the runner takes it as a `Handler`
//! (`services::generation` is the real one), so this module knows nothing of Gemini, the
//! services or the state — it depends only on the database, the event hub and the clock.

mod handle;
pub mod progress;
pub mod queue;
pub mod retry;
pub mod runner;

pub use handle::{Jobs, RemoteAbort};
pub use progress::Progress;
