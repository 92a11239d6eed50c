//! Video prompts: the commands a client sends (`commands`: request, cancel, retry, with their
//! effects) and the reads (`queries`: by id, pages per image, what a live view starts from).

mod commands;
mod queries;

pub use commands::{MAX_IDEMPOTENCY_KEY_CHARS, MAX_NOTES_CHARS, NewVideoPrompt, VideoPrompts};
pub use queries::{
    find, find_many, live_for_image, owned_image_with_page, page_for_user, pages_by_image,
    unfinished_for_owned_images,
};
