//! Who is asking: password hashing, bearer tokens, recently looked-up sessions, sessions that
//! end while in use, the request's origin and sign-in throttling.

pub mod origin;
pub mod password;
pub mod session_cache;
pub mod session_ends;
pub mod throttle;
pub mod token;

pub use origin::Origin;
pub use password::PasswordHasher;
pub use session_cache::SessionCache;
pub use session_ends::SessionEnds;
pub use throttle::SignInThrottle;
pub use token::{Caller, Session, SessionToken};
