//! Several instances on one PostgreSQL database: waiting for an instance to listen for the
//! others' changes.

use std::time::Duration;

use crate::helpers::TestApp;

/// Waits until the instance's listener has `LISTEN` in force.
pub async fn until_listening(app: &TestApp) {
    let cluster = app.cluster.as_ref().expect("no cluster on PostgreSQL");
    let mut state = cluster.listener_state();
    tokio::time::timeout(Duration::from_secs(30), state.wait_for(|s| s.listening))
        .await
        .expect("the listener did not start listening within half a minute")
        .unwrap();
}

/// Kills the instance's listening connection (found by its `application_name`) and keeps it
/// from reconnecting until `hold_reconnects(false)`; returns once the listener noticed, so
/// every notification sent from now on is certainly missed.
pub async fn cut_listener(app: &TestApp) {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

    let cluster = app.cluster.as_ref().expect("no cluster on PostgreSQL");
    cluster.hold_reconnects(true);
    let killed = app
        .db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
             WHERE application_name = $1",
            [cluster.listener_application_name().into()],
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(killed.try_get::<i64>("", "n").unwrap(), 1, "one listener");
    let mut state = cluster.listener_state();
    tokio::time::timeout(Duration::from_secs(30), state.wait_for(|s| !s.listening))
        .await
        .expect("the listener did not notice its connection dropped")
        .unwrap();
}
