//! Reading a streamed answer: `SseDecoder` cuts the `text/event-stream` body into events, and
//! `PromptExtractor` pulls the growing `prompt` string out of the JSON fragments the events
//! carry, before the JSON is complete.
//!
//! Both are plain state machines fed whatever pieces the network delivers: an event, a line,
//! an escape sequence (`\u00e4`) or a surrogate pair may be split anywhere.

/// Splits an SSE body into the `data` of each event.
///
/// Gemini sends one `data: <json>` line per event and a blank line after it; the line ends are
/// `\n`, `\r\n` or `\r` (the SDKs accept all three, so do we). Other fields are ignored.
#[derive(Debug, Default)]
pub struct SseDecoder {
    /// Bytes not yet ending in a line break.
    pending: Vec<u8>,
    /// The `data` lines of the event being read.
    data: Vec<String>,
    /// The last byte consumed was `\r`: a following `\n` belongs to the same line break.
    after_cr: bool,
}

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; returns the data of every event they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut events = Vec::new();
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.pending);
                    self.end_line(&line, &mut events);
                }
                _ => self.pending.push(byte),
            }
        }
        events
    }

    /// The body ended: an event not closed by a blank line is still delivered.
    pub fn finish(&mut self) -> Option<String> {
        let line = std::mem::take(&mut self.pending);
        let mut events = Vec::new();
        if !line.is_empty() {
            self.end_line(&line, &mut events);
        }
        self.end_line(b"", &mut events);
        events.pop()
    }

    fn end_line(&mut self, line: &[u8], events: &mut Vec<String>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                events.push(std::mem::take(&mut self.data).join("\n"));
            }
            return;
        }
        let line = String::from_utf8_lossy(line);
        if let Some(value) = line.strip_prefix("data:") {
            // The SSE spec drops one space after the colon.
            self.data
                .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
    }
}

/// Extracts the top-level `"prompt"` string from JSON text that arrives in fragments.
///
/// It scans the object's keys at depth one; other members' values are skipped whole (strings,
/// nested objects and arrays included), so `prompt` need not be first — it only shows earlier
/// when it is. Decoding follows JSON: all escapes, `\u` sequences and surrogate pairs.
#[derive(Debug, Default)]
pub struct PromptExtractor {
    state: State,
    prompt: String,
    /// The key being read (only its decoded text is needed to compare with `prompt`).
    key: String,
    /// The hex digits of an unfinished `\u` escape.
    hex: String,
    /// A high surrogate waiting for its low half.
    high_surrogate: Option<u16>,
    /// While skipping a value: nesting depth, and whether inside a string / after a backslash.
    skip_depth: u32,
    skip_in_string: bool,
    skip_escaped: bool,
    /// The prompt's closing quote was read.
    finished_prompt: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `{`.
    #[default]
    Start,
    /// Inside the object, expecting a key (or `}`).
    ExpectKey,
    /// Inside a key string; `escaped` after a backslash.
    Key { escaped: bool },
    /// After a key, expecting `:`.
    Colon { is_prompt: bool },
    /// After `:`, expecting the value.
    Value { is_prompt: bool },
    /// Inside the prompt string.
    Prompt,
    /// Inside the prompt string, after a backslash.
    PromptEscape,
    /// Inside the prompt string, reading the 4 hex digits of `\u`.
    PromptUnicode,
    /// Skipping another member's value.
    Skip,
    /// After a value, expecting `,` or `}`.
    AfterValue,
    /// The prompt is complete (or the text is not an object we understand).
    Done,
}

impl PromptExtractor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The prompt text decoded so far.
    pub fn prompt(&self) -> &str {
        &self.prompt
    }

    /// Whether the prompt's closing quote has been read.
    pub fn is_complete(&self) -> bool {
        self.finished_prompt
    }

    /// Feeds a fragment; returns true when the prompt grew.
    pub fn push(&mut self, fragment: &str) -> bool {
        let before = self.prompt.len();
        for ch in fragment.chars() {
            if self.state == State::Done {
                break;
            }
            self.step(ch);
        }
        self.prompt.len() > before
    }

    fn step(&mut self, ch: char) {
        use State::*;
        self.state = match self.state {
            Start if ch == '{' => ExpectKey,
            Start if ch.is_whitespace() => Start,
            Start => Done,
            ExpectKey if ch == '"' => {
                self.key.clear();
                Key { escaped: false }
            }
            ExpectKey if ch.is_whitespace() || ch == ',' => ExpectKey,
            ExpectKey => Done,
            Key { escaped: true } => {
                self.key.push(ch);
                Key { escaped: false }
            }
            Key { escaped: false } if ch == '\\' => Key { escaped: true },
            Key { escaped: false } if ch == '"' => Colon {
                is_prompt: self.key == "prompt",
            },
            Key { escaped: false } => {
                self.key.push(ch);
                Key { escaped: false }
            }
            Colon { is_prompt } if ch == ':' => Value { is_prompt },
            Colon { is_prompt } if ch.is_whitespace() => Colon { is_prompt },
            Colon { .. } => Done,
            Value { is_prompt } if ch.is_whitespace() => Value { is_prompt },
            Value { is_prompt: true } if ch == '"' => Prompt,
            // A prompt that is not a string: nothing to show.
            Value { is_prompt: true } => Done,
            Value { is_prompt: false } => self.start_skip(ch),
            Prompt if ch == '"' => {
                self.flush_surrogate();
                self.finished_prompt = true;
                Done
            }
            Prompt if ch == '\\' => PromptEscape,
            Prompt => {
                self.flush_surrogate();
                self.prompt.push(ch);
                Prompt
            }
            PromptEscape if ch == 'u' => {
                self.hex.clear();
                PromptUnicode
            }
            PromptEscape => {
                self.flush_surrogate();
                let decoded = match ch {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    // `\"`, `\\`, `\/`, and (leniently) anything else stands for itself.
                    other => other,
                };
                self.prompt.push(decoded);
                Prompt
            }
            PromptUnicode => {
                self.hex.push(ch);
                if self.hex.len() < 4 {
                    PromptUnicode
                } else {
                    let unit = u16::from_str_radix(&self.hex, 16).unwrap_or(0xFFFD);
                    self.push_utf16(unit);
                    Prompt
                }
            }
            Skip => self.skip(ch),
            AfterValue if ch == ',' => ExpectKey,
            AfterValue if ch.is_whitespace() => AfterValue,
            AfterValue => Done,
            Done => Done,
        };
    }

    /// Starts skipping a non-prompt value at its first character.
    fn start_skip(&mut self, ch: char) -> State {
        self.skip_depth = 0;
        self.skip_in_string = false;
        self.skip_escaped = false;
        self.skip(ch)
    }

    fn skip(&mut self, ch: char) -> State {
        if self.skip_in_string {
            if self.skip_escaped {
                self.skip_escaped = false;
            } else if ch == '\\' {
                self.skip_escaped = true;
            } else if ch == '"' {
                self.skip_in_string = false;
                if self.skip_depth == 0 {
                    return State::AfterValue;
                }
            }
            return State::Skip;
        }
        match ch {
            '"' => self.skip_in_string = true,
            '{' | '[' => self.skip_depth += 1,
            '}' | ']' if self.skip_depth > 0 => {
                self.skip_depth -= 1;
                if self.skip_depth == 0 {
                    return State::AfterValue;
                }
            }
            // The end of a scalar (number, true, null) at depth zero.
            ',' if self.skip_depth == 0 => return State::ExpectKey,
            '}' => return State::Done,
            _ => {}
        }
        State::Skip
    }

    /// Appends one UTF-16 code unit, pairing surrogates.
    fn push_utf16(&mut self, unit: u16) {
        match unit {
            0xD800..=0xDBFF => {
                self.flush_surrogate();
                self.high_surrogate = Some(unit);
            }
            0xDC00..=0xDFFF => match self.high_surrogate.take() {
                Some(high) => {
                    let code =
                        0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                    self.prompt
                        .push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                None => self.prompt.push(char::REPLACEMENT_CHARACTER),
            },
            _ => {
                self.flush_surrogate();
                self.prompt
                    .push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    /// A high surrogate not followed by a low one becomes U+FFFD, as lossy decoders do.
    fn flush_surrogate(&mut self) {
        if self.high_surrogate.take().is_some() {
            self.prompt.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extract_in_pieces(json: &str, piece: usize) -> (String, bool) {
        let mut extractor = PromptExtractor::new();
        let chars: Vec<char> = json.chars().collect();
        for chunk in chars.chunks(piece) {
            extractor.push(&chunk.iter().collect::<String>());
        }
        (extractor.prompt().to_owned(), extractor.is_complete())
    }

    #[test]
    fn sse_events_split_anywhere_and_any_line_end() {
        let body =
            b"data: {\"a\":1}\n\ndata: {\"b\":2}\r\n\r\ndata: {\"c\":3}\r\rdata: {\"d\":4}\n\n";
        for size in 1..body.len() {
            let mut decoder = SseDecoder::new();
            let mut events = Vec::new();
            for chunk in body.chunks(size) {
                events.extend(decoder.push(chunk));
            }
            assert_eq!(decoder.finish(), None);
            assert_eq!(
                events,
                ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"],
                "chunk size {size}"
            );
        }
    }

    #[test]
    fn sse_ignores_other_fields_and_keeps_an_unterminated_last_event() {
        let mut decoder = SseDecoder::new();
        let events = decoder.push(b": comment\nevent: x\ndata:{\"a\":1}\n\ndata: {\"b\"");
        assert_eq!(events, ["{\"a\":1}"]);
        assert_eq!(decoder.finish().as_deref(), Some("{\"b\""));
    }

    #[test]
    fn the_prompt_grows_fragment_by_fragment() {
        let mut extractor = PromptExtractor::new();
        assert!(!extractor.push("{\"pro"));
        assert!(extractor.push("mpt\": \"Ein Kar"));
        assert_eq!(extractor.prompt(), "Ein Kar");
        assert!(extractor.push("ren\", \"scene\": \"x\"}"));
        assert_eq!(extractor.prompt(), "Ein Karren");
        assert!(extractor.is_complete());
    }

    #[test]
    fn escapes_decode_across_every_split() {
        let json = r#"{"prompt": "Sie sagt \"Halt\"\n\tBäume \u00e4\u00DF \ud83c\udfac Ende \\ \/", "scene": "s"}"#;
        let expected = "Sie sagt \"Halt\"\n\tBäume äß 🎬 Ende \\ /";
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(json).unwrap()["prompt"],
            expected
        );
        for piece in 1..json.chars().count() {
            assert_eq!(
                extract_in_pieces(json, piece),
                (expected.to_owned(), true),
                "{piece}"
            );
        }
    }

    #[test]
    fn a_split_unicode_escape_is_held_back_until_complete() {
        let mut extractor = PromptExtractor::new();
        extractor.push("{\"prompt\":\"Gr\\u00");
        assert_eq!(extractor.prompt(), "Gr");
        extractor.push("fc\\ud83c");
        // A high surrogate alone is not shown until its partner arrives.
        assert_eq!(extractor.prompt(), "Grü");
        extractor.push("\\udfac!");
        assert_eq!(extractor.prompt(), "Grü🎬!");
    }

    #[test]
    fn a_prompt_after_other_members_is_found() {
        let json = r#"{"scene": "a \"}\" b", "n": [1, {"x": "}"}], "k": 3, "prompt": "Hallo"}"#;
        assert_eq!(extract_in_pieces(json, 3), ("Hallo".to_owned(), true));
    }

    #[test]
    fn a_stream_that_ends_early_keeps_what_arrived() {
        let (prompt, complete) = extract_in_pieces(r#"{"prompt": "Ein halber Sa"#, 4);
        assert_eq!(prompt, "Ein halber Sa");
        assert!(!complete);
        assert_eq!(
            extract_in_pieces("Das ist kein JSON", 2),
            (String::new(), false)
        );
        assert_eq!(
            extract_in_pieces(r#"{"prompt": 42}"#, 2),
            (String::new(), false)
        );
    }
}
