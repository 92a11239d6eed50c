//! Secrets: the master key, the AES-256-GCM sealing of users' Gemini API keys, and the
//! signatures of links that need no token.

pub mod link_signing;
pub mod master_key;
pub mod sealed;

pub use link_signing::LinkKey;
pub use master_key::MasterKey;
pub use sealed::{SealError, Sealer};

/// Fills a fresh array with bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}
