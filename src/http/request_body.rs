//! What a well-formed GraphQL request is, by the GraphQL-over-HTTP spec: a JSON object whose
//! `query` is a string, `operationName` a string, `variables` and `extensions` objects (each
//! may be left out or null), or an array of such objects for a batch. A persisted operation
//! names its document instead of sending `query`: by `documentId` (a string) or by
//! `extensions.persistedQuery` (Apollo's APQ), which `graphql::persisted` then looks up. A body that is not one
//! is the client's fault whatever it asked to get back: the handlers answer it 400 with a
//! message naming the member at fault, before any GraphQL runs. A well-formed request whose
//! `query` is not valid GraphQL goes on to the executor, which reports that as it always has.
//!
//! async-graphql's own `BatchRequest` reads a missing `query` as an empty one and names no
//! member in its errors ("data did not match any variant of untagged enum"), hence this
//! reader; it builds async-graphql's types, so everything after it is unchanged.

use async_graphql::{BatchRequest, Extensions, Request, Variables};
use serde::Deserialize;

use crate::graphql::persisted::DocumentId;

/// One request as it comes over the wire.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest {
    query: Option<String>,
    operation_name: Option<String>,
    /// async-graphql's types take `null` for none and refuse anything but an object.
    #[serde(default)]
    variables: Variables,
    #[serde(default)]
    extensions: Extensions,
    /// A persisted document's id, in place of `query`.
    document_id: Option<String>,
}

impl WireRequest {
    fn into_request(self, at: &str) -> Result<Request, String> {
        build_request(
            self.query,
            self.operation_name,
            self.variables,
            self.extensions,
            self.document_id,
        )
        .map_err(|missing| format!("{at}{missing}"))
    }
}

/// A request from its members (of a JSON body or of a GET's query string). Without `query`, it
/// must name a persisted document; the error says so, for the caller to prefix with where.
pub fn build_request(
    query: Option<String>,
    operation_name: Option<String>,
    variables: Variables,
    extensions: Extensions,
    document_id: Option<String>,
) -> Result<Request, &'static str> {
    let persisted = document_id.is_some() || extensions.contains_key("persistedQuery");
    let query = match query {
        Some(query) => query,
        // Filled in from the id by `graphql::persisted`.
        None if persisted => String::new(),
        None => {
            return Err(
                "has no `query`: send the operation's text as a string in `query` \
                 (or a persisted document's `documentId`).",
            );
        }
    };
    let mut request = Request::new(query).variables(variables);
    request.extensions = extensions;
    if let Some(id) = document_id {
        request.data.insert(DocumentId(id));
    }
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    Ok(request)
}

/// Reads a JSON body (of a POST, or a multipart request's `operations`) into a request or a
/// batch; the message tells the client what is wrong with it. An empty array comes back as an
/// empty batch, for the batch rule to answer with what a batch may hold.
pub fn parse(bytes: &[u8]) -> Result<BatchRequest, String> {
    match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'{') => {
            let wire: WireRequest = deserialize(bytes)?;
            Ok(BatchRequest::Single(wire.into_request("The request ")?))
        }
        Some(b'[') => {
            let wires: Vec<WireRequest> = deserialize(bytes)?;
            let requests = wires
                .into_iter()
                .enumerate()
                .map(|(index, wire)| wire.into_request(&format!("Operation {index} of the batch ")))
                .collect::<Result<_, _>>()?;
            Ok(BatchRequest::Batch(requests))
        }
        _ => Err(
            "The body must be a JSON object (a GraphQL request) or an array of them (a batch)."
                .into(),
        ),
    }
}

fn deserialize<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(describe)?;
    // Trailing garbage after the object.
    deserializer
        .end()
        .map_err(|err| format!("The body is not valid JSON: {err}."))?;
    Ok(value)
}

/// A deserialization error as the client should read it: which member is wrong and what it
/// must be, or where the JSON itself is broken.
fn describe(err: serde_path_to_error::Error<serde_json::Error>) -> String {
    let member = err
        .path()
        .iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.as_str()),
            _ => None,
        })
        .next();
    let inner = err.inner();
    if inner.is_syntax() || inner.is_eof() {
        return format!("The body is not valid JSON: {inner}.");
    }
    let must_be = match member {
        Some("query") => "`query` must be a string",
        Some("operationName") => "`operationName` must be a string or null",
        Some("variables") => "`variables` must be a JSON object or null",
        Some("extensions") => "`extensions` must be a JSON object or null",
        Some("documentId") => "`documentId` must be a string or null",
        _ => "A batch must be an array of GraphQL requests (JSON objects)",
    };
    format!("{must_be} ({inner}).")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(body: &str) -> String {
        parse(body.as_bytes())
            .err()
            .unwrap_or_else(|| panic!("{body} was taken"))
    }

    #[test]
    fn well_formed_requests_are_taken() {
        let BatchRequest::Single(request) = parse(
            br#"{"query":"{ me { id } }","operationName":null,"variables":null,"extensions":{"a":1},"other":true}"#,
        )
        .unwrap() else {
            panic!("a single request")
        };
        assert_eq!(request.query, "{ me { id } }");
        assert!(request.variables.is_empty() && request.operation_name.is_none());
        assert_eq!(request.extensions.len(), 1);
        let BatchRequest::Batch(requests) =
            parse(br#" [{"query":"{ a }"},{"query":"query B { b }","operationName":"B","variables":{"x":[1]}}]"#).unwrap()
        else {
            panic!("a batch")
        };
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[1].operation_name.as_deref(), Some("B"));
        assert!(matches!(parse(b"[]").unwrap(), BatchRequest::Batch(empty) if empty.is_empty()));
        // Not valid GraphQL, but a well-formed request: the executor answers it.
        assert!(parse(br#"{"query":""}"#).is_ok());
    }

    #[test]
    fn persisted_operations_need_no_query() {
        let BatchRequest::Single(request) =
            parse(br#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}"#).unwrap()
        else {
            panic!("a single request")
        };
        assert!(request.query.is_empty());
        let BatchRequest::Single(request) = parse(br#"{"documentId":"sha256:ab"}"#).unwrap() else {
            panic!("a single request")
        };
        assert!(request.query.is_empty());
        assert!(refusal(r#"{"query":"{ a }","documentId":5}"#).starts_with("`documentId` must be"));
        assert!(refusal(r#"{"extensions":{}}"#).starts_with("The request has no `query`"));
    }

    #[test]
    fn malformed_requests_are_refused_with_the_member_at_fault() {
        assert!(refusal("{ nope").starts_with("The body is not valid JSON"));
        assert!(refusal(r#"{"query":"{ a }"} x"#).starts_with("The body is not valid JSON"));
        assert!(refusal("42").starts_with("The body must be a JSON object"));
        assert!(refusal("").starts_with("The body must be a JSON object"));
        assert!(refusal(r#"{"variables":{}}"#).starts_with("The request has no `query`"));
        assert!(refusal(r#"{"query":null}"#).starts_with("The request has no `query`"));
        assert!(refusal(r#"{"query":5}"#).starts_with("`query` must be a string"));
        assert!(
            refusal(r#"{"query":"{ a }","operationName":3}"#)
                .starts_with("`operationName` must be")
        );
        assert!(
            refusal(r#"{"query":"{ a }","variables":"{}"}"#)
                .starts_with("`variables` must be a JSON object")
        );
        assert!(
            refusal(r#"{"query":"{ a }","variables":[1]}"#)
                .starts_with("`variables` must be a JSON object")
        );
        assert!(
            refusal(r#"{"query":"{ a }","extensions":7}"#)
                .starts_with("`extensions` must be a JSON object")
        );
        assert!(
            refusal(r#"[{"query":"{ a }"},{"query":"{ b }","variables":1}]"#)
                .starts_with("`variables` must be")
        );
        assert!(
            refusal(r#"[{"query":"{ a }"},{}]"#)
                .starts_with("Operation 1 of the batch has no `query`")
        );
        assert!(
            refusal(r#"[{"query":"{ a }"}, 3]"#)
                .starts_with("A batch must be an array of GraphQL requests")
        );
    }
}
