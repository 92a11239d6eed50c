//! Exports through the real server: `exportUrl(format)` on an image, a collection and the
//! user gives a link that downloads without a token; each format holds exactly that scope's
//! records, newest first, with their details, choices, model and dates (CSV: BOM, semicolons,
//! quoting, formula guard; Markdown: German headings); a tampered, re-purposed or dangling link
//! opens nothing; and 10,000 prompts stream out in pages of 500 rows.

use chrono::{Duration, SubsecRound, Utc};
use entity::{sea_orm_active_enums::VideoPromptStatus, video_prompt};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use testkit::scenario::{create_collection, register, upload_ok};
use uuid::Uuid;

use crate::{
    both_backends,
    helpers::{TestApp, prompt_row},
};

/// A finished record written straight to the database, `minutes_ago` old.
fn record(
    owner: (Uuid, Uuid),
    minutes_ago: i64,
    status: VideoPromptStatus,
    notes: Option<&str>,
) -> video_prompt::ActiveModel {
    let at = Utc::now().trunc_subsecs(6) - Duration::minutes(minutes_ago);
    let mut row = prompt_row(owner, status, at);
    row.camera_style = Set("DRONE".into());
    row.film_effect = Set("GOLDEN_HOUR".into());
    row.notes = Set(notes.map(str::to_owned));
    row.attempts = Set(1);
    row.started_at = Set(Some(at));
    row.completed_at = Set(Some(at + Duration::seconds(3)));
    if status == VideoPromptStatus::Completed {
        row.prompt = Set(Some(format!(
            "Drohnenflug über den nebligen See; „Goldene Stunde“ ({minutes_ago})"
        )));
        row.details = Set(Some(json!({
            "scene": "Ein See im Morgennebel", "camera": "Langsamer Überflug",
            "lighting": "Warmes Gegenlicht", "mood": "Ruhig", "effects": "Weiches Korn"
        })));
        row.model = Set(Some("gemini-3.8-flash".into()));
        row.prompt_tokens = Set(Some(1290));
        row.output_tokens = Set(Some(310));
    } else {
        row.error_code = Set(Some("GEMINI_BLOCKED".into()));
        row.error_message = Set(Some("Gemini hat die Anfrage blockiert.".into()));
    }
    row
}

/// GETs a link without any token; status, headers and body.
async fn download(app: &TestApp, link: &str) -> (StatusCode, header::HeaderMap, String) {
    let response = app.client.get(app.url(link)).send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

/// Reads semicolon-separated CSV with RFC 4180 quoting into rows of fields.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ';') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

const EXPORT_URLS: &str = "query($image: ID!, $collection: ID!) {
    image(id: $image) { json: exportUrl(format: JSON) csv: exportUrl(format: CSV) }
    collection(id: $collection) { csv: exportUrl(format: CSV) }
    me { md: exportUrl(format: MARKDOWN) json: exportUrl(format: JSON) } }";

both_backends! {
    async fn each_scope_downloads_its_own_prompts_in_every_format(app) {
        let (token, user) = register(&app, "export@example.de").await;
        let user: Uuid = user.parse().unwrap();
        let urlaub = create_collection(&app, &token, "Urlaub am See").await;
        let arbeit = create_collection(&app, &token, "Arbeit").await;
        let strand: Uuid = upload_ok(&app, &token, &urlaub, "landscape.jpg").await["id"]
            .as_str().unwrap().parse().unwrap();
        let berg: Uuid = upload_ok(&app, &token, &urlaub, "tiny.png").await["id"]
            .as_str().unwrap().parse().unwrap();
        let buero: Uuid = upload_ok(&app, &token, &arbeit, "tiny.png").await["id"]
            .as_str().unwrap().parse().unwrap();
        let tricky = "=HYPERLINK(\"http://böse.example\"); \"zitiert\"\nzweite Zeile";
        let rows = [
            record((user, strand), 40, VideoPromptStatus::Completed, Some("Nebel über dem See")),
            record((user, strand), 50, VideoPromptStatus::Failed, None),
            record((user, berg), 30, VideoPromptStatus::Completed, Some(tricky)),
            record((user, buero), 20, VideoPromptStatus::Completed, None),
        ];
        let ids: Vec<Uuid> = rows.iter().map(|r| *r.id.as_ref()).collect();
        video_prompt::Entity::insert_many(rows).exec(&app.db).await.unwrap();
        // Someone else's prompts never show up.
        let (stranger_token, stranger) = register(&app, "fremd@example.de").await;
        let theirs = create_collection(&app, &stranger_token, "Fremd").await;
        let their_image: Uuid = upload_ok(&app, &stranger_token, &theirs, "tiny.png").await["id"]
            .as_str().unwrap().parse().unwrap();
        video_prompt::Entity::insert(record(
            (stranger.parse().unwrap(), their_image), 10, VideoPromptStatus::Completed, None,
        ))
        .exec(&app.db)
        .await
        .unwrap();

        let links = app
            .api.gql_ok(EXPORT_URLS, json!({ "image": strand, "collection": urlaub }), Some(&token))
            .await["data"]
            .clone();

        // JSON of one image: its two records, newest first, as the API reads them.
        let (status, headers, body) = download(&app, links["image"]["json"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json; charset=utf-8");
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(disposition.starts_with("attachment; filename=\"Videoprompts landscape "), "{disposition}");
        assert!(disposition.contains("filename*=UTF-8''Videoprompts%20landscape%20"), "{disposition}");
        assert_eq!(headers[header::CACHE_CONTROL], "private, no-store");
        let export: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(export["scope"], json!({ "kind": "image", "id": strand, "name": "landscape.jpg" }));
        let records = export["videoPrompts"].as_array().unwrap();
        let exported: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(exported, [ids[0].to_string(), ids[1].to_string()]);
        let through_api = app.api.gql_ok(
            "query($id: ID!) { videoPrompt(id: $id) { prompt notes model promptTokens outputTokens
                attempts createdAt completedAt details { scene camera lighting mood effects } } }",
            json!({ "id": ids[0] }),
            Some(&token),
        ).await["data"]["videoPrompt"].clone();
        let first = &records[0];
        for field in ["prompt", "notes", "model", "promptTokens", "outputTokens", "attempts", "details"] {
            assert_eq!(first[field], through_api[field], "{field}");
        }
        for field in ["createdAt", "completedAt"] {
            let exported: chrono::DateTime<Utc> = first[field].as_str().unwrap().parse().unwrap();
            let api: chrono::DateTime<Utc> = through_api[field].as_str().unwrap().parse().unwrap();
            assert_eq!(exported, api, "{field}");
        }
        assert_eq!(first["status"], "COMPLETED");
        assert_eq!(first["cameraStyle"], json!({ "value": "DRONE", "label": "Drohnenflug" }));
        assert_eq!(first["filmEffect"], json!({ "value": "GOLDEN_HOUR", "label": "Goldene Stunde" }));
        assert_eq!(first["collection"], json!({ "id": urlaub, "name": "Urlaub am See" }));
        assert_eq!(records[1]["status"], "FAILED");
        assert_eq!(records[1]["errorCode"], "GEMINI_BLOCKED");
        assert!(records[1]["details"].is_null());

        // CSV of a collection: BOM, German header, its three records, the tricky notes intact
        // but kept from running as a formula.
        let (status, headers, body) = download(&app, links["collection"]["csv"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8; header=present");
        assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("Urlaub%20am%20See"));
        let text = body.strip_prefix('\u{feff}').expect("a byte-order mark");
        assert!(text.contains("\r\n"));
        let table = read_csv(text);
        assert_eq!(table[0][..4], ["ID", "Bild", "Sammlung", "Status"]);
        assert_eq!(table.len(), 4, "{table:?}");
        assert!(table.iter().all(|row| row.len() == 22), "{table:?}");
        let exported: Vec<&str> = table[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(exported, [ids[2].to_string(), ids[0].to_string(), ids[1].to_string()]);
        let column = |name: &str| table[0].iter().position(|c| c == name).unwrap();
        assert_eq!(table[1][column("Notizen")], format!("'{tricky}"));
        assert_eq!(table[1][column("Kamerastil")], "Drohnenflug");
        assert_eq!(table[1][column("Filmeffekt")], "Goldene Stunde");
        assert_eq!(table[1][column("Status")], "Fertig");
        assert_eq!(table[1][column("Szene")], "Ein See im Morgennebel");
        assert_eq!(table[1][column("Sammlung")], "Urlaub am See");
        assert_eq!(table[3][column("Status")], "Fehlgeschlagen");
        assert_eq!(table[3][column("Fehlercode")], "GEMINI_BLOCKED");
        assert!(table[2][column("Prompt")].starts_with("Drohnenflug über den nebligen See; „Goldene"));
        assert_eq!(table[2][column("Eingabe-Tokens")], "1290");

        // Markdown of everything: German headings, all four records, none of the stranger's.
        let (status, headers, body) = download(&app, links["me"]["md"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "text/markdown; charset=utf-8");
        assert!(body.starts_with("# Videoprompts – Alle Prompts von export@example.de\n"), "{body}");
        assert_eq!(body.matches("\n## Drohnenflug · Goldene Stunde\n").count(), 4, "{body}");
        assert_eq!(body.matches("\n### Details\n").count(), 3, "{body}");
        assert!(body.contains("- **Szene:** Ein See im Morgennebel"), "{body}");
        assert!(body.contains("- **Status:** Fehlgeschlagen"), "{body}");
        assert!(body.contains("> Drohnenflug über den nebligen See"), "{body}");
        assert!(body.contains("*Modell gemini-3.8-flash · 1290 Eingabe-Tokens, 310 Ausgabe-Tokens · 1 Versuch*"), "{body}");
        let (_, _, all) = download(&app, links["me"]["json"].as_str().unwrap()).await;
        let all: Value = serde_json::from_str(&all).unwrap();
        assert_eq!(all["videoPrompts"].as_array().unwrap().len(), 4);

        // A link opens only what it was made for.
        let link = links["image"]["csv"].as_str().unwrap();
        for forged in [
            link.replace(".csv?", ".json?"),
            link.replace("/image/", "/collection/"),
            link.replace(&strand.to_string(), &berg.to_string()),
            link.replace("&sig=", "&sig=A"),
            link.split("&sig=").next().unwrap().to_owned(),
            link.replace("exp=", "exp=1"),
            format!("/exports/image/{strand}.csv"),
            format!("/exports/image/{strand}.pdf?exp=1&sig=x"),
        ] {
            let (status, _, body) = download(&app, &forged).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{forged}");
            assert!(body.is_empty());
        }
        // A link to what was deleted since: 404, nothing else.
        app.api.gql_ok("mutation($id: ID!) { deleteImage(id: $id) }", json!({ "id": strand }), Some(&token))
            .await;
        let (status, _, body) = download(&app, link).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.is_empty());
    }

    async fn ten_thousand_prompts_stream_out_page_by_page(app) {
        let (token, user) = register(&app, "viel@example.de").await;
        let collection = create_collection(&app, &token, "Viele").await;
        let image: Uuid = upload_ok(&app, &token, &collection, "tiny.png").await["id"]
            .as_str().unwrap().parse().unwrap();
        let owner = (user.parse().unwrap(), image);
        let start = Utc::now().trunc_subsecs(6) - Duration::days(30);
        let mut newest_first = Vec::new();
        for chunk in 0..20 {
            let rows: Vec<_> = (0..500)
                .map(|n| {
                    // Some records share a timestamp: the id orders those.
                    let at = start + Duration::seconds(chunk * 500 + n - n % 3);
                    let mut row = prompt_row(owner, VideoPromptStatus::Completed, at);
                    row.prompt = Set(Some(format!("Prompt {chunk}-{n}: Nebel über dem See")));
                    row
                })
                .collect();
            newest_first.extend(rows.iter().map(|r| (*r.created_at.as_ref(), *r.id.as_ref())));
            video_prompt::Entity::insert_many(rows).exec(&app.db).await.unwrap();
        }
        newest_first.sort_by(|a, b| b.cmp(a));

        let link = app
            .api.gql_ok("{ me { exportUrl(format: CSV) } }", json!({}), Some(&token))
            .await["data"]["me"]["exportUrl"]
            .as_str()
            .unwrap()
            .to_owned();
        let before = app.statements.get();
        let response = app.client.get(app.url(&link)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // Streamed: the length is not known when the answer starts.
        assert!(response.headers().get(header::CONTENT_LENGTH).is_none());
        let body = response.text().await.unwrap();
        let table = read_csv(body.strip_prefix('\u{feff}').unwrap());
        assert_eq!(table.len(), 10_001);
        let exported: Vec<String> = table[1..].iter().map(|row| row[0].clone()).collect();
        let expected: Vec<String> = newest_first.iter().map(|(_, id)| id.to_string()).collect();
        assert_eq!(exported, expected);
        // The title, then 21 pages of at most 500 rows (the last one empty).
        assert_eq!(app.statements.get() - before, 22);
    }
}
