//! Generation jobs: the durable queue over `video_prompts` (claim, lease, finish), the retry
//! policy, the runner that drives a pool of attempts, and the attempt itself (`generate`: one
//! record through Gemini).

pub mod generate;
pub mod queue;
pub mod retry;
pub mod runner;
