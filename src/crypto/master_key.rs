//! Where the master key comes from: configuration, or a key file that the first start creates.
//!
//! The embedded default keeps a `master.key` file (mode 0600) in the data dir so that
//! `videoprompt serve` needs no setup. Several instances on PostgreSQL must share one key, so
//! there the key must be given explicitly: a file on one machine would silently differ from
//! another machine's.

use std::{io::Write, path::Path};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use secrecy::{ExposeSecret, SecretString};

/// 32 secret bytes. `Debug` never shows them.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// The key file's name inside the data dir.
pub const KEY_FILE: &str = "master.key";

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn generate() -> Self {
        Self(super::random_bytes())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Decodes base64 text of exactly 32 bytes. The error never repeats the text.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let bytes = STANDARD
            .decode(text.trim())
            .context("the master key is not valid base64")?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|bytes: Vec<u8>| {
            anyhow::anyhow!(
                "the master key must be 32 bytes (base64 of 32 bytes, e.g. `openssl rand -base64 32`), not {}",
                bytes.len()
            )
        })?;
        Ok(Self(bytes))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The configured key, or else the data dir's key file, created on first use.
    /// `allow_key_file` is false on PostgreSQL, where an explicit key is required.
    pub fn load(
        configured: Option<&SecretString>,
        data_dir: &Path,
        allow_key_file: bool,
    ) -> anyhow::Result<Self> {
        if let Some(key) = configured {
            return Self::from_base64(key.expose_secret())
                .context("VIDEOPROMPT_MASTER_KEY is unusable");
        }
        if !allow_key_file {
            bail!(
                "PostgreSQL needs an explicit master key shared by every instance: set \
                 VIDEOPROMPT_MASTER_KEY (or --master-key) to base64 of 32 random bytes, \
                 e.g. the output of `openssl rand -base64 32`"
            );
        }
        Self::load_or_create_file(&data_dir.join(KEY_FILE))
    }

    fn load_or_create_file(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                warn_if_others_can_read(path);
                Self::from_base64(&text)
                    .with_context(|| format!("the master key file {} is unusable", path.display()))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                write_new_secret_file(path, key.to_base64().as_bytes()).with_context(|| {
                    format!("could not create the master key file {}", path.display())
                })?;
                tracing::info!(path = %path.display(), "created a new master key file");
                Ok(key)
            }
            Err(err) => Err(err)
                .with_context(|| format!("could not read the master key file {}", path.display())),
        }
    }
}

/// Warns, as ssh does of a private key, when the key file's group or others may read or change
/// it: whoever can read it can open every stored Gemini key.
#[cfg(unix)]
fn warn_if_others_can_read(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = format!("{mode:o}"),
            "the master key file can be read or changed by other users; \
             restrict it with `chmod 600 {}`",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_others_can_read(_path: &Path) {}

/// Creates `path` readable by its owner only; fails if it already exists (no silent overwrite).
fn write_new_secret_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load(None, dir.path(), true).unwrap();
        let second = MasterKey::load(None, dir.path(), true).unwrap();
        assert_eq!(first.as_bytes(), second.as_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn postgres_without_an_explicit_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = MasterKey::load(None, dir.path(), false).unwrap_err();
        assert!(err.to_string().contains("VIDEOPROMPT_MASTER_KEY"));
        assert!(!dir.path().join(KEY_FILE).exists());
    }

    #[test]
    fn a_malformed_key_is_refused_without_echoing_it() {
        let secret = SecretString::from("c2hvcnQ=");
        let err = MasterKey::load(Some(&secret), Path::new("."), true).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("32 bytes"), "{text}");
        assert!(!text.contains("c2hvcnQ"), "{text}");
    }
}
