//! The parsed documents of recent operations, by their text.
//!
//! An app sends the same few operations over and over, with new variables; async-graphql's
//! parser (pest) was about 6 % of the server's CPU on a small read. A document is kept only
//! after it passed the request checks that depend on its text alone (bracket nesting, expanded
//! size), so a hit skips them too; the checks that depend on the variables run every time.
//! Bounded: at most [`ENTRIES`] documents of at most [`MAX_TEXT`] bytes of text each, the least
//! recently used forgotten first, so a client sending ever new documents costs what parsing
//! them costs and no more memory.

use std::{num::NonZeroUsize, sync::Mutex};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// How many documents are kept.
pub const ENTRIES: usize = 256;
/// The longest text kept (the app's operations and GraphiQL's introspection are far smaller).
pub const MAX_TEXT: usize = 8 * 1024;

pub struct DocumentCache {
    entries: Mutex<LruCache<String, ExecutableDocument>>,
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(ENTRIES).expect("ENTRIES is not zero"),
            )),
        }
    }
}

impl DocumentCache {
    /// A copy of the document parsed from `text`, if it is kept.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        if text.len() > MAX_TEXT {
            return None;
        }
        self.lock().get(text).cloned()
    }

    /// Keeps a copy of `document`, parsed from `text`, once it has passed the checks.
    pub fn insert(&self, text: &str, document: &ExecutableDocument) {
        if text.len() <= MAX_TEXT {
            self.lock().put(text.to_owned(), document.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, ExecutableDocument>> {
        // The cache holds no invariant a panic could break half-way.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_it_was_given_and_not_long_texts() {
        let cache = DocumentCache::default();
        let text = "{ me { id } }";
        let document = async_graphql::parser::parse_query(text).unwrap();
        assert!(cache.get(text).is_none());
        cache.insert(text, &document);
        let kept = cache.get(text).expect("kept");
        assert_eq!(format!("{kept:?}"), format!("{document:?}"));

        let long = format!("{{ me {{ id }} }}{}", " ".repeat(MAX_TEXT));
        let document = async_graphql::parser::parse_query(&long).unwrap();
        cache.insert(&long, &document);
        assert!(cache.get(&long).is_none());
    }

    #[test]
    fn forgets_the_least_recently_used_beyond_its_bound() {
        let cache = DocumentCache::default();
        let texts: Vec<String> = (0..=ENTRIES)
            .map(|n| format!("{{ a{n}: __typename }}"))
            .collect();
        for text in &texts {
            cache.insert(text, &async_graphql::parser::parse_query(text).unwrap());
        }
        assert!(cache.get(&texts[0]).is_none());
        assert!(cache.get(&texts[ENTRIES]).is_some());
        assert_eq!(cache.lock().len(), ENTRIES);
    }
}
