//! Generation jobs: the durable queue over `video_prompts` (claim, lease, finish), the retry
//! policy, and the runner that drives a pool of attempts through a `Handler`.

pub mod queue;
pub mod retry;
pub mod runner;
