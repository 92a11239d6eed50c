//! Who is asking: password hashing and bearer tokens.

pub mod password;
pub mod token;

pub use password::PasswordHasher;
pub use token::{Session, SessionToken};
