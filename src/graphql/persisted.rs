//! Persisted operations: a request may name its document by id instead of sending its text.
//!
//! Two ways, one lookup, on every transport (POST, GET, multipart, WebSocket):
//!
//! - **Automatic persisted queries** (Apollo's APQ protocol, which Apollo Client's
//!   persisted-queries link and urql's persisted exchange speak): the request carries
//!   `extensions.persistedQuery = { version: 1, sha256Hash }`. Without `query`, the text is
//!   looked up; an unknown hash answers `PersistedQueryNotFound` (code
//!   `PERSISTED_QUERY_NOT_FOUND`), and the client sends hash and text together, which is checked
//!   (the text's SHA-256 must be the hash: nobody can make another client's hash run their text)
//!   and learned. Learned texts live in this instance's memory, bounded (see [`LEARNED_BYTES`]);
//!   another instance simply learns them again.
//! - **Trusted documents** (`--trusted-documents FILE`): the server runs only the documents of a
//!   manifest that the app's build wrote (graphql-codegen's `persisted-documents.json`, Relay's
//!   `persisted_queries.json`, or Apollo's persisted-query manifest). A client names one by its
//!   id, as `extensions.persistedQuery.sha256Hash` or as the request's `documentId` (the
//!   GraphQL-over-HTTP proposal; `sha256:` in front is allowed), or sends its exact text. Any
//!   other document is refused with `PERSISTED_QUERY_NOT_IN_LIST` before it is parsed, unless
//!   `--allow-free-documents` lets free documents (GraphiQL's, a developer's `curl`) run too.
//!
//! [`PersistedDocuments::resolve`] runs first in [`super::Executor`]; it leaves the request with
//! its text in `query`, so everything after it (the document cache, the checks, execution) is
//! the same whichever way the text came.

use std::{
    any::TypeId,
    collections::{HashMap, HashSet},
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::{Request, ServerError, Value};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::code;

/// Most bytes of text the APQ store keeps (the least recently used are forgotten first).
pub const LEARNED_BYTES: usize = 4 * 1024 * 1024;
/// The longest text the APQ store keeps; a longer one runs, but must be sent in full each time.
pub const LEARNED_MAX_TEXT: usize = 64 * 1024;
/// Most texts the APQ store keeps, whatever their size.
const LEARNED_ENTRIES: usize = 4096;

/// The message Apollo's clients look for on an unknown hash (besides the code).
pub const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

/// A request's top-level `documentId`, put in its data by the transport that read it.
#[derive(Debug, Clone)]
pub struct DocumentId(pub String);

/// Marks a request whose document has been resolved, so a second call changes nothing.
struct Resolved;

/// How the server takes documents.
pub struct PersistedDocuments {
    /// The manifest of trusted documents, when the server runs only those.
    trusted: Option<Manifest>,
    /// Whether documents outside the manifest run too (always, without a manifest).
    free_allowed: bool,
    learned: Mutex<Learned>,
}

impl Default for PersistedDocuments {
    /// Any document runs; APQ hashes are learned.
    fn default() -> Self {
        Self::new(None, true)
    }
}

impl PersistedDocuments {
    /// `trusted`: run only these documents, unless `free_allowed`.
    pub fn new(trusted: Option<Manifest>, free_allowed: bool) -> Self {
        let free_allowed = free_allowed || trusted.is_none();
        Self {
            trusted,
            free_allowed,
            learned: Mutex::new(Learned::default()),
        }
    }

    /// Puts the text of `request`'s document in its `query`, from the id it was named by, and
    /// refuses a document this server does not run. A request that names no document by id
    /// and sends its text passes unchanged when free documents are allowed.
    pub fn resolve(&self, request: &mut Request) -> Result<(), ServerError> {
        if request.data.contains_key(&TypeId::of::<Resolved>()) {
            return Ok(());
        }
        let named = named_id(request)?;
        self.fill_text(named.as_deref(), &mut request.query)?;
        request.data.insert(Resolved);
        Ok(())
    }

    /// Puts the document named `id` in `text` when it came without one; refuses what this
    /// server does not run. `text` is left as it was on a refusal.
    fn fill_text(&self, id: Option<&str>, text: &mut String) -> Result<(), ServerError> {
        match (id, text.is_empty()) {
            // Neither an id nor a text: left to the parser, which says the document is empty.
            (None, true) => Ok(()),
            (None, false) => {
                if self.free_allowed || self.is_trusted_text(text) {
                    Ok(())
                } else {
                    Err(not_in_list())
                }
            }
            (Some(id), true) => {
                *text = self.look_up(id).ok_or_else(not_found)?;
                Ok(())
            }
            (Some(id), false) => {
                // The text comes with its hash (APQ's second try, or a client that sends both):
                // it must be the hash of the text, and the text must be one this server runs.
                let hash = sha256(text);
                let id_is_hash = parse_sha256(id).is_some_and(|named| named == hash);
                if !id_is_hash && self.trusted_text_of(id).as_deref() != Some(text.as_str()) {
                    return Err(bad_request(
                        "The `sha256Hash` (or `documentId`) is not the SHA-256 of the `query` sent with it.",
                    ));
                }
                if self.is_trusted_hash(&hash) {
                    return Ok(());
                }
                if !self.free_allowed {
                    return Err(not_in_list());
                }
                self.learn(hash, text);
                Ok(())
            }
        }
    }

    fn look_up(&self, id: &str) -> Option<String> {
        if let Some(text) = self.trusted_text_of(id) {
            return Some(text.to_string());
        }
        if !self.free_allowed {
            return None;
        }
        let hash = parse_sha256(id)?;
        self.lock().get(&hash)
    }

    fn trusted_text_of(&self, id: &str) -> Option<Arc<str>> {
        let manifest = self.trusted.as_ref()?;
        let id = id.strip_prefix("sha256:").unwrap_or(id);
        manifest.by_id.get(id).cloned()
    }

    fn is_trusted_text(&self, text: &str) -> bool {
        self.is_trusted_hash(&sha256(text))
    }

    fn is_trusted_hash(&self, hash: &[u8; 32]) -> bool {
        self.trusted
            .as_ref()
            .is_some_and(|manifest| manifest.text_hashes.contains(hash))
    }

    fn learn(&self, hash: [u8; 32], text: &str) {
        if text.len() <= LEARNED_MAX_TEXT {
            self.lock().put(hash, text);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Learned> {
        // The store holds no invariant a panic could break half-way.
        self.learned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The id a request names its document by: the APQ extension's hash, or a `documentId`. A
/// malformed extension is the client's mistake and says so.
fn named_id(request: &Request) -> Result<Option<String>, ServerError> {
    if let Some(DocumentId(id)) = request
        .data
        .get(&TypeId::of::<DocumentId>())
        .and_then(|data| data.downcast_ref::<DocumentId>())
    {
        return Ok(Some(id.clone()));
    }
    let Some(extension) = request.extensions.get("persistedQuery") else {
        return Ok(None);
    };
    let Value::Object(fields) = extension else {
        return Err(bad_request(
            "`extensions.persistedQuery` must be an object with `version` and `sha256Hash`.",
        ));
    };
    match fields.get("version") {
        Some(Value::Number(version)) if version.as_u64() == Some(1) => {}
        _ => {
            return Err(bad_request(
                "Only version 1 of `extensions.persistedQuery` is supported.",
            ));
        }
    }
    match fields.get("sha256Hash") {
        Some(Value::String(hash)) if parse_sha256(hash).is_some() => Ok(Some(hash.clone())),
        _ => Err(bad_request(
            "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits.",
        )),
    }
}

/// The 32 bytes of a SHA-256 written as 64 hex digits (either case), with or without `sha256:`.
fn parse_sha256(id: &str) -> Option<[u8; 32]> {
    let hex = id.strip_prefix("sha256:").unwrap_or(id).as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut hash = [0; 32];
    for (byte, pair) in hash.iter_mut().zip(hex.chunks_exact(2)) {
        let digit = |c: u8| (c as char).to_digit(16);
        *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(hash)
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn error(message: &str, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

fn bad_request(message: &str) -> ServerError {
    error(message, code::BAD_USER_INPUT)
}

fn not_found() -> ServerError {
    error(NOT_FOUND_MESSAGE, code::PERSISTED_QUERY_NOT_FOUND)
}

fn not_in_list() -> ServerError {
    error(
        "This server runs only its trusted documents, and this is not one of them: send the \
         `documentId` (or `extensions.persistedQuery.sha256Hash`) of one from its manifest.",
        code::PERSISTED_QUERY_NOT_IN_LIST,
    )
}

/// The texts APQ clients registered, by hash, bounded by count and by bytes.
struct Learned {
    texts: LruCache<[u8; 32], Arc<str>>,
    bytes: usize,
}

impl Default for Learned {
    fn default() -> Self {
        Self {
            texts: LruCache::new(NonZeroUsize::new(LEARNED_ENTRIES).expect("not zero")),
            bytes: 0,
        }
    }
}

impl Learned {
    fn get(&mut self, hash: &[u8; 32]) -> Option<String> {
        self.texts.get(hash).map(|text| text.to_string())
    }

    fn put(&mut self, hash: [u8; 32], text: &str) {
        if self.texts.contains(&hash) {
            self.texts.promote(&hash);
            return;
        }
        while self.bytes + text.len() > LEARNED_BYTES
            && let Some((_, old)) = self.texts.pop_lru()
        {
            self.bytes -= old.len();
        }
        if let Some((_, old)) = self.texts.push(hash, Arc::from(text)) {
            // Over the count: the least recently used went.
            self.bytes -= old.len();
        }
        self.bytes += text.len();
    }
}

/// The trusted documents, by the ids clients name them with and by their texts' SHA-256.
#[derive(Debug, Default)]
pub struct Manifest {
    by_id: HashMap<String, Arc<str>>,
    text_hashes: HashSet<[u8; 32]>,
}

/// Apollo's persisted-query manifest (`@apollo/generate-persisted-query-manifest`).
#[derive(Deserialize)]
struct ApolloManifest {
    format: String,
    version: u32,
    operations: Vec<ApolloOperation>,
}

#[derive(Deserialize)]
struct ApolloOperation {
    id: String,
    body: String,
}

impl Manifest {
    /// Reads a manifest: a JSON object of id → document text (graphql-codegen's client preset,
    /// Relay), or Apollo's `{"format": "apollo-persisted-query-manifest", "version": 1,
    /// "operations": [{"id", "body", …}]}`. Every document must parse: a manifest built for
    /// something else is refused at start, not discovered one request at a time.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_slice(json)
            .map_err(|err| format!("the manifest is not JSON: {err}"))?;
        let entries: Vec<(String, String)> = if value.get("format").is_some() {
            let manifest: ApolloManifest = serde_json::from_value(value)
                .map_err(|err| format!("not an Apollo persisted-query manifest: {err}"))?;
            if manifest.format != "apollo-persisted-query-manifest" || manifest.version != 1 {
                return Err(format!(
                    "unknown manifest format {:?} version {} (expected \
                     apollo-persisted-query-manifest version 1)",
                    manifest.format, manifest.version
                ));
            }
            manifest
                .operations
                .into_iter()
                .map(|operation| (operation.id, operation.body))
                .collect()
        } else {
            serde_json::from_value::<HashMap<String, String>>(value)
                .map_err(|err| {
                    format!(
                        "expected a JSON object of document id → document text, or an Apollo \
                         persisted-query manifest: {err}"
                    )
                })?
                .into_iter()
                .collect()
        };
        let mut manifest = Self::default();
        for (id, text) in entries {
            if id.is_empty() {
                return Err("a document has an empty id".into());
            }
            async_graphql::parser::parse_query(&text)
                .map_err(|err| format!("document {id} is not valid GraphQL: {err}"))?;
            manifest.text_hashes.insert(sha256(&text));
            let id = id.strip_prefix("sha256:").unwrap_or(&id).to_owned();
            manifest.by_id.insert(id, Arc::from(text));
        }
        if manifest.by_id.is_empty() {
            return Err("the manifest holds no documents".into());
        }
        Ok(manifest)
    }

    /// How many documents it holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;

    fn hex(hash: [u8; 32]) -> String {
        hash.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        let mut extension = async_graphql::indexmap::IndexMap::new();
        extension.insert(Name::new("version"), Value::from(1));
        extension.insert(Name::new("sha256Hash"), Value::from(hash));
        request
            .extensions
            .insert("persistedQuery".into(), Value::Object(extension));
        request
    }

    fn code_of(err: &ServerError) -> String {
        match err.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(Value::String(code)) => code.clone(),
            other => panic!("no code: {other:?}"),
        }
    }

    const TEXT: &str = "{ cameraStyles { value } }";

    #[test]
    fn apq_learns_a_checked_text_and_answers_its_hash() {
        let documents = PersistedDocuments::default();
        let hash = hex(sha256(TEXT));
        let err = documents
            .resolve(&mut with_hash("", &hash))
            .expect_err("unknown at first");
        assert_eq!(err.message, NOT_FOUND_MESSAGE);
        assert_eq!(code_of(&err), "PERSISTED_QUERY_NOT_FOUND");

        // Someone else's text under that hash is refused, and not learned.
        let mut wrong = with_hash("{ me { id } }", &hash);
        let err = documents.resolve(&mut wrong).expect_err("wrong text");
        assert_eq!(code_of(&err), "BAD_USER_INPUT");
        // Refused, the request keeps its text: resolving it again refuses it the same way.
        assert_eq!(wrong.query, "{ me { id } }");
        let again = documents.resolve(&mut wrong).expect_err("wrong text");
        assert_eq!(again.message, err.message);
        assert!(documents.resolve(&mut with_hash("", &hash)).is_err());

        let mut request = with_hash(TEXT, &hash.to_uppercase());
        documents.resolve(&mut request).unwrap();
        assert_eq!(request.query, TEXT);
        let mut request = with_hash("", &hash);
        documents.resolve(&mut request).unwrap();
        assert_eq!(request.query, TEXT);
        // Resolving twice changes nothing.
        documents.resolve(&mut request).unwrap();
        assert_eq!(request.query, TEXT);
    }

    #[test]
    fn malformed_extensions_are_bad_input() {
        let documents = PersistedDocuments::default();
        for hash in ["abc", &"g".repeat(64)] {
            let err = documents.resolve(&mut with_hash("", hash)).unwrap_err();
            assert_eq!(code_of(&err), "BAD_USER_INPUT", "{hash}");
        }
        let mut request = Request::new("");
        request
            .extensions
            .insert("persistedQuery".into(), Value::from("x"));
        assert!(documents.resolve(&mut request).is_err());
    }

    #[test]
    fn the_store_keeps_its_byte_bound() {
        let mut learned = Learned::default();
        let text = "x".repeat(LEARNED_MAX_TEXT);
        for n in 0..200u8 {
            learned.put([n; 32], &text);
        }
        assert!(learned.bytes <= LEARNED_BYTES);
        assert_eq!(learned.bytes, learned.texts.len() * text.len());
        assert!(learned.get(&[199; 32]).is_some());
        assert!(learned.get(&[0; 32]).is_none());
    }

    fn manifest() -> Manifest {
        let json = serde_json::json!({ hex(sha256(TEXT)): TEXT, "relay-md5-id": "{ me { id } }" });
        Manifest::parse(json.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn trusted_mode_runs_only_the_manifest() {
        let documents = PersistedDocuments::new(Some(manifest()), false);
        let hash = hex(sha256(TEXT));
        for mut request in [
            with_hash("", &hash),
            with_hash(TEXT, &hash),
            Request::new(TEXT),
            {
                let mut request = Request::new("");
                request.data.insert(DocumentId(format!("sha256:{hash}")));
                request
            },
        ] {
            documents.resolve(&mut request).unwrap();
            assert_eq!(request.query, TEXT);
        }
        let mut by_id = Request::new("");
        by_id.data.insert(DocumentId("relay-md5-id".into()));
        documents.resolve(&mut by_id).unwrap();
        assert_eq!(by_id.query, "{ me { id } }");

        let other = "{ filmEffects { value } }";
        let err = documents.resolve(&mut Request::new(other)).unwrap_err();
        assert_eq!(code_of(&err), "PERSISTED_QUERY_NOT_IN_LIST");
        let err = documents
            .resolve(&mut with_hash(other, &hex(sha256(other))))
            .unwrap_err();
        assert_eq!(code_of(&err), "PERSISTED_QUERY_NOT_IN_LIST");
        // Not learned either.
        let err = documents
            .resolve(&mut with_hash("", &hex(sha256(other))))
            .unwrap_err();
        assert_eq!(code_of(&err), "PERSISTED_QUERY_NOT_FOUND");

        let free = PersistedDocuments::new(Some(manifest()), true);
        free.resolve(&mut Request::new(other)).unwrap();
    }

    #[test]
    fn manifests_in_each_format_are_read_and_bad_ones_refused() {
        let apollo = serde_json::json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{ "id": hex(sha256(TEXT)), "name": "S", "type": "query", "body": TEXT }],
        });
        assert_eq!(
            Manifest::parse(apollo.to_string().as_bytes())
                .unwrap()
                .len(),
            1
        );
        for bad in [
            "[]",
            "{}",
            r#"{"a": "{ not graphql"}"#,
            r#"{"a": 5}"#,
            r#"{"format": "other", "version": 1, "operations": []}"#,
            "nope",
        ] {
            assert!(Manifest::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
