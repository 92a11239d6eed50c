//! How the server talks to its database: plain TCP to a PostgreSQL on this machine unless the
//! URL asks for TLS; on SQLite one writing connection that writes queue for, readers that
//! cannot write, and writes that wait for another process's instead of failing.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use testkit::{TestDatabase, scenario::register};

use crate::helpers::{Backend, TestApp};

/// Whether this connection's backend session runs over TLS (`pg_stat_ssl`).
async fn over_tls(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<bool>("", "ssl").unwrap()
}

async fn server_offers_tls(db: &DatabaseConnection) -> bool {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SHOW ssl",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<String>("", "ssl").unwrap() == "on"
}

#[tokio::test]
async fn loopback_is_plain_tcp_unless_the_url_asks_for_tls() {
    let Some(database) = TestDatabase::create().await else {
        return;
    };
    assert!(
        database.url().contains("127.0.0.1") || database.url().contains("localhost"),
        "the test server is expected on this machine: {}",
        database.url()
    );
    let plain = videoprompt::db::connect(database.url(), 1)
        .await
        .unwrap()
        .writes;
    assert!(!over_tls(&plain).await, "no sslmode on loopback: plain TCP");
    if server_offers_tls(&plain).await {
        let url = format!("{}?sslmode=require", database.url());
        let tls = videoprompt::db::connect(&url, 1).await.unwrap().writes;
        assert!(over_tls(&tls).await, "sslmode=require is kept");
        tls.close().await.unwrap();
    }
    plain.close().await.unwrap();
}

/// SQLite has one writer at a time: a write that finds another connection's write under way
/// waits for it (the busy timeout) instead of failing "database is locked".
#[tokio::test]
async fn a_sqlite_write_waits_for_another_connections_write() {
    use sea_orm::sqlx::{Connection, SqliteConnection};
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, _) = register(&app, "waits@example.org").await;
    let file = app
        .args
        .database
        .data_dir
        .join(videoprompt::db::SQLITE_FILE);
    let mut holder = SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sea_orm::sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();

    let create = tokio::spawn({
        let api = app.api.clone();
        async move {
            api.gql(
                "mutation($name: String!) { createCollection(name: $name) { name } }",
                serde_json::json!({ "name": "Wartet" }),
                Some(&token),
            )
            .await
        }
    });
    // The mutation meets the lock meanwhile (on a slow machine it may not, and then this test
    // checks less, but it cannot fail for that reason).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sea_orm::sqlx::query("COMMIT")
        .execute(&mut holder)
        .await
        .unwrap();

    let body = create.await.unwrap();
    assert_eq!(body["data"]["createCollection"]["name"], "Wartet", "{body}");
}

/// On SQLite one connection writes and the others only read: a write sent to a reader fails
/// at once (so a write site that skipped the writer shows in any test that reaches it), reads
/// go on while the writer is taken, and writes wait their turn for it instead of failing.
#[tokio::test]
async fn sqlite_reads_go_on_while_writes_queue_for_the_one_writer() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (token, _) = register(&app, "queue@example.org").await;
    let refused = app
        .state
        .db
        .execute_unprepared("DELETE FROM sessions")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("readonly"), "{refused}");

    let held = app.db.begin().await.unwrap();
    let creates: Vec<_> = (0..3)
        .map(|n| {
            let (api, token) = (app.api.clone(), token.clone());
            tokio::spawn(async move {
                api.gql(
                    "mutation($name: String!) { createCollection(name: $name) { name } }",
                    serde_json::json!({ "name": format!("Reihe {n}") }),
                    Some(&token),
                )
                .await
            })
        })
        .collect();
    // A read of rows (the writer holds none of them yet: it has written nothing).
    let me = app
        .gql(
            "{ me { email collections { nodes { name } } } }",
            serde_json::json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(me["data"]["me"]["email"], "queue@example.org", "{me}");
    assert_eq!(
        me["data"]["me"]["collections"]["nodes"],
        serde_json::json!([]),
        "{me}"
    );
    assert!(
        creates.iter().all(|create| !create.is_finished()),
        "no write can finish while the writer is taken"
    );
    held.commit().await.unwrap();
    for (n, create) in creates.into_iter().enumerate() {
        let body = create.await.unwrap();
        assert_eq!(
            body["data"]["createCollection"]["name"],
            format!("Reihe {n}"),
            "{body}"
        );
    }
}
