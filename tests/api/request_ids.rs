//! Request ids: a short plain id from the client or a proxy is kept; anything else (it would go
//! raw into log lines) is replaced by a fresh UUID v7.

use crate::helpers::{Backend, TestApp};

async fn answered_request_id(app: &TestApp, sent: Option<&str>) -> String {
    let mut request = app.client.get(app.url("/healthz"));
    if let Some(sent) = sent {
        request = request.header("x-request-id", sent);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned()
}

fn assert_fresh_uuid_v7(id: &str, sent: &str) {
    let uuid = uuid::Uuid::parse_str(id)
        .unwrap_or_else(|_| panic!("sent {sent:?}, answered {id:?}: not a fresh UUID"));
    assert_eq!(uuid.get_version_num(), 7, "{id}");
}

#[tokio::test]
async fn a_plain_client_request_id_is_kept() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for id in [
        "abc-123",
        "lb:0f3a.77_x",
        "0190b3f2-7c1e-7d4a-9a6b-3f0c2b1a4e5d",
        &"a".repeat(64),
    ] {
        assert_eq!(answered_request_id(&app, Some(id)).await, id);
    }
    assert_fresh_uuid_v7(&answered_request_id(&app, None).await, "");
}

#[tokio::test]
async fn a_request_id_that_could_forge_a_log_line_is_replaced() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let too_long = "a".repeat(65);
    for id in [
        "abc} FAKE ERROR x{y=1}",
        "abc def",
        "id\"quoted\"",
        "a=b",
        too_long.as_str(),
    ] {
        let answered = answered_request_id(&app, Some(id)).await;
        assert_ne!(answered, id);
        assert_fresh_uuid_v7(&answered, id);
    }
}
