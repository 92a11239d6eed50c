//! The Markdown export: a document for people, German headings, newest prompt first.
//!
//! ```markdown
//! # Videoprompts – Bild „strand.jpg“
//!
//! Exportiert am 06.12.2026 um 20:17 UTC.
//!
//! ## Drohnenflug · Goldene Stunde
//!
//! - **Bild:** strand.jpg (Sammlung „Urlaub“)
//! - **Status:** Fertig
//! …
//! > Der Prompt …
//!
//! ### Details
//! - **Szene:** …
//! ```
//!
//! Text a user or Gemini wrote has the characters Markdown would read as markup escaped, so a
//! note cannot turn into a link, an image or raw HTML when the file is rendered.

use chrono::{DateTime, Utc};

use super::{
    Writer,
    rows::{ExportRow, Title, status_label},
};

#[derive(Default)]
pub struct MarkdownWriter {
    written: usize,
}

/// `06.12.2026, 20:17 UTC`.
fn german_date(at: DateTime<Utc>) -> String {
    at.format("%d.%m.%Y, %H:%M UTC").to_string()
}

/// `text` with Markdown's markup characters escaped, on one line or several.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Writer for MarkdownWriter {
    fn begin(&mut self, title: &Title, out: &mut Vec<u8>) {
        let text = format!(
            "# Videoprompts – {}\n\nExportiert am {}.\n",
            escaped(&title.heading()),
            german_date(title.exported_at).replacen(", ", " um ", 1)
        );
        out.extend_from_slice(text.as_bytes());
    }

    fn record(&mut self, row: &ExportRow, out: &mut Vec<u8>) {
        use std::fmt::Write;
        let mut text = String::new();
        let (_, camera) = row.camera_style();
        let (_, effect) = row.film_effect();
        let _ = write!(
            text,
            "\n## {camera} · {effect}\n\n\
             - **Bild:** {} (Sammlung „{}“)\n\
             - **Status:** {}\n\
             - **Erstellt:** {}\n",
            escaped(&row.file_name),
            escaped(&row.collection_name),
            status_label(row.status),
            german_date(row.created_at),
        );
        if let Some(completed) = row.completed_at {
            let _ = writeln!(text, "- **Abgeschlossen:** {}", german_date(completed));
        }
        if let Some(notes) = row.notes.as_deref().filter(|n| !n.is_empty()) {
            let _ = writeln!(text, "- **Notizen:** {}", escaped(notes).replace('\n', " "));
        }
        if let Some(code) = &row.error_code {
            let message = row.error_message.as_deref().unwrap_or_default();
            let _ = writeln!(text, "- **Fehler:** {} ({code})", escaped(message));
        }
        if let Some(prompt) = row.prompt.as_deref().filter(|p| !p.is_empty()) {
            text.push('\n');
            for line in prompt.lines() {
                let _ = writeln!(text, "> {}", escaped(line));
            }
        }
        if let Some(details) = row.details() {
            text.push_str("\n### Details\n\n");
            for (label, value) in [
                ("Szene", &details.scene),
                ("Kamera", &details.camera),
                ("Licht", &details.lighting),
                ("Stimmung", &details.mood),
                ("Effekte", &details.effects),
            ] {
                let _ = writeln!(text, "- **{label}:** {}", escaped(value).replace('\n', " "));
            }
        }
        let mut usage = Vec::new();
        if let Some(model) = &row.model {
            usage.push(format!("Modell {}", escaped(model)));
        }
        if let (Some(input), Some(output)) = (row.prompt_tokens, row.output_tokens) {
            usage.push(format!("{input} Eingabe-Tokens, {output} Ausgabe-Tokens"));
        }
        usage.push(match row.attempts {
            1 => "1 Versuch".to_owned(),
            n => format!("{n} Versuche"),
        });
        let _ = writeln!(text, "\n*{}*", usage.join(" · "));
        out.extend_from_slice(text.as_bytes());
        self.written += 1;
    }

    fn end(&mut self, _title: &Title, out: &mut Vec<u8>) {
        if self.written == 0 {
            out.extend_from_slice("\nNoch keine Prompts.\n".as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_user_text_stays_text() {
        assert_eq!(
            escaped("![x](http://e) <b>*hi*</b>"),
            "\\!\\[x\\](http://e) \\<b\\>\\*hi\\*\\</b\\>"
        );
        assert_eq!(escaped("Nebel über dem See."), "Nebel über dem See.");
    }
}
