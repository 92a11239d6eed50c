//! Reading a `generateContent` body the way the service does: proto3 JSON, so camelCase and
//! snake_case field names alike, unknown fields refused, base64 in either alphabet, and images
//! that must really be images.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{errors::ApiError, sniff};

/// An image the request refers to.
#[derive(Debug, Clone)]
pub(crate) enum ImageRef {
    Inline { mime_type: String },
    File { id: String },
}

/// What the stand-in needs from a valid request.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// The user turns' text parts, joined by newlines.
    pub user_text: String,
    pub images: Vec<ImageRef>,
    pub response_mime_type: Option<String>,
    /// `responseSchema` (OpenAPI subset) or `responseJsonSchema` (JSON Schema).
    pub schema: Option<Value>,
}

const TOP_LEVEL: &[&str] = &[
    "contents",
    "systemInstruction",
    "safetySettings",
    "tools",
    "toolConfig",
    "cachedContent",
    "generationConfig",
    "serviceTier",
    "store",
    "continuationToken",
    "labels",
    "model",
];
const CONTENT: &[&str] = &["role", "parts"];
const PART_DATA: &[&str] = &[
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
];
const PART_MODIFIERS: &[&str] = &[
    "thought",
    "thoughtSignature",
    "videoMetadata",
    "mediaResolution",
    "partMetadata",
];
const BLOB: &[&str] = &["mimeType", "data", "displayName"];
const FILE_DATA: &[&str] = &["mimeType", "fileUri", "displayName"];
const GENERATION_CONFIG: &[&str] = &[
    "temperature",
    "topP",
    "topK",
    "candidateCount",
    "maxOutputTokens",
    "stopSequences",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "mediaResolution",
    "speechConfig",
    "thinkingConfig",
    "imageConfig",
    "enableEnhancedCivicAnswers",
    "audioTranscriptionConfig",
];

/// Validates a request body and extracts what the answer needs.
pub(crate) fn parse(body: Option<&Value>) -> Result<Parsed, ApiError> {
    let Some(body) = body else {
        return Err(ApiError::invalid_argument(
            "Invalid JSON payload received. Unexpected token.",
        ));
    };
    let body = camel_case_keys(body.clone());
    let root = object(&body, "")?;
    check_fields(root, TOP_LEVEL, "")?;

    let mut parsed = Parsed::default();
    let contents = root
        .get("contents")
        .and_then(Value::as_array)
        .filter(|contents| !contents.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_argument(
                "* GenerateContentRequest.contents: contents is not specified\n",
            )
        })?;
    for (index, content) in contents.iter().enumerate() {
        let at = format!("contents[{index}]");
        let content = object(content, &at)?;
        check_fields(content, CONTENT, &at)?;
        let role = content
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("user");
        if role != "user" && role != "model" {
            return Err(ApiError::invalid_argument(
                "Please use a valid role: user, model.",
            ));
        }
        let parts = parts(content, &at)?;
        for (part_index, part) in parts.iter().enumerate() {
            let at = format!("{at}.parts[{part_index}]");
            let part = parse_part(part, &at)?;
            if role == "user" {
                match part {
                    PartData::Text(text) => {
                        if !parsed.user_text.is_empty() {
                            parsed.user_text.push('\n');
                        }
                        parsed.user_text.push_str(&text);
                    }
                    PartData::Image(image) => parsed.images.push(image),
                    PartData::Other => {}
                }
            }
        }
    }
    if let Some(system) = root.get("systemInstruction") {
        let system = object(system, "system_instruction")?;
        check_fields(system, CONTENT, "system_instruction")?;
        for (index, part) in parts(system, "system_instruction")?.iter().enumerate() {
            parse_part(part, &format!("system_instruction.parts[{index}]"))?;
        }
    }
    if let Some(config) = root.get("generationConfig") {
        let config = object(config, "generation_config")?;
        check_fields(config, GENERATION_CONFIG, "generation_config")?;
        parsed.response_mime_type = config
            .get("responseMimeType")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let schema = config.get("responseSchema");
        let json_schema = config.get("responseJsonSchema");
        if schema.is_some() && json_schema.is_some() {
            return Err(ApiError::invalid_argument(
                "responseSchema and responseJsonSchema cannot both be set.",
            ));
        }
        if let Some(schema) = schema.or(json_schema) {
            if parsed.response_mime_type.as_deref() != Some("application/json") {
                return Err(ApiError::invalid_argument(
                    "* GenerateContentRequest.generation_config.response_mime_type: \
                     response_mime_type must be application/json when response_schema is set\n",
                ));
            }
            object(schema, "generation_config.response_schema")?;
            parsed.schema = Some(schema.clone());
        }
    }
    Ok(parsed)
}

enum PartData {
    Text(String),
    Image(ImageRef),
    Other,
}

fn parts<'a>(content: &'a Map<String, Value>, at: &str) -> Result<&'a Vec<Value>, ApiError> {
    content
        .get("parts")
        .and_then(Value::as_array)
        .filter(|parts| !parts.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "* GenerateContentRequest.{at}.parts: contents.parts must not be empty.\n"
            ))
        })
}

fn parse_part(part: &Value, at: &str) -> Result<PartData, ApiError> {
    let part = object(part, at)?;
    let allowed: Vec<&str> = PART_DATA.iter().chain(PART_MODIFIERS).copied().collect();
    check_fields(part, &allowed, at)?;
    let data: Vec<&str> = PART_DATA
        .iter()
        .copied()
        .filter(|name| part.contains_key(*name))
        .collect();
    if data.len() != 1 {
        return Err(ApiError::invalid_argument(format!(
            "* GenerateContentRequest.{at}.data: required oneof field 'data' must have one initialized field\n"
        )));
    }
    match data[0] {
        "text" => part
            .get("text")
            .and_then(Value::as_str)
            .map(|text| PartData::Text(text.to_owned()))
            .ok_or_else(|| invalid_value(&format!("{at}.text"), "TYPE_STRING")),
        "inlineData" => inline_image(&part["inlineData"], &format!("{at}.inline_data")),
        "fileData" => file_image(&part["fileData"], &format!("{at}.file_data")),
        _ => Ok(PartData::Other),
    }
}

fn inline_image(blob: &Value, at: &str) -> Result<PartData, ApiError> {
    let blob = object(blob, at)?;
    check_fields(blob, BLOB, at)?;
    let mime_type = blob
        .get("mimeType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let data = blob.get("data").and_then(Value::as_str).unwrap_or_default();
    let bytes = decode_base64(data).ok_or_else(|| {
        let shown: String = data.chars().take(20).collect();
        ApiError::invalid_argument(format!(
            "Invalid value at '{at}.data' (TYPE_BYTES), Base64 decoding failed for \"{shown}\""
        ))
    })?;
    if bytes.is_empty() || mime_type.is_empty() {
        return Err(ApiError::invalid_argument(format!(
            "* GenerateContentRequest.{at}: inline_data must have mime_type and data.\n"
        )));
    }
    if mime_type.starts_with("image/") {
        if !sniff::SUPPORTED_IMAGE_TYPES.contains(&mime_type.as_str()) {
            return Err(ApiError::invalid_argument(format!(
                "Unsupported MIME type: {mime_type}"
            )));
        }
        if sniff::image_mime(&bytes).is_none() {
            return Err(ApiError::invalid_argument(
                "Unable to process input image. Please retry or report in \
                 https://developers.generativeai.google/guide/troubleshooting",
            ));
        }
        return Ok(PartData::Image(ImageRef::Inline { mime_type }));
    }
    Ok(PartData::Other)
}

fn file_image(file: &Value, at: &str) -> Result<PartData, ApiError> {
    let file = object(file, at)?;
    check_fields(file, FILE_DATA, at)?;
    let uri = file
        .get("fileUri")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // `https://host/v1beta/files/abc123` or `files/abc123`: the id follows the last `files/`.
    let id = uri
        .rsplit_once("files/")
        .map(|(_, id)| id.trim_end_matches('/'))
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "* GenerateContentRequest.{at}.file_uri: file_uri must be a Files API URI.\n"
            ))
        })?;
    Ok(PartData::Image(ImageRef::File { id: id.to_owned() }))
}

/// Standard or URL-safe base64, padded or not (the Python SDK sends URL-safe).
pub(crate) fn decode_base64(data: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = data.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, ApiError> {
    value.as_object().ok_or_else(|| {
        if at.is_empty() {
            ApiError::invalid_argument("Invalid JSON payload received. Expected an object.")
        } else {
            ApiError::invalid_argument(format!(
                "Invalid JSON payload received. Expected an object at '{at}'."
            ))
        }
    })
}

fn check_fields(object: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), ApiError> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        None => Ok(()),
        Some(unknown) if at.is_empty() => Err(ApiError::invalid_argument(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."
        ))),
        Some(unknown) => Err(ApiError::invalid_argument(format!(
            "Invalid JSON payload received. Unknown name \"{unknown}\" at '{at}': Cannot find field."
        ))),
    }
}

fn invalid_value(at: &str, kind: &str) -> ApiError {
    ApiError::invalid_argument(format!("Invalid value at '{at}' ({kind})"))
}

/// Maps whose keys are names chosen by the caller, not field names: left as they are.
const NAME_MAPS: [&str; 4] = ["properties", "$defs", "definitions", "labels"];

/// Rewrites snake_case field names to camelCase (proto3 JSON accepts both), except the keys
/// of maps that hold caller-chosen names (a schema's `properties`).
pub(crate) fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = to_camel(&key);
                    let value = if NAME_MAPS.contains(&key.as_str()) {
                        match value {
                            Value::Object(names) => Value::Object(
                                names
                                    .into_iter()
                                    .map(|(name, value)| (name, camel_case_keys(value)))
                                    .collect(),
                            ),
                            other => camel_case_keys(other),
                        }
                    } else {
                        camel_case_keys(value)
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

fn to_camel(key: &str) -> String {
    if !key.contains('_') || key.starts_with(['$', '@']) {
        return key.to_owned();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for ch in key.chars() {
        if ch == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snake_case_is_read_as_camel_case_but_property_names_are_kept() {
        let value = camel_case_keys(json!({
            "generation_config": {"response_schema": {"properties": {"my_field": {"type": "STRING"}},
                                                      "property_ordering": ["my_field"]}}
        }));
        assert_eq!(
            value,
            json!({"generationConfig": {"responseSchema": {"properties": {"my_field": {"type": "STRING"}},
                                                           "propertyOrdering": ["my_field"]}}})
        );
    }

    #[test]
    fn both_base64_alphabets_decode() {
        assert_eq!(decode_base64("-__-"), Some(vec![0xfb, 0xff, 0xfe]));
        assert_eq!(decode_base64("+//+"), Some(vec![0xfb, 0xff, 0xfe]));
        assert_eq!(decode_base64("aGk="), Some(b"hi".to_vec()));
        assert_eq!(decode_base64("aGk"), Some(b"hi".to_vec()));
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let body =
            json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"foo": 1}});
        let err = parse(Some(&body)).unwrap_err().status();
        assert_eq!(err.code, 400);
        assert!(
            err.message
                .contains("Unknown name \"foo\" at 'generation_config'")
        );
    }
}
