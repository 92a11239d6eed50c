//! The key that signs image URLs: configured, or generated once and kept in the database.
//!
//! Every instance must sign and check with the same key (a URL made by one instance is loaded
//! through another behind the load balancer), so a generated key is stored in `app_settings`,
//! where all instances on the database find it. It is stored sealed with the master key: read
//! access to the database alone does not let anyone mint image URLs.

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use entity::app_setting;
use sea_orm::{DatabaseConnection, EntityTrait, Set, sea_query::OnConflict};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::crypto::{Sealer, random_bytes};

const SETTING_KEY: &str = "url_signing_key";
const BINDING: &[u8] = b"videoprompt:url-signing-key";

/// The configured key (base64, at least 32 bytes), or the stored one, created on first start.
pub async fn load_or_create(
    db: &DatabaseConnection,
    sealer: &Sealer,
    configured: Option<&SecretString>,
) -> anyhow::Result<[u8; 32]> {
    if let Some(configured) = configured {
        let bytes = STANDARD
            .decode(configured.expose_secret().trim())
            .context("the URL signing key is not valid base64")?;
        if bytes.len() < 32 {
            bail!("the URL signing key must be at least 32 bytes (e.g. `openssl rand -base64 32`)");
        }
        // Any length in, 32 bytes out: HMAC keys longer than a block are hashed anyway.
        return Ok(Sha256::digest(&bytes).into());
    }
    if let Some(stored) = app_setting::Entity::find_by_id(SETTING_KEY).one(db).await? {
        return open(sealer, &stored.value);
    }
    let fresh: [u8; 32] = random_bytes();
    // Two instances starting at once: the first insert wins and both use its key.
    app_setting::Entity::insert(app_setting::ActiveModel {
        key: Set(SETTING_KEY.to_owned()),
        value: Set(sealer.seal(&fresh, BINDING)),
    })
    .on_conflict(
        OnConflict::column(app_setting::Column::Key)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .context("could not store the URL signing key")?;
    let stored = app_setting::Entity::find_by_id(SETTING_KEY)
        .one(db)
        .await?
        .context("the URL signing key vanished right after it was written")?;
    open(sealer, &stored.value)
}

fn open(sealer: &Sealer, sealed: &[u8]) -> anyhow::Result<[u8; 32]> {
    let key = sealer
        .open(sealed, BINDING)
        .ok()
        .context("the stored URL signing key does not open with the master key")?;
    let key: [u8; 32] = key
        .as_slice()
        .try_into()
        .ok()
        .context("the stored URL signing key has the wrong length")?;
    Ok(key)
}
