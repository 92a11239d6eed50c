//! Refuses to start with a master key other than the one the database was set up with.
//!
//! The first start seals a known text with the master key and stores it; every later start
//! must be able to open it. Without this check a wrong key would only show up later, as every
//! stored Gemini key failing to decrypt.

use anyhow::{Context, bail};
use entity::app_setting;
use sea_orm::{DatabaseConnection, EntityTrait, Set, sea_query::OnConflict};

use crate::crypto::Sealer;

const SETTING_KEY: &str = "master_key_check";
const CHECK_TEXT: &[u8] = b"videoprompt master key check v1";
const CHECK_BINDING: &[u8] = b"videoprompt:master-key-check";

/// Records the check value on first start; afterwards verifies the key opens it.
pub async fn verify_or_record(db: &DatabaseConnection, sealer: &Sealer) -> anyhow::Result<()> {
    if let Some(stored) = app_setting::Entity::find_by_id(SETTING_KEY).one(db).await? {
        return check(sealer, &stored.value);
    }
    let row = app_setting::ActiveModel {
        key: Set(SETTING_KEY.to_owned()),
        value: Set(sealer.seal(CHECK_TEXT, CHECK_BINDING)),
    };
    // Two instances starting at once: the first insert wins, the second verifies against it.
    app_setting::Entity::insert(row)
        .on_conflict(
            OnConflict::column(app_setting::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .context("could not store the master key check value")?;
    let stored = app_setting::Entity::find_by_id(SETTING_KEY)
        .one(db)
        .await?
        .context("the master key check value vanished right after it was written")?;
    check(sealer, &stored.value)
}

fn check(sealer: &Sealer, stored: &[u8]) -> anyhow::Result<()> {
    match sealer.open(stored, CHECK_BINDING) {
        Ok(text) if text == CHECK_TEXT => Ok(()),
        _ => bail!(
            "the master key does not match the one this database was set up with: start with \
             the original key (VIDEOPROMPT_MASTER_KEY, or the data dir's master.key file); \
             with another key no stored Gemini API key could be decrypted"
        ),
    }
}
