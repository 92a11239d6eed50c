//! The CSV export: what spreadsheet programs open as they are set up in Germany.
//!
//! UTF-8 with a byte-order mark (without it Excel reads UTF-8 as Windows-1252 and the umlauts
//! break), fields separated by semicolons (the list separator of German locales: a comma-
//! separated file opens as one column in a German Excel), CRLF line ends and RFC 4180 quoting.
//! A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in
//! front, so a spreadsheet shows it as text instead of running it as a formula (CSV injection:
//! prompts and notes are text a user or Gemini chose).

use chrono::{DateTime, Utc};

use super::{
    Writer,
    rows::{ExportRow, Title, status_label},
};

const SEPARATOR: u8 = b';';
const BOM: &str = "\u{feff}";

const COLUMNS: [&str; 22] = [
    "ID",
    "Bild",
    "Sammlung",
    "Status",
    "Kamerastil",
    "Filmeffekt",
    "Notizen",
    "Prompt",
    "Szene",
    "Kamera",
    "Licht",
    "Stimmung",
    "Effekte",
    "Modell",
    "Eingabe-Tokens",
    "Ausgabe-Tokens",
    "Versuche",
    "Fehlercode",
    "Fehlermeldung",
    "Erstellt (UTC)",
    "Begonnen (UTC)",
    "Abgeschlossen (UTC)",
];

pub struct CsvWriter;

impl Writer for CsvWriter {
    fn begin(&mut self, _title: &Title, out: &mut Vec<u8>) {
        out.extend_from_slice(BOM.as_bytes());
        line(out, COLUMNS.iter().map(|c| Cell::Text(c)));
    }

    fn record(&mut self, row: &ExportRow, out: &mut Vec<u8>) {
        let details = row.details();
        let detail =
            |pick: fn(&super::rows::Details) -> &str| Cell::Text(details.as_ref().map_or("", pick));
        let id = row.id.to_string();
        let numbers = [
            row.prompt_tokens.map(|n| n.to_string()),
            row.output_tokens.map(|n| n.to_string()),
            Some(row.attempts.to_string()),
        ];
        let dates = [Some(row.created_at), row.started_at, row.completed_at].map(date);
        let cells = [
            Cell::Plain(&id),
            Cell::Text(&row.file_name),
            Cell::Text(&row.collection_name),
            Cell::Plain(status_label(row.status)),
            Cell::Plain(row.camera_style().1),
            Cell::Plain(row.film_effect().1),
            Cell::Text(row.notes.as_deref().unwrap_or_default()),
            Cell::Text(row.prompt.as_deref().unwrap_or_default()),
            detail(|d| &d.scene),
            detail(|d| &d.camera),
            detail(|d| &d.lighting),
            detail(|d| &d.mood),
            detail(|d| &d.effects),
            Cell::Text(row.model.as_deref().unwrap_or_default()),
            Cell::Plain(numbers[0].as_deref().unwrap_or_default()),
            Cell::Plain(numbers[1].as_deref().unwrap_or_default()),
            Cell::Plain(numbers[2].as_deref().unwrap_or_default()),
            Cell::Plain(row.error_code.as_deref().unwrap_or_default()),
            Cell::Text(row.error_message.as_deref().unwrap_or_default()),
            Cell::Plain(&dates[0]),
            Cell::Plain(&dates[1]),
            Cell::Plain(&dates[2]),
        ];
        line(out, cells.into_iter());
    }

    fn end(&mut self, _title: &Title, _out: &mut Vec<u8>) {}
}

/// A cell's value: `Plain` for what the server wrote (ids, labels, numbers, dates), `Text` for
/// what a user or Gemini wrote, which is kept from being read as a formula.
enum Cell<'a> {
    Plain(&'a str),
    Text(&'a str),
}

/// A date as spreadsheets read it: `2026-12-06 20:17:32` (UTC), empty for none.
fn date(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn line<'a>(out: &mut Vec<u8>, cells: impl Iterator<Item = Cell<'a>>) {
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        let (value, guard) = match cell {
            Cell::Plain(value) => (value, false),
            Cell::Text(value) => (value, value.starts_with(['=', '+', '-', '@', '\t', '\r'])),
        };
        field(out, value, guard);
    }
    out.extend_from_slice(b"\r\n");
}

/// One field, quoted when it holds a separator, a quote or a line break (quotes doubled).
fn field(out: &mut Vec<u8>, value: &str, formula_guard: bool) {
    let quoted = value
        .bytes()
        .any(|b| matches!(b, SEPARATOR | b'"' | b'\n' | b'\r'));
    if quoted {
        out.push(b'"');
    }
    if formula_guard {
        out.push(b'\'');
    }
    if quoted {
        for part in value.split_inclusive('"') {
            out.extend_from_slice(part.as_bytes());
            if part.ends_with('"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(value: &str, guard: bool) -> String {
        let mut out = Vec::new();
        field(&mut out, value, guard);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(written("Nebel über dem See", false), "Nebel über dem See");
        assert_eq!(written("a;b", false), "\"a;b\"");
        assert_eq!(written("sagt \"hallo\"", false), "\"sagt \"\"hallo\"\"\"");
        assert_eq!(written("zwei\nZeilen", false), "\"zwei\nZeilen\"");
        assert_eq!(written("a,b", false), "a,b");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_kept_text() {
        let mut out = Vec::new();
        line(
            &mut out,
            [
                Cell::Text("=HYPERLINK(\"x\")"),
                Cell::Text("-2+3"),
                Cell::Text("@SUM(A1)"),
                Cell::Plain("2026-12-06"),
                Cell::Text("ok"),
            ]
            .into_iter(),
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"'=HYPERLINK(\"\"x\"\")\";'-2+3;'@SUM(A1);2026-12-06;ok\r\n"
        );
    }
}
