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
