//! What the server stored, looked at behind its back: image rows and the files under the data
//! dir's image folder.

use std::path::{Path, PathBuf};

use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::TestApp;

/// Rows in the `images` table.
pub async fn image_rows(app: &TestApp) -> u64 {
    entity::image::Entity::find().count(&app.db).await.unwrap()
}

/// Files under the default image folder of the data dir.
pub fn stored_files(app: &TestApp) -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&app.args.database.data_dir.join("images"), &mut found);
    found
}

/// Nothing of a refused upload was kept: no row, no file.
pub async fn assert_nothing_stored(app: &TestApp) {
    assert_eq!(image_rows(app).await, 0, "an image row was stored");
    assert_eq!(
        stored_files(app),
        Vec::<PathBuf>::new(),
        "image bytes were stored"
    );
}
