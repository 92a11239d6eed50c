//! Generation jobs: the durable queue over `video_prompts` (claim, lease, finish). The worker
//! pool that drives Gemini from it builds on `queue`.

pub mod queue;
