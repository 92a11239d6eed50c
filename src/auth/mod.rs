//! Who is asking: password hashing, bearer tokens, the request's origin and sign-in throttling.

pub mod origin;
pub mod password;
pub mod throttle;
pub mod token;

pub use origin::Origin;
pub use password::PasswordHasher;
pub use throttle::SignInThrottle;
pub use token::{Session, SessionToken};
