//! Images as files: what an upload really is (`probe`, one module per format), where the bytes
//! live (`store`), and the signed, expiring URLs the browser loads them from (`signing`).

pub mod probe;
pub mod signing;
pub mod store;

pub use probe::{ImageKind, ProbeError, ProbedImage, probe};
pub use signing::UrlSigner;
pub use store::ImageStore;
