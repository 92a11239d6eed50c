//! The pickers list every value with its German label.

use serde_json::json;

use crate::helpers::{Backend, TestApp};

#[tokio::test]
async fn camera_styles_and_film_effects_come_with_german_labels() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let body = app
        .gql(
            "{ cameraStyles { value label } filmEffects { value label } }",
            json!({}),
            None,
        )
        .await;
    let styles = body["data"]["cameraStyles"].as_array().unwrap();
    let effects = body["data"]["filmEffects"].as_array().unwrap();
    assert_eq!(styles.len(), 11);
    assert_eq!(effects.len(), 11);
    assert_eq!(
        styles[0],
        json!({ "value": "STATIC", "label": "Statische Kamera" })
    );
    assert!(styles.contains(&json!({ "value": "ORBIT", "label": "Kreisfahrt um das Motiv" })));
    assert!(
        styles.contains(&json!({ "value": "DOLLY_OUT", "label": "Dolly-Fahrt vom Motiv weg" }))
    );
    assert!(effects.contains(&json!({ "value": "BLACK_AND_WHITE", "label": "Schwarz-Weiß" })));
    assert!(effects.contains(&json!({ "value": "DREAMY", "label": "Verträumter Weichzeichner" })));
    assert_eq!(
        effects[10],
        json!({ "value": "NOIR", "label": "Film noir" })
    );
}
