//! The stand-in's answer: German text that follows the requested schema and reflects the
//! request. It names the camera style and film effect whose German labels it finds in the
//! user's text, and echoes the notes, so a test can tell a right request from a wrong one.

use serde_json::{Map, Value, json};

use super::request::Parsed;
use crate::{
    domain::styles::{CameraStyle, FilmEffect},
    gemini::prompt::NOTES_LABEL,
};

/// What the stand-in understood of the request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reflection {
    pub camera: Option<&'static str>,
    pub effect: Option<&'static str>,
    pub notes: Option<String>,
    /// The MIME types of the images sent.
    pub images: Vec<String>,
}

impl Reflection {
    pub fn of(parsed: &Parsed, image_types: Vec<String>) -> Self {
        let text = &parsed.user_text;
        // The longest label found wins, should one label ever contain another.
        let longest = |labels: Vec<&'static str>| {
            labels
                .into_iter()
                .filter(|label| text.contains(label))
                .max_by_key(|label| label.len())
        };
        Self {
            camera: longest(CameraStyle::ALL.iter().map(|s| s.label()).collect()),
            effect: longest(FilmEffect::ALL.iter().map(|e| e.label()).collect()),
            notes: text
                .lines()
                .find_map(|line| line.strip_prefix(NOTES_LABEL))
                .map(|notes| notes.trim().to_owned())
                .filter(|notes| !notes.is_empty()),
            images: image_types,
        }
    }

    fn camera(&self) -> &str {
        self.camera.unwrap_or("ohne vorgegebene Kamerabewegung")
    }

    fn effect(&self) -> &str {
        self.effect.unwrap_or("ohne vorgegebenen Effekt")
    }

    fn image(&self) -> String {
        match self.images.as_slice() {
            [] => "die beschriebene Szene".to_owned(),
            [one] => format!("das Motiv des Bildes ({one})"),
            many => format!("die Motive der {} Bilder", many.len()),
        }
    }

    /// The video prompt. It holds quotes, a dash and umlauts on purpose: streamed, they arrive
    /// JSON-escaped and must survive incremental decoding.
    pub fn prompt(&self) -> String {
        let mut prompt = format!(
            "{camera}: Die Kamera erfasst {image} ruhig und genau so, wie es zu sehen ist – \
             klare Formen, natürliche Farben, sanfte Bewegung im Wind. Der Filmeffekt \
             \"{effect}\" prägt den Look; weiches Licht, ruhige Stimmung, acht Sekunden.",
            camera = self.camera(),
            effect = self.effect(),
            image = self.image(),
        );
        if let Some(notes) = &self.notes {
            prompt.push_str(&format!(" Berücksichtigt: {notes}."));
        }
        prompt
    }

    /// A text for a schema field.
    fn field(&self, name: &str) -> String {
        match name {
            "prompt" => self.prompt(),
            "scene" => format!("Szene: {}, wie im Bild.", self.image()),
            "camera" => format!("Kamera: {}.", self.camera()),
            "lighting" => "Licht: weiches, natürliches Tageslicht.".to_owned(),
            "mood" => "Stimmung: ruhig und einladend.".to_owned(),
            "effects" => format!("Effekte: {}.", self.effect()),
            other => format!(
                "Stand-in-Antwort für „{other}“: {}, {}.",
                self.camera(),
                self.effect()
            ),
        }
    }

    /// The answer text: JSON following the schema when JSON was asked for, else the prompt.
    pub fn answer(&self, parsed: &Parsed) -> String {
        if parsed.response_mime_type.as_deref() != Some("application/json") {
            return self.prompt();
        }
        let value = match &parsed.schema {
            Some(schema) => self.fill(schema, schema, "answer", 0),
            None => {
                let fields = ["prompt", "scene", "camera", "lighting", "mood", "effects"];
                Value::Object(
                    fields
                        .iter()
                        .map(|name| ((*name).to_owned(), Value::String(self.field(name))))
                        .collect(),
                )
            }
        };
        value.to_string()
    }

    /// A text that is not the JSON asked for (`fault:malformed`).
    pub fn malformed(&self) -> String {
        format!(
            "Gerne! Hier ist Ihr Videoprompt:\n\n**{}**\n\nViel Erfolg mit Ihrem Video!",
            self.prompt()
        )
    }

    /// A value for `schema` (OpenAPI subset or JSON Schema), named `name` in its parent.
    fn fill(&self, root: &Value, schema: &Value, name: &str, depth: u32) -> Value {
        if depth > 16 {
            return Value::Null;
        }
        if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
            let resolved = target
                .strip_prefix("#/")
                .map(|path| path.split('/').fold(root, |node, key| &node[key]))
                .filter(|node| !node.is_null());
            return resolved.map_or(Value::Null, |node| self.fill(root, node, name, depth + 1));
        }
        if let Some(first) = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array)
            .and_then(|options| {
                options
                    .iter()
                    .find(|option| type_of(option) != Some("null".into()))
            })
        {
            return self.fill(root, first, name, depth + 1);
        }
        if let Some(first) = schema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return first.clone();
        }
        let kind = type_of(schema).unwrap_or_else(|| {
            if schema.get("properties").is_some() {
                "object".into()
            } else {
                "string".into()
            }
        });
        match kind.as_str() {
            "object" => {
                let properties = schema.get("properties").and_then(Value::as_object);
                let ordering: Vec<String> = schema
                    .get("propertyOrdering")
                    .and_then(Value::as_array)
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .or_else(|| properties.map(|props| props.keys().cloned().collect()))
                    .unwrap_or_default();
                let mut object = Map::new();
                for key in ordering {
                    if let Some(property) = properties.and_then(|props| props.get(&key)) {
                        let value = self.fill(root, property, &key, depth + 1);
                        object.insert(key, value);
                    }
                }
                Value::Object(object)
            }
            "array" => {
                let items = schema.get("items").cloned().unwrap_or(json!({}));
                json!([self.fill(root, &items, name, depth + 1)])
            }
            "integer" => json!(1),
            "number" => json!(1.0),
            "boolean" => json!(true),
            "null" => Value::Null,
            _ => Value::String(self.field(name)),
        }
    }
}

/// A schema's type, lower-cased (`OBJECT` and `object` alike; the first non-null of a list).
fn type_of(schema: &Value) -> Option<String> {
    match schema.get("type")? {
        Value::String(kind) => Some(kind.to_ascii_lowercase()),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .find(|kind| kind != "null"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemini::prompt;

    #[test]
    fn the_answer_follows_the_schema_and_names_the_choices() {
        let parsed = Parsed {
            user_text: prompt::user_message(
                CameraStyle::Orbit,
                FilmEffect::Noir,
                Some("Mehr Nebel"),
            ),
            images: Vec::new(),
            response_mime_type: Some("application/json".into()),
            schema: Some(prompt::response_schema()),
        };
        let reflection = Reflection::of(&parsed, vec!["image/png".into()]);
        let answer: Value = serde_json::from_str(&reflection.answer(&parsed)).unwrap();
        let keys: Vec<_> = answer.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, prompt::OUTPUT_FIELDS);
        let text = answer["prompt"].as_str().unwrap();
        assert!(text.starts_with("Kreisfahrt um das Motiv"));
        assert!(text.contains("\"Film noir\""));
        assert!(text.contains("Mehr Nebel"));
    }

    #[test]
    fn json_schemas_with_refs_are_filled() {
        let schema = json!({"type": "object", "properties": {"items": {"type": "array",
            "items": {"$ref": "#/$defs/Item"}}}, "$defs": {"Item": {"type": "object",
            "properties": {"label": {"type": "string"}, "n": {"type": ["integer", "null"]}}}}});
        let parsed = Parsed {
            response_mime_type: Some("application/json".into()),
            schema: Some(schema),
            ..Parsed::default()
        };
        let answer: Value = serde_json::from_str(&Reflection::default().answer(&parsed)).unwrap();
        assert!(answer["items"][0]["label"].is_string());
        assert_eq!(answer["items"][0]["n"], 1);
    }
}
