//! Generation jobs: the durable queue over `video_prompts` (claim, lease, finish) and the retry
//! policy. The worker pool that drives Gemini from the queue builds on these.

pub mod queue;
pub mod retry;
