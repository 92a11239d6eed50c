//! Refuses NUL characters (U+0000) in every text a request carries: string literals in the
//! document (arguments, directive arguments, variable defaults) and the variables.
//!
//! PostgreSQL cannot store U+0000 in `text` (`invalid byte sequence for encoding "UTF8": 0x00`,
//! which surfaced as INTERNAL) while SQLite stores it silently; no name, e-mail, note, key or
//! password has a use for it. One check here, before validation, gives both backends the same
//! BAD_USER_INPUT for every input without each resolver having to remember it.

use async_graphql::{
    Name, Pos, Positioned, ServerError, Value as ConstValue, Variables,
    parser::types::{Directive, ExecutableDocument, Selection, SelectionSet},
};
use async_graphql_value::Value;

use crate::error::{code, set_code};

/// The first NUL character in the request's texts, as the error to answer.
pub fn check(document: &ExecutableDocument, variables: &Variables) -> Result<(), ServerError> {
    check_variables(variables)?;
    check_document(document)
}

/// The first NUL character in the variables (for a document already checked).
pub fn check_variables(variables: &Variables) -> Result<(), ServerError> {
    for (name, value) in variables.iter() {
        if const_has_nul(value) {
            return Err(refusal(&format!("The variable `${name}`"), None));
        }
    }
    Ok(())
}

fn check_document(document: &ExecutableDocument) -> Result<(), ServerError> {
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value
                && const_has_nul(&default.node)
            {
                let name = &definition.node.name.node;
                return Err(refusal(
                    &format!("The default of `${name}`"),
                    Some(default.pos),
                ));
            }
        }
        directives(&operation.node.directives)?;
        selection_set(&operation.node.selection_set)?;
    }
    for fragment in document.fragments.values() {
        directives(&fragment.node.directives)?;
        selection_set(&fragment.node.selection_set)?;
    }
    Ok(())
}

/// Walks each selection set of the document once (fragments are not expanded here).
fn selection_set(set: &Positioned<SelectionSet>) -> Result<(), ServerError> {
    for item in &set.node.items {
        match &item.node {
            Selection::Field(field) => {
                arguments(&field.node.arguments)?;
                directives(&field.node.directives)?;
                selection_set(&field.node.selection_set)?;
            }
            Selection::FragmentSpread(spread) => directives(&spread.node.directives)?,
            Selection::InlineFragment(inline) => {
                directives(&inline.node.directives)?;
                selection_set(&inline.node.selection_set)?;
            }
        }
    }
    Ok(())
}

fn directives(directives: &[Positioned<Directive>]) -> Result<(), ServerError> {
    directives
        .iter()
        .try_for_each(|directive| arguments(&directive.node.arguments))
}

fn arguments(arguments: &[(Positioned<Name>, Positioned<Value>)]) -> Result<(), ServerError> {
    for (name, value) in arguments {
        if value_has_nul(&value.node) {
            return Err(refusal(
                &format!("The argument `{}`", name.node),
                Some(value.pos),
            ));
        }
    }
    Ok(())
}

// Both walks recurse once per level of nesting, which `document_size::check_nesting` (literals)
// and serde_json's recursion limit (variables) keep small.

fn value_has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(value_has_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || value_has_nul(value)),
        _ => false,
    }
}

fn const_has_nul(value: &ConstValue) -> bool {
    match value {
        ConstValue::String(text) => text.contains('\0'),
        ConstValue::List(items) => items.iter().any(const_has_nul),
        ConstValue::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || const_has_nul(value)),
        _ => false,
    }
}

fn refusal(what: &str, at: Option<Pos>) -> ServerError {
    let mut err = ServerError::new(
        format!("{what} contains a NUL character (U+0000), which no text may hold."),
        at,
    );
    set_code(&mut err, code::BAD_USER_INPUT);
    err
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn refused(text: &str, variables: serde_json::Value) -> bool {
        let document = parse_query(text).unwrap();
        let variables = Variables::from_json(variables);
        check(&document, &variables).is_err()
    }

    #[test]
    fn finds_nul_in_literals_variables_and_defaults() {
        let none = serde_json::json!({});
        assert!(!refused(r#"{ a(x: "fine", y: ["ok"]) }"#, none.clone()));
        assert!(refused(r#"{ a(x: "bad\u0000") }"#, none.clone()));
        assert!(refused(r#"{ a(x: { y: ["\u0000"] }) }"#, none.clone()));
        assert!(refused(
            r#"{ ...F } fragment F on Q { a @include(if: "\u0000") }"#,
            none.clone()
        ));
        assert!(refused(r#"query($v: String = "\u0000") { a }"#, none));
        assert!(refused(
            "query($v: In) { a(x: $v) }",
            serde_json::json!({ "v": { "notes": "a\u{0}b" } })
        ));
        assert!(!refused(
            "query($v: In) { a(x: $v) }",
            serde_json::json!({ "v": { "notes": "ab" } })
        ));
    }
}
