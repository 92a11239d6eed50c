//! Rows written straight to the database for tests of layers below the API: a user with a
//! collection and an image, and `PENDING` records on it.

use chrono::Utc;
use entity::{collection, image, sea_orm_active_enums::VideoPromptStatus, user, video_prompt};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

use crate::helpers::TestApp;

/// A user, a collection and an image to hang records on.
pub async fn image_id(app: &TestApp) -> (Uuid, Uuid) {
    let now = Utc::now();
    let user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(format!("{}@queue.test", Uuid::now_v7())),
        password_hash: Set("unused".into()),
        created_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let collection = collection::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        name: Set("Queue".into()),
        created_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let image = image::ActiveModel {
        id: Set(Uuid::now_v7()),
        collection_id: Set(collection.id),
        file_name: Set("a.png".into()),
        mime_type: Set("image/png".into()),
        byte_size: Set(1),
        width: Set(Some(1)),
        height: Set(Some(1)),
        sha256: Set("00".into()),
        storage_key: Set("a".into()),
        created_at: Set(now),
    }
    .insert(&app.db)
    .await
    .unwrap();
    (user.id, image.id)
}

/// A `PENDING` record due at `due_in` from now (negative: already due).
pub async fn pending(app: &TestApp, (user_id, image_id): (Uuid, Uuid), due_in: i64) -> Uuid {
    let now = Utc::now();
    let record = video_prompt::ActiveModel {
        next_attempt_at: Set(now + chrono::Duration::seconds(due_in)),
        ..prompt_row((user_id, image_id), VideoPromptStatus::Pending, now)
    }
    .insert(&app.db)
    .await
    .unwrap();
    record.id
}

/// A record of the user's image in `status`, created (and last changed) `at`, with no result:
/// what tests that write many rows straight to the database start from.
pub fn prompt_row(
    (user_id, image_id): (Uuid, Uuid),
    status: VideoPromptStatus,
    at: chrono::DateTime<Utc>,
) -> video_prompt::ActiveModel {
    video_prompt::ActiveModel {
        id: Set(Uuid::now_v7()),
        image_id: Set(image_id),
        user_id: Set(user_id),
        camera_style: Set("PAN".into()),
        film_effect: Set("NOIR".into()),
        notes: Set(None),
        status: Set(status),
        prompt: Set(None),
        details: Set(None),
        error_code: Set(None),
        error_message: Set(None),
        model: Set(None),
        prompt_tokens: Set(None),
        output_tokens: Set(None),
        attempts: Set(0),
        idempotency_key: Set(None),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        next_attempt_at: Set(at),
        created_at: Set(at),
        started_at: Set(None),
        completed_at: Set(None),
        updated_at: Set(at),
    }
}
