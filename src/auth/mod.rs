//! Who is asking: password hashing, bearer tokens, and sessions that end while in use.

pub mod password;
pub mod session_ends;
pub mod token;

pub use password::PasswordHasher;
pub use session_ends::SessionEnds;
pub use token::{Session, SessionToken};
