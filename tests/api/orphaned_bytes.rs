//! Bytes a crash left without their row (an upload that died between writing its bytes and its
//! row, a delete between its row and its bytes) are removed when the next instance starts;
//! bytes with a row, and young bytes whose upload may still be running, stay.

use std::{
    fs::{File, FileTimes},
    path::Path,
    time::{Duration, SystemTime},
};

use testkit::{
    eventually,
    scenario::{create_collection, register, upload_ok},
};

use crate::helpers::{Backend, TestApp};

/// Makes a file look written `age` ago.
fn age(path: &Path, age: Duration) {
    let then = SystemTime::now() - age;
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_times(FileTimes::new().set_modified(then).set_accessed(then))
        .unwrap();
}

fn plant(store: &Path, key: &str, written_ago: Duration) -> std::path::PathBuf {
    let path = store.join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"bytes nobody refers to").unwrap();
    age(&path, written_ago);
    path
}

async fn bytes_without_a_row_are_swept_at_start(backend: Backend) {
    let store = tempfile::tempdir().unwrap();
    let store_url = format!("file://{}", store.path().display());
    let master_key = videoprompt::crypto::MasterKey::generate().to_base64();
    let Some(first) = TestApp::spawn_with(backend, |args| {
        args.uploads.object_store_url = Some(store_url.clone());
        args.keys.master_key = Some(master_key.clone().into());
    })
    .await
    else {
        return;
    };
    let (token, _) = register(&first, "waisen@example.de").await;
    let collection = create_collection(&first, &token, "Waisen").await;
    let image = upload_ok(&first, &token, &collection, "tiny.png").await;
    let id: uuid::Uuid = image["id"].as_str().unwrap().parse().unwrap();
    let kept = store
        .path()
        .join(videoprompt::services::images::storage_key(id));
    assert!(kept.is_file(), "the upload is not where expected");
    age(&kept, Duration::from_secs(3 * 3600));

    // What a crash leaves: old bytes without a row, and bytes an upload is writing right now.
    let orphan = plant(
        store.path(),
        &videoprompt::services::images::storage_key(uuid::Uuid::now_v7()),
        Duration::from_secs(2 * 3600),
    );
    let young = plant(
        store.path(),
        &videoprompt::services::images::storage_key(uuid::Uuid::now_v7()),
        Duration::from_secs(60),
    );

    // The next instance on the same database and store sweeps as it starts.
    let sqlite_file = first
        .args
        .database
        .data_dir
        .join(videoprompt::db::SQLITE_FILE);
    let second = first
        .spawn_sibling(|args| {
            if backend == Backend::Sqlite {
                args.database.database_url =
                    Some(format!("sqlite://{}?mode=rwc", sqlite_file.display()));
            }
        })
        .await;
    eventually("the orphaned bytes are removed", async || !orphan.exists()).await;
    assert!(kept.is_file(), "the bytes of a stored image were removed");
    assert!(
        young.is_file(),
        "bytes younger than the grace period were removed"
    );
    // The image still serves from the second instance.
    let body = second
        .gql(
            "query($id: ID!) { image(id: $id) { url } }",
            serde_json::json!({ "id": id }),
            Some(&token),
        )
        .await;
    let url = body["data"]["image"]["url"].as_str().unwrap();
    let response = second.client.get(second.url(url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    bytes_without_a_row_are_swept_at_start(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    bytes_without_a_row_are_swept_at_start(Backend::Postgres).await;
}
