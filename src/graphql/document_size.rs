//! Measures a GraphQL document before anything expands it, in time and memory linear in its
//! size.
//!
//! async-graphql's depth check, its complexity rule and execution all walk a document with its
//! fragments expanded, so fragments that each spread the next twice cost 2ⁿ for n fragments
//! (a 2 KB request once took the server to 19 GB). Two cheap measures come first:
//!
//! - [`check_nesting`] reads the text and refuses brackets nested deeper than
//!   [`MAX_NESTING`]: the parser and the crate's value walkers recurse once per level, and a
//!   list literal a few hundred levels deep overflows a worker's stack (which aborts the
//!   process, not just the request).
//! - [`measure`] counts the selections of the parsed document as if its fragments were
//!   expanded, each fragment's size computed once and reused for every spread (a memo over the
//!   spread graph), and refuses a spread cycle instead of following it.

use std::collections::HashMap;

use async_graphql::{
    Pos, Positioned, ServerError,
    parser::types::{ExecutableDocument, Selection, SelectionSet},
};

use crate::error::{code, set_code};

/// Deepest nesting of selections and fragment spreads, the same bound async-graphql's own
/// recursion check applies after parsing (`limit_recursive_depth`). It also bounds this
/// module's recursion.
pub const MAX_RECURSIVE_DEPTH: usize = 64;

/// Deepest nesting of `{`, `[` and `(` in a document's text. Real operations stay under 20
/// (GraphiQL's introspection query reaches 13); a debug build overflows its stack near 300
/// nested list values, so this leaves a wide margin on every path.
pub const MAX_NESTING: usize = 64;

/// Refuses a document whose brackets nest deeper than [`MAX_NESTING`], before the parser sees
/// it. Brackets inside strings, block strings and comments do not count; where the text is not
/// valid GraphQL the scan counts rather than skips, so it errs towards refusing.
pub fn check_nesting(text: &str) -> Result<(), ServerError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
                    at += 1;
                }
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                at += 3;
                loop {
                    if at >= bytes.len() {
                        return Ok(()); // unterminated: the parser refuses it
                    }
                    if bytes[at..].starts_with(b"\\\"\"\"") {
                        at += 4;
                    } else if bytes[at..].starts_with(b"\"\"\"") {
                        at += 2;
                        break;
                    } else {
                        at += 1;
                    }
                }
            }
            b'"' => {
                at += 1;
                // A plain string ends at its quote, or (invalid) at the end of its line.
                while at < bytes.len() && !matches!(bytes[at], b'"' | b'\n' | b'\r') {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    let mut err = ServerError::new(
                        format!("The document nests brackets more than {MAX_NESTING} levels deep."),
                        None,
                    );
                    set_code(&mut err, code::GRAPHQL_PARSE_FAILED);
                    return Err(err);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

/// The document's size with its fragments expanded: every field, fragment spread, inline
/// fragment, argument, directive, operation and variable definition counts one, a fragment
/// counts once for each place it is spread, and a fragment no operation uses counts once.
/// Refused (GRAPHQL_VALIDATION_FAILED) above `limit`, on a spread cycle, and deeper than
/// [`MAX_RECURSIVE_DEPTH`].
pub fn measure(document: &ExecutableDocument, limit: usize) -> Result<usize, ServerError> {
    let mut measure = Measure {
        document,
        limit,
        fragments: HashMap::new(),
    };
    let mut total = 0usize;
    for (_, operation) in document.operations.iter() {
        let own = 1 + operation.node.variable_definitions.len() + operation.node.directives.len();
        let selections = measure.selection_set(&operation.node.selection_set, 0)?;
        total = measure.add(total, own.saturating_add(selections), operation.pos)?;
    }
    // Unused fragments are refused by validation, but validation walks them first.
    for (name, fragment) in &document.fragments {
        if !measure.fragments.contains_key(name.as_str()) {
            let size = measure.fragment(name.as_str(), 0, fragment.pos)?;
            total = measure.add(total, size, fragment.pos)?;
        }
    }
    Ok(total)
}

enum Fragment {
    /// Being measured: meeting it again means its spreads form a cycle.
    Measuring,
    Measured(usize),
}

struct Measure<'a> {
    document: &'a ExecutableDocument,
    limit: usize,
    fragments: HashMap<&'a str, Fragment>,
}

impl<'a> Measure<'a> {
    fn selection_set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        depth: usize,
    ) -> Result<usize, ServerError> {
        if depth > MAX_RECURSIVE_DEPTH {
            return Err(refusal(
                format!(
                    "The document nests selections and fragment spreads more than \
                     {MAX_RECURSIVE_DEPTH} levels deep."
                ),
                set.pos,
            ));
        }
        let mut total = 0usize;
        for item in &set.node.items {
            let size = match &item.node {
                Selection::Field(field) => {
                    let own = 1 + field.node.arguments.len() + field.node.directives.len();
                    let children = if field.node.selection_set.node.items.is_empty() {
                        0
                    } else {
                        self.selection_set(&field.node.selection_set, depth + 1)?
                    };
                    own.saturating_add(children)
                }
                Selection::InlineFragment(inline) => {
                    let own = 1 + inline.node.directives.len();
                    own.saturating_add(self.selection_set(&inline.node.selection_set, depth + 1)?)
                }
                Selection::FragmentSpread(spread) => {
                    let own = 1 + spread.node.directives.len();
                    let name = spread.node.fragment_name.node.as_str();
                    own.saturating_add(self.fragment(name, depth + 1, item.pos)?)
                }
            };
            total = self.add(total, size, item.pos)?;
        }
        Ok(total)
    }

    /// A fragment's expanded size, measured on first use and remembered.
    fn fragment(&mut self, name: &'a str, depth: usize, at: Pos) -> Result<usize, ServerError> {
        match self.fragments.get(name) {
            Some(Fragment::Measured(size)) => return Ok(*size),
            Some(Fragment::Measuring) => {
                return Err(refusal(
                    format!("The fragment `{name}` spreads itself (through a cycle of spreads)."),
                    at,
                ));
            }
            None => {}
        }
        // An unknown fragment is validation's to report.
        let Some((name, definition)) = self.document.fragments.get_key_value(name) else {
            return Ok(0);
        };
        let name = name.as_str();
        self.fragments.insert(name, Fragment::Measuring);
        let own = 1 + definition.node.directives.len();
        let size = own.saturating_add(self.selection_set(&definition.node.selection_set, depth)?);
        self.fragments.insert(name, Fragment::Measured(size));
        Ok(size)
    }

    /// Adds a part's size, refusing the document as soon as the sum passes the limit (so every
    /// remembered size is at most the limit, and no sum can overflow).
    fn add(&self, total: usize, size: usize, at: Pos) -> Result<usize, ServerError> {
        let total = total.saturating_add(size);
        if total > self.limit {
            return Err(refusal(
                format!(
                    "The document is too large: with its fragments expanded it has more than {} \
                     selections (fields, fragment spreads, arguments and directives).",
                    self.limit
                ),
                at,
            ));
        }
        Ok(total)
    }
}

fn refusal(message: String, at: Pos) -> ServerError {
    let mut err = ServerError::new(message, Some(at));
    set_code(&mut err, code::GRAPHQL_VALIDATION_FAILED);
    err
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn size(text: &str) -> Result<usize, String> {
        check_nesting(text).map_err(|e| e.message)?;
        let document = parse_query(text).map_err(|e| e.to_string())?;
        measure(&document, 1_000_000).map_err(|e| e.message)
    }

    /// The attack: each fragment spreads the next twice.
    fn doubling(levels: usize) -> String {
        let mut text = "query { ...L0 }".to_owned();
        for i in 0..levels {
            let next = i + 1;
            text.push_str(&format!(
                " fragment L{i} on Query {{ ...L{next} ...L{next} }}"
            ));
        }
        text.push_str(&format!(" fragment L{levels} on Query {{ __typename }}"));
        text
    }

    #[test]
    fn counts_fields_arguments_and_directives() {
        assert_eq!(size("{ a }"), Ok(2));
        assert_eq!(size("{ a(x: 1) @skip(if: false) { b c } }"), Ok(6));
        assert_eq!(size("query($v: Int) { a }"), Ok(3));
    }

    #[test]
    fn a_fragment_counts_once_per_spread() {
        // Operation 1; spreads 2 × (1 + fragment 1 + field 1).
        assert_eq!(size("{ ...F ...F } fragment F on Query { a }"), Ok(7));
        assert_eq!(size("{ ... on Query { a } }"), Ok(3));
    }

    #[test]
    fn doubling_fragments_are_measured_without_expanding_them() {
        // L3 = 2, Lᵢ = 1 + 2 × (1 + Lᵢ₊₁): L0 = 37, plus the operation and its spread.
        assert_eq!(size(&doubling(3)), Ok(39));
        // 2⁶⁰ selections, measured in microseconds, refused.
        let started = std::time::Instant::now();
        let err = size(&doubling(60)).unwrap_err();
        assert!(err.contains("too large"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn unused_fragments_count_too() {
        assert_eq!(size("{ a } fragment F on Query { b }"), Ok(2 + 2));
    }

    #[test]
    fn a_spread_cycle_is_refused() {
        let err =
            size("{ ...F } fragment F on Query { ...G } fragment G on Query { ...F }").unwrap_err();
        assert!(err.contains("spreads itself"), "{err}");
        // An unused fragment's cycle too: validation would follow it.
        let err = size("{ a } fragment F on Query { ...F }").unwrap_err();
        assert!(err.contains("spreads itself"), "{err}");
    }

    #[test]
    fn long_chains_of_spreads_are_refused_not_followed() {
        let mut text = "{ ...F0 }".to_owned();
        for i in 0..10_000 {
            text.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
        }
        text.push_str(" fragment F10000 on Query { a }");
        let err = size(&text).unwrap_err();
        assert!(err.contains("levels deep"), "{err}");
    }

    #[test]
    fn nesting_is_read_from_the_text() {
        let deep_list = format!("{{ a(x: {}{}) }}", "[".repeat(500), "]".repeat(500));
        assert!(check_nesting(&deep_list).is_err());
        let fine = format!("{{ a(x: {}{}) }}", "[".repeat(40), "]".repeat(40));
        assert!(check_nesting(&fine).is_ok());
        // Brackets in strings and comments are text.
        let quoted = format!(
            "{{ a(x: \"{}\", y: \"\"\"{}\\\"\"\"\"\"\") }} # {}\n",
            "[".repeat(500),
            "{".repeat(500),
            "(".repeat(500)
        );
        assert!(check_nesting(&quoted).is_ok(), "{quoted}");
    }
}
