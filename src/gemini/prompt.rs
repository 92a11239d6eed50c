//! What the model is asked: the German system instruction, the user message that names the
//! chosen camera style and film effect by their German labels, and the JSON schema of the answer.
//!
//! The schema lists `prompt` first (`propertyOrdering`): a streamed answer then starts with the
//! prompt itself, which the app can show growing while the details are still being written.

use serde_json::{Value, json};

use crate::domain::styles::{CameraStyle, FilmEffect};

/// How long the video prompt should be, stated to the model and kept in one place.
pub const PROMPT_LENGTH_WORDS: (u32, u32) = (80, 150);

/// The answer's fields, in the order the model writes them.
pub const OUTPUT_FIELDS: [&str; 6] = ["prompt", "scene", "camera", "lighting", "mood", "effects"];

/// The line of the user message that carries the user's notes. The stand-in looks for it.
pub const NOTES_LABEL: &str = "Hinweise des Nutzers:";
/// The lines of the user message that name the choices.
pub const CAMERA_LABEL: &str = "Kamerastil:";
pub const EFFECT_LABEL: &str = "Filmeffekt:";

/// The system instruction: who the model is and what it must write.
pub fn system_instruction() -> String {
    let (min, max) = PROMPT_LENGTH_WORDS;
    format!(
        "Du bist eine erfahrene Kamerafrau und Drehbuchautorin und schreibst Prompts für \
KI-Videogeneratoren wie Veo, Kling, Runway und Sora.\n\
Sieh dir das Bild genau an und schreibe einen lebendigen, konkreten Videoprompt auf Deutsch, \
der dem Bild treu bleibt: Beschreibe, was tatsächlich zu sehen ist (Motiv, Umgebung, Farben, \
Licht, Materialien) und wie es sich im Video plausibel bewegt. Erfinde keine Personen, Texte, \
Logos oder Orte, die das Bild nicht zeigt.\n\
Setze den gewünschten Kamerastil und den gewünschten Filmeffekt sichtbar um und beachte die \
Hinweise des Nutzers, sofern sie dem Bild nicht widersprechen.\n\
Der Prompt ist ein zusammenhängender Fließtext in der Gegenwart mit {min} bis {max} Wörtern, \
ohne Aufzählungen und ohne Überschriften.\n\
Antworte ausschließlich mit JSON nach dem vorgegebenen Schema, alle Texte auf Deutsch: \
\"prompt\" ist der fertige Videoprompt; \"scene\", \"camera\", \"lighting\", \"mood\" und \
\"effects\" fassen Szene, Kameraführung, Licht, Stimmung und Effekte in je ein bis zwei Sätzen \
zusammen."
    )
}

/// The user's text that accompanies the image.
pub fn user_message(camera: CameraStyle, effect: FilmEffect, notes: Option<&str>) -> String {
    let mut message = format!(
        "Schreibe den Videoprompt für dieses Bild.\n{CAMERA_LABEL} {}\n{EFFECT_LABEL} {}",
        camera.label(),
        effect.label()
    );
    if let Some(notes) = notes.map(str::trim).filter(|notes| !notes.is_empty()) {
        message.push('\n');
        message.push_str(NOTES_LABEL);
        message.push(' ');
        message.push_str(notes);
    }
    message
}

/// The `responseSchema` (OpenAPI subset, upper-case type names) of the answer.
pub fn response_schema() -> Value {
    let field = |description: &str| json!({ "type": "STRING", "description": description });
    json!({
        "type": "OBJECT",
        "properties": {
            "prompt": field("Der fertige deutsche Videoprompt."),
            "scene": field("Die Szene: Motiv und Umgebung."),
            "camera": field("Die Kameraführung."),
            "lighting": field("Das Licht."),
            "mood": field("Die Stimmung."),
            "effects": field("Filmeffekte und Look."),
        },
        "required": OUTPUT_FIELDS,
        "propertyOrdering": OUTPUT_FIELDS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_labels_and_notes() {
        let message = user_message(
            CameraStyle::DollyIn,
            FilmEffect::SlowMotion,
            Some("  Fokus auf den Karren "),
        );
        assert!(message.contains("Dolly-Fahrt auf das Motiv zu"));
        assert!(message.contains("Zeitlupe"));
        assert!(message.ends_with("Hinweise des Nutzers: Fokus auf den Karren"));
        let without = user_message(CameraStyle::Pan, FilmEffect::None, Some("   "));
        assert!(!without.contains(NOTES_LABEL));
    }

    #[test]
    fn the_schema_orders_prompt_first() {
        let schema = response_schema();
        let keys: Vec<_> = schema["properties"]
            .as_object()
            .map(|props| props.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(keys, OUTPUT_FIELDS);
        assert_eq!(schema["propertyOrdering"][0], "prompt");
    }
}
