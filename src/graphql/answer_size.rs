//! How large an operation's answer can be, estimated from its document before it runs, so
//! that only operations that may hold megabytes wait for the turns that bound memory.
//!
//! Every HTTP request used to take one of `--max-concurrent-requests` turns, whatever its size.
//! The turns are there for answers like the app's largest screen (20 collections × 20 images ×
//! 5 prompts: about 4 MB of rows, tree and JSON while it runs), but a sign-in holds its turn
//! while its password is hashed, and a burst of small writes waits on the database in them:
//! with two turns per core, `me` answered 190 queries a second beside eight clients signing in
//! nonstop, against 560 with eight turns. A small operation holds a few kilobytes, so it takes
//! one of many more turns of its own (`http::graphql::SMALL_TURNS_PER_TURN`) and never waits
//! behind a large one.
//!
//! The estimate is the number of fields the answer can have: each field counts one, and a
//! field with a `first` or `last` argument (a page) multiplies what it selects by that many.
//! It is the shape of async-graphql's complexity for this schema (a connection costs `first`
//! times its children), read from the parsed document with its fragments expanded; it runs
//! after [`super::document_size::measure`] has refused spread cycles and oversized documents,
//! so each fragment's estimate is computed once and reused.

use std::collections::HashMap;

use async_graphql::{
    Name, Positioned, Request, Value, Variables,
    parser::types::{ExecutableDocument, Field, Selection, SelectionSet},
};

/// From this many fields an operation waits for a turn. The app's largest screen (with three
/// fields per prompt) estimates 9,262; a page of 20 collections × 20 images with three fields
/// each 1,642; one image with five prompts 22; a sign-in or `generateVideoPrompt` under 20.
pub const LARGE_ANSWER: usize = 1_000;

/// The estimate for every operation of `request`'s document (a document may hold several,
/// one of which runs; counting all of them errs on the safe side). A request whose document
/// does not parse counts nothing: its answer is an error.
pub fn estimate(request: &mut Request) -> usize {
    // Taken out while the document is borrowed from the request, and put back (no copy).
    let variables = std::mem::take(&mut request.variables);
    let size = match request.parsed_query() {
        Ok(document) => {
            let mut estimate = Estimate {
                document,
                variables: &variables,
                fragments: HashMap::new(),
            };
            document
                .operations
                .iter()
                .map(|(_, operation)| estimate.selection_set(&operation.node.selection_set))
                .fold(0, usize::saturating_add)
        }
        Err(_) => 0,
    };
    request.variables = variables;
    size
}

struct Estimate<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Each fragment's estimate once computed; `None` while it is being computed (a cycle,
    /// which `document_size` refuses before this runs, then counts nothing).
    fragments: HashMap<&'a str, Option<usize>>,
}

impl<'a> Estimate<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>) -> usize {
        set.node
            .items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => {
                    let children = self.selection_set(&field.node.selection_set);
                    children
                        .saturating_mul(self.page_size(&field.node))
                        .saturating_add(1)
                }
                Selection::InlineFragment(inline) => self.selection_set(&inline.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())
                }
            })
            .fold(0, usize::saturating_add)
    }

    fn fragment(&mut self, name: &'a str) -> usize {
        if let Some(known) = self.fragments.get(name) {
            return known.unwrap_or(0);
        }
        // An unknown fragment is validation's to report.
        let Some((name, definition)) = self.document.fragments.get_key_value(name) else {
            return 0;
        };
        let name = name.as_str();
        self.fragments.insert(name, None);
        let size = self.selection_set(&definition.node.selection_set);
        self.fragments.insert(name, Some(size));
        size
    }

    /// How many items a field's page can hold: its `first` or `last` (a literal or a
    /// variable); 1 for a field that is not a page, or whose size is not a number
    /// (validation refuses that).
    fn page_size(&self, field: &Field) -> usize {
        field
            .arguments
            .iter()
            .filter(|(name, _)| matches!(name.node.as_str(), "first" | "last"))
            .filter_map(|(_, value)| {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|name: Name| self.variables.get(&name).cloned().ok_or(()))
                    .ok()?;
                match value {
                    Value::Number(number) => number.as_u64(),
                    _ => None,
                }
            })
            .max()
            .map_or(1, |size| usize::try_from(size).unwrap_or(usize::MAX).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate_of(query: &str, variables: serde_json::Value) -> usize {
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        estimate(&mut request)
    }

    const LARGEST_SCREEN: &str = "{ me { collections(first: 20) { nodes { id images(first: 20) { nodes { id videoPrompts(first: 5) { nodes { id status prompt } } } } } } } }";

    #[test]
    fn the_apps_largest_screen_is_large() {
        let size = estimate_of(LARGEST_SCREEN, serde_json::json!({}));
        assert_eq!(
            size,
            1 + (1 + 20 * (1 + 1 + (1 + 20 * (1 + 1 + (1 + 5 * (1 + 3))))))
        );
        assert!(size >= LARGE_ANSWER, "{size}");
    }

    #[test]
    fn small_operations_are_small() {
        for query in [
            "{ __typename }",
            "{ image(id: \"x\") { videoPrompts(first: 5) { nodes { id status prompt } } } }",
            "mutation { login(email: \"a@b.de\", password: \"p\") { token user { id email } } }",
            "mutation($input: GenerateVideoPromptInput!) { generateVideoPrompt(input: $input) { id status } }",
        ] {
            let size = estimate_of(query, serde_json::json!({}));
            assert!(size < 30, "{query}: {size}");
        }
    }

    #[test]
    fn page_sizes_come_from_variables_and_last_too() {
        let query = "query($n: Int) { me { collections(first: $n) { nodes { id name } } } }";
        assert_eq!(
            estimate_of(query, serde_json::json!({ "n": 100 })),
            1 + (1 + 100 * 3)
        );
        let query = "{ me { collections(last: 50) { nodes { id } } } }";
        assert_eq!(estimate_of(query, serde_json::json!({})), 1 + (1 + 50 * 2));
        // No size given, or not a number: one item (validation has its say later).
        let query = "query($n: Int) { me { collections(first: $n) { nodes { id } } } }";
        assert_eq!(estimate_of(query, serde_json::json!({})), 1 + (1 + 2));
    }

    #[test]
    fn fragments_count_where_they_are_spread() {
        let inline = estimate_of(LARGEST_SCREEN, serde_json::json!({}));
        let spread = estimate_of(
            "{ me { collections(first: 20) { nodes { id images(first: 20) { ...Page } } } } }
             fragment Page on ImageConnection { nodes { id ... on Image { videoPrompts(first: 5) { nodes { ...P } } } } }
             fragment P on VideoPrompt { id status prompt }",
            serde_json::json!({}),
        );
        assert_eq!(spread, inline);
    }

    #[test]
    fn a_document_that_does_not_parse_counts_nothing() {
        assert_eq!(estimate_of("{ me { ", serde_json::json!({})), 0);
    }

    #[test]
    fn huge_pages_saturate_instead_of_overflowing() {
        let query = "{ a(first: 18446744073709551615) { b(first: 18446744073709551615) { c } } }";
        assert_eq!(estimate_of(query, serde_json::json!({})), usize::MAX);
    }
}
