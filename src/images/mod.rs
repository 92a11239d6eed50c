//! Images as files: what an upload really is (`probe`, with `heif` for HEIC/HEIF), where the
//! bytes live (`store`), and the signed, expiring URLs the browser loads them from (`signing`).

mod heif;
pub mod probe;
pub mod signing;
pub mod store;

pub use probe::{ImageKind, ProbeError, ProbedImage, probe};
pub use signing::UrlSigner;
pub use store::ImageStore;
