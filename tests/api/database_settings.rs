//! How the server talks to its database: plain TCP to a PostgreSQL on this machine unless the
//! URL asks for TLS.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use testkit::TestDatabase;

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
    let plain = videoprompt::db::connect(database.url(), 1).await.unwrap();
    assert!(!over_tls(&plain).await, "no sslmode on loopback: plain TCP");
    if server_offers_tls(&plain).await {
        let url = format!("{}?sslmode=require", database.url());
        let tls = videoprompt::db::connect(&url, 1).await.unwrap();
        assert!(over_tls(&tls).await, "sslmode=require is kept");
        tls.close().await.unwrap();
    }
    plain.close().await.unwrap();
}
