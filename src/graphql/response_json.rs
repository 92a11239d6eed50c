//! Writes GraphQL responses as JSON, straight from async-graphql's value tree into the body.
//!
//! The output is byte for byte what `serde_json` writes (the tests hold it to that). It exists
//! because the response data is mostly text (German prompts) and serde_json escapes strings
//! one byte at a time: on the app's largest page that loop alone was a tenth of the server's
//! CPU. Here strings are scanned sixteen bytes at a time and copied in runs. Errors and
//! extensions are small and go through serde_json as before.
//!
//! JSON written ahead: a page node whose fields are all plain (`plain_fields`) is written to
//! JSON as it resolves, and travels through async-graphql's value tree as
//! [`Value::Binary`] holding those bytes, which this writer copies as they are. async-graphql's
//! `Value` has no variant for that, and no field of this schema returns bytes (its scalars are
//! text, numbers, ids and dates), so `Binary` means JSON here: every answer, over HTTP and over
//! WebSocket, is written by this module, never by serde (which would write the bytes as an
//! array of numbers).

use async_graphql::{Response, Value};

/// The response as the spec shapes it: `data` (left out for a request error, which stops
/// before execution), then `extensions` and `errors` when there are any.
pub fn write_response(out: &mut Vec<u8>, response: &Response, with_data: bool) {
    out.push(b'{');
    let mut first = true;
    let mut key = |out: &mut Vec<u8>, name: &str| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        write_str(out, name);
        out.push(b':');
    };
    if with_data {
        // Reserved at once: an answer of megabytes grown by doubling is copied again at every
        // step, and ends in a buffer up to twice its size.
        out.reserve(len_hint(&response.data) + 64);
        key(out, "data");
        write_value(out, &response.data);
    }
    if !response.extensions.is_empty() {
        key(out, "extensions");
        serde_json::to_writer(&mut *out, &response.extensions)
            .expect("BUG: writing JSON into a Vec cannot fail");
    }
    if !response.errors.is_empty() {
        key(out, "errors");
        serde_json::to_writer(&mut *out, &response.errors)
            .expect("BUG: writing JSON into a Vec cannot fail");
    }
    out.push(b'}');
}

/// One value, as serde_json writes it.
pub fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Boolean(true) => out.extend_from_slice(b"true"),
        Value::Boolean(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => out.extend_from_slice(number.to_string().as_bytes()),
        Value::String(text) => write_str(out, text),
        Value::Enum(name) => write_str(out, name),
        // JSON written ahead (see the module's note).
        Value::Binary(json) => out.extend_from_slice(json),
        Value::List(items) => write_list(out, items.iter(), write_value),
        Value::Object(fields) => {
            out.push(b'{');
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, name);
                out.push(b':');
                write_value(out, value);
            }
            out.push(b'}');
        }
    }
}

/// About how many bytes [`write_value`] writes for `value`: exact but for numbers and escapes.
fn len_hint(value: &Value) -> usize {
    match value {
        Value::Null | Value::Boolean(true) => 4,
        Value::Boolean(false) => 5,
        Value::Number(_) => 8,
        Value::String(text) => text.len() + 2,
        Value::Enum(name) => name.len() + 2,
        Value::Binary(json) => json.len(),
        Value::List(items) => items.iter().map(|item| len_hint(item) + 1).sum::<usize>() + 2,
        Value::Object(fields) => {
            fields
                .iter()
                .map(|(name, value)| name.len() + 4 + len_hint(value))
                .sum::<usize>()
                + 2
        }
    }
}

fn write_list<T>(
    out: &mut Vec<u8>,
    items: impl Iterator<Item = T>,
    mut write: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(b']');
}

/// A JSON string: `"`, `\` and the control characters escaped as serde_json does (`\n` and
/// friends where JSON has them, `\u00XX` otherwise); everything else, UTF-8 included, as is.
pub fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // `copied`: where the part not yet written starts; `at`: where the search goes on.
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = next_to_escape(bytes, at) {
        out.extend_from_slice(&bytes[copied..found]);
        let byte = bytes[found];
        write_escape(out, byte, escape_of(byte).expect("found by next_to_escape"));
        copied = found + 1;
        at = found + 1;
    }
    out.extend_from_slice(&bytes[copied..]);
    out.push(b'"');
}

/// The position of the first byte from `from` on that needs escaping: sixteen bytes at a time
/// with SSE2 (part of every x86-64 processor), then eight at a time.
fn next_to_escape(bytes: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    let from = {
        let mut i = from;
        // Sixty-four bytes a step while nothing needs escaping (prose): one test per step, and
        // the first marked byte's position straight from the four masks side by side.
        while let Some(block) = bytes.get(i..i + 64) {
            let mask = (0..4).fold(0u64, |mask, quarter| {
                let chunk = &block[quarter * 16..quarter * 16 + 16];
                let quarter_mask = sse2::escape_mask(chunk.try_into().expect("sixteen bytes"));
                mask | u64::from(quarter_mask) << (quarter * 16)
            });
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 64;
        }
        while let Some(chunk) = bytes.get(i..i + 16) {
            let mask = sse2::escape_mask(chunk.try_into().expect("sixteen bytes"));
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
        i
    };
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mask = escape_mask(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
        if mask != 0 {
            // The lowest marked byte is exact (see `escape_mask`); little-endian, so the first.
            return Some(i + (mask.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|byte| escape_of(*byte).is_some())
        .map(|offset| i + offset)
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each of the eight bytes that is below 0x20, `"` or `\` (the classic "has a
/// zero byte" test). A borrow can also mark a byte *after* a marked one, never one before it,
/// so the lowest marked byte is always a real one; bytes with the high bit set, UTF-8's, are
/// never marked.
fn escape_mask(word: u64) -> u64 {
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    below_space
        | zero_bytes(word ^ (ONES * u64::from(b'"')))
        | zero_bytes(word ^ (ONES * u64::from(b'\\')))
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// Bit `n` set when byte `n` is below 0x20, `"` or `\`.
    pub fn escape_mask(chunk: &[u8; 16]) -> u32 {
        // SAFETY: SSE2 is part of the x86-64 baseline, so these instructions exist on every
        // processor this code runs on; the load reads exactly the 16 bytes of `chunk` and
        // allows any alignment.
        unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            // Unsigned `byte <= 0x1f` is `min(byte, 0x1f) == byte`.
            let control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1f)), bytes);
            let quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'"' as i8));
            let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
            _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) as u32
        }
    }
}

/// How serde_json escapes `byte`: `Some(letter)` for `\letter`, `Some(b'u')` for `\u00XX`.
fn escape_of(byte: u8) -> Option<u8> {
    match byte {
        b'"' => Some(b'"'),
        b'\\' => Some(b'\\'),
        0x08 => Some(b'b'),
        0x0C => Some(b'f'),
        b'\n' => Some(b'n'),
        b'\r' => Some(b'r'),
        b'\t' => Some(b't'),
        0x00..=0x1F => Some(b'u'),
        _ => None,
    }
}

fn write_escape(out: &mut Vec<u8>, byte: u8, escape: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if escape == b'u' {
        out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xF)],
        ]);
    } else {
        out.extend_from_slice(&[b'\\', escape]);
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Name, ServerError, indexmap::IndexMap};

    use super::*;

    fn ours(value: &Value) -> String {
        let mut out = Vec::new();
        write_value(&mut out, value);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "a".into(),
            "Eine langsame Kamerafahrt über den Marktplatz, goldenes Licht – „Abend“.".into(),
            "quote \" backslash \\ slash / tab \t newline \n cr \r".into(),
            "emoji 🎬 and ß and 日本".into(),
            "\u{7f}\u{80}\u{2028}\u{2029}".into(),
        ];
        // Every control character, and each special byte at every position of an 8-byte word.
        texts.push((0u8..0x20).map(char::from).collect());
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', 'ä'] {
            for at in 0..20 {
                let mut text: String = "x".repeat(20);
                text.insert(at, special);
                texts.push(text);
            }
            // And at every position of the 64-byte steps, with prose around it.
            for at in 0..150 {
                let mut text: String = "ö".repeat(20) + &"x".repeat(130);
                let at = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
                text.insert(at, special);
                texts.push(text);
            }
        }
        // Specials side by side and next to the bytes a borrow could mark by mistake (just
        // above 0x20, `#` after `"`, `]` after `\`), in many mixtures (a fixed pseudo-random
        // sequence, so a failure repeats).
        let alphabet = [
            '"', '\\', '\u{0}', '\u{1f}', ' ', '!', '#', ']', 'a', 'ä', '\u{7f}', '🎬', '\n',
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            for _ in 0..(state >> 59) as usize * 3 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                text.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            texts.push(text);
        }
        for text in texts {
            let value = Value::String(text.clone());
            assert_eq!(
                ours(&value),
                serde_json::to_string(&value).unwrap(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn every_kind_of_value_is_written_as_serde_json_writes_it() {
        let mut object = IndexMap::new();
        object.insert(Name::new("id"), Value::String("0190".into()));
        object.insert(Name::new("status"), Value::Enum(Name::new("COMPLETED")));
        object.insert(Name::new("n"), Value::Number(42.into()));
        object.insert(Name::new("neg"), Value::Number((-7).into()));
        object.insert(
            Name::new("f"),
            Value::Number(serde_json::Number::from_f64(1.5).unwrap()),
        );
        object.insert(Name::new("yes"), Value::Boolean(true));
        object.insert(Name::new("no"), Value::Boolean(false));
        object.insert(Name::new("nothing"), Value::Null);
        object.insert(Name::new("empty"), Value::List(vec![]));
        object.insert(Name::new("na\"me"), Value::Object(IndexMap::new()));
        let value = Value::List(vec![Value::Object(object), Value::Null]);
        assert_eq!(ours(&value), serde_json::to_string(&value).unwrap());
    }

    #[test]
    fn json_written_ahead_is_copied_as_it_is() {
        let written = br#"{"id":"a","n":[1,2]}"#;
        let mut object = IndexMap::new();
        object.insert(
            Name::new("node"),
            Value::Binary(bytes::Bytes::from_static(written)),
        );
        assert_eq!(
            ours(&Value::List(vec![Value::Object(object), Value::Null])),
            r#"[{"node":{"id":"a","n":[1,2]}},null]"#
        );
    }

    #[test]
    fn a_response_is_written_as_serde_json_writes_it() {
        let mut response = Response::new(Value::List(vec![Value::String("x".into())]));
        response
            .errors
            .push(ServerError::new("Nope \"here\"", None));
        response
            .extensions
            .insert("cost".into(), Value::Number(3.into()));
        let mut out = Vec::new();
        write_response(&mut out, &response, true);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&response).unwrap()
        );

        // A request error has no `data` entry.
        let refused = Response::from_errors(vec![ServerError::new("Bad.", None)]);
        let mut out = Vec::new();
        write_response(&mut out, &refused, false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"errors":[{"message":"Bad."}]}"#
        );
    }
}
