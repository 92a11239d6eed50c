//! The JSON export: one document with the scope and its records, field names and enum values
//! as the GraphQL API has them (plus the German labels of the choices), for programs to read.
//!
//! ```json
//! { "exportedAt": "…", "scope": { "kind": "image", "id": "…", "name": "strand.jpg" },
//!   "videoPrompts": [ { "id": "…", "status": "COMPLETED", "prompt": "…", … } ] }
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{
    Writer,
    rows::{Details, ExportRow, Title},
};

#[derive(Default)]
pub struct JsonWriter {
    written: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    id: Uuid,
    image: Named<'a>,
    collection: Named<'a>,
    status: &'a str,
    camera_style: Choice<'a>,
    film_effect: Choice<'a>,
    notes: Option<&'a str>,
    prompt: Option<&'a str>,
    details: Option<Details>,
    model: Option<&'a str>,
    prompt_tokens: Option<i32>,
    output_tokens: Option<i32>,
    attempts: i32,
    error_code: Option<&'a str>,
    error_message: Option<&'a str>,
    created_at: String,
    started_at: Option<String>,
    completed_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Named<'a> {
    id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct Choice<'a> {
    value: &'a str,
    label: &'a str,
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Writer for JsonWriter {
    fn begin(&mut self, title: &Title, out: &mut Vec<u8>) {
        let head = serde_json::json!({
            "exportedAt": timestamp(title.exported_at),
            "scope": { "kind": title.scope.kind(), "id": title.scope.id(), "name": title.name },
        });
        let head = head.to_string();
        // The object without its closing brace; the records' array follows.
        out.extend_from_slice(&head.as_bytes()[..head.len() - 1]);
        out.extend_from_slice(b",\"videoPrompts\":[");
    }

    fn record(&mut self, row: &ExportRow, out: &mut Vec<u8>) {
        let (camera_value, camera_label) = row.camera_style();
        let (effect_value, effect_label) = row.film_effect();
        let record = Record {
            id: row.id,
            image: Named {
                id: row.image_id,
                file_name: Some(&row.file_name),
                name: None,
            },
            collection: Named {
                id: row.collection_id,
                file_name: None,
                name: Some(&row.collection_name),
            },
            status: row.status.as_str(),
            camera_style: Choice {
                value: camera_value,
                label: camera_label,
            },
            film_effect: Choice {
                value: effect_value,
                label: effect_label,
            },
            notes: row.notes.as_deref(),
            prompt: row.prompt.as_deref(),
            details: row.details(),
            model: row.model.as_deref(),
            prompt_tokens: row.prompt_tokens,
            output_tokens: row.output_tokens,
            attempts: row.attempts,
            error_code: row.error_code.as_deref(),
            error_message: row.error_message.as_deref(),
            created_at: timestamp(row.created_at),
            started_at: row.started_at.map(timestamp),
            completed_at: row.completed_at.map(timestamp),
        };
        out.extend_from_slice(if self.written == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut *out, &record).expect("BUG: a record always serialises");
        self.written += 1;
    }

    fn end(&mut self, _title: &Title, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.written == 0 {
            b"]}\n"
        } else {
            b"\n]}\n"
        });
    }
}
