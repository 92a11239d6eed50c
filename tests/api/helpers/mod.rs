//! What the api tests share beyond [`testkit`]: the server started in this process on a fresh
//! database ([`TestApp`], [`both_backends!`](crate::both_backends)), with the Gemini stand-in,
//! the binary as a child process, rows written straight to the database, looks at what the
//! server stored, and the Node.js scripts of `tests/browser`. Everything spoken over HTTP
//! (scenarios, GraphQL, WebSocket) is in `testkit`.

mod app;
mod binary;
mod instances;
mod node;
mod records;
mod stand_in;
mod stored;

pub use app::{Backend, TestApp, serve_args};
pub use binary::{BINARY, videoprompt};
pub use instances::{cut_listener, until_listening};
pub use node::{node_script, run_node};
pub use records::{image_id, pending, prompt_row};
pub use stand_in::{
    app_with_stand_in, generation_calls, until_generation_calls, until_no_files_held,
};
pub use stored::{assert_nothing_stored, image_rows, stored_files};
