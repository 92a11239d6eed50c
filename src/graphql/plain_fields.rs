//! Page nodes whose plain fields are answered without a future each.
//!
//! async-graphql resolves every selected field of an object as its own boxed future, polls them
//! through a `FuturesUnordered` (a task allocation each), and finds each field by comparing its
//! name with the type's fields in turn. For the app's big read (20 collections × 20 images × 5
//! prompts) that is about 8,000 futures per request for values already in memory: an id, a
//! status, a prompt. [`Plain`] wraps a page's node: the fields its [`PlainFields`] answers from
//! the row go straight into the object; any other field (arguments, a sub-selection, a loader)
//! goes through the type's derived resolver as before, in the order the client asked for.
//!
//! A node whose selected fields are all plain (the prompts of the app's big read: `id status
//! prompt`) is written to JSON at once, borrowing the row's text, and carried as JSON written
//! ahead (see `response_json`): no `IndexMap` (with a SipHash per key), no copy of each prompt
//! into the tree and out again, no tree to free. Any other node is an object as async-graphql
//! builds it, the plain fields filled in place.
//!
//! A selection this cannot answer exactly as async-graphql would (a fragment, a directive, one
//! response key twice, a column the page did not read) goes through the derived resolver whole,
//! so the answer and its errors are the same either way; `tests/api/page_columns.rs` compares
//! every field read through a page with the same record read alone.

use std::borrow::Cow;

use async_graphql::{
    ContainerType, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value,
    indexmap::IndexMap,
    parser::types::{Field, Selection},
    registry::Registry,
};
use uuid::Uuid;

use super::response_json::{write_str, write_value};

/// A type that can answer some of its fields from what it holds, synchronously.
pub trait PlainFields: ContainerType {
    /// The value of field `name` (a field without arguments or sub-selection), or `None` when
    /// it needs its resolver: it awaits something, or what it reads is not there.
    fn plain_field(&self, name: &str) -> Option<PlainValue<'_>>;
}

/// A plain field's value, borrowed from the row where it can be, so that it can be written to
/// JSON without a copy or turned into the `Value` its resolver would give.
pub enum PlainValue<'a> {
    Null,
    /// A `String`.
    Text(&'a str),
    /// An `ID`: the UUID in its hyphenated form (`ids::to_id`).
    Id(Uuid),
    Int(i32),
    /// An enum value, its name shared.
    Enum(&'a Name),
    /// Anything else, as its resolver answers it (dates, enums named afresh).
    Value(Value),
}

impl PlainValue<'_> {
    fn into_value(self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Text(text) => Value::String(text.to_owned()),
            Self::Id(id) => Value::String(super::ids::to_id(id).0),
            Self::Int(n) => Value::from(n),
            Self::Enum(name) => Value::Enum(name.clone()),
            Self::Value(value) => value,
        }
    }

    /// How many bytes [`Self::write_json`] writes, when no text needs escaping (exactly so
    /// for all but `Value`, which is a guess).
    fn json_len(&self) -> usize {
        match self {
            Self::Null => 4,
            Self::Text(text) => text.len() + 2,
            Self::Id(_) => uuid::fmt::Hyphenated::LENGTH + 2,
            Self::Int(n) => {
                n.unsigned_abs()
                    .checked_ilog10()
                    .map_or(1, |digits| digits as usize + 1)
                    + usize::from(*n < 0)
            }
            Self::Enum(name) => name.len() + 2,
            Self::Value(_) => 32,
        }
    }

    /// Writes what [`write_value`] writes for [`Self::into_value`].
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Text(text) => write_str(out, text),
            Self::Id(id) => {
                let mut buffer = Uuid::encode_buffer();
                write_str(out, id.hyphenated().encode_lower(&mut buffer));
            }
            Self::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Self::Enum(name) => write_str(out, name),
            Self::Value(value) => write_value(out, value),
        }
    }
}

/// A node that resolves like `T` (same schema type, same answers), its plain fields without
/// futures.
#[derive(Clone)]
pub struct Plain<T>(pub T);

impl<T: PlainFields + Send + Sync> OutputType for Plain<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        self.0.introspection_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(json) = plain_json(ctx, &self.0) {
            return Ok(json);
        }
        match plain_object(ctx, &self.0) {
            Some(object) => Ok(object.resolve_rest(ctx, &self.0).await),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// Selections longer than this take the object path, whose map finds a repeated response key
/// in one hash; below it, comparing each key with those before it is cheaper.
const MAX_WRITTEN_AHEAD: usize = 16;

/// The node as JSON written ahead, when every selected field is plain; `None` otherwise.
fn plain_json<T: PlainFields>(ctx: &ContextSelectionSet<'_>, root: &T) -> Option<Value> {
    let items = &ctx.item.node.items;
    if items.len() > MAX_WRITTEN_AHEAD {
        return None;
    }
    let mut fields: [(&str, PlainValue<'_>); MAX_WRITTEN_AHEAD] =
        std::array::from_fn(|_| ("", PlainValue::Null));
    let mut len = 2;
    for (i, selection) in items.iter().enumerate() {
        let field = &plain_selection(selection)?.node;
        let key = field.response_key().node.as_str();
        // The same key twice is legal GraphQL; async-graphql merges the two answers.
        if fields[..i].iter().any(|(earlier, _)| *earlier == key) {
            return None;
        }
        let value = plain_value(root, field)?;
        len += key.len() + 4 + value.json_len();
        fields[i] = (key, value);
    }
    // One allocation, of the exact size unless some text needs escaping.
    let mut out = Vec::with_capacity(len - usize::from(!items.is_empty()));
    out.push(b'{');
    for (i, (key, value)) in fields[..items.len()].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // A response key is a GraphQL name (letters, digits, `_`): nothing to escape.
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        value.write_json(&mut out);
    }
    out.push(b'}');
    // A boxed slice (the allocation shrunk in place when the guess was long) becomes `Bytes`
    // without another allocation.
    Some(Value::Binary(out.into_boxed_slice().into()))
}

/// The field of a selection that a plain path may answer: no fragment (type conditions and
/// merging), no directive (`@skip`/`@include` are already applied; others would need their
/// custom behaviour).
fn plain_selection(selection: &Positioned<Selection>) -> Option<&Positioned<Field>> {
    let Selection::Field(field) = &selection.node else {
        return None;
    };
    field.node.directives.is_empty().then_some(field)
}

/// The value of a field the node answers without its resolver (no arguments, no sub-selection).
fn plain_value<'a, T: PlainFields>(root: &'a T, field: &Field) -> Option<PlainValue<'a>> {
    let name = field.name.node.as_str();
    if name == "__typename" {
        Some(PlainValue::Value(Value::String(
            root.introspection_type_name().into_owned(),
        )))
    } else if field.arguments.is_empty() && field.selection_set.node.items.is_empty() {
        root.plain_field(name)
    } else {
        None
    }
}

/// An object with its plain fields filled in and a `Null` held in place of each field that
/// still needs its resolver (with that place's index).
struct PartlyResolved<'a> {
    object: IndexMap<Name, Value>,
    rest: Vec<(usize, &'a Positioned<Field>)>,
}

/// Fills what can be filled without awaiting; `None` when the selection needs the derived path.
fn plain_object<'a, T: PlainFields>(
    ctx: &ContextSelectionSet<'a>,
    root: &T,
) -> Option<PartlyResolved<'a>> {
    let items = &ctx.item.node.items;
    let mut object = IndexMap::with_capacity(items.len());
    let mut rest = Vec::new();
    for selection in items {
        let field = plain_selection(selection)?;
        let node = &field.node;
        let plain = plain_value(root, node).map(PlainValue::into_value);
        let needs_resolver = plain.is_none();
        let (index, earlier) =
            object.insert_full(node.response_key().node.clone(), plain.unwrap_or_default());
        // The same key twice is legal GraphQL; async-graphql merges the two answers.
        if earlier.is_some() {
            return None;
        }
        if needs_resolver {
            rest.push((index, field));
        }
    }
    Some(PartlyResolved { object, rest })
}

impl PartlyResolved<'_> {
    /// Resolves the remaining fields side by side through the derived resolver, with
    /// async-graphql's rules: a field that fails adds its error and leaves the object.
    async fn resolve_rest<T: PlainFields>(self, ctx: &ContextSelectionSet<'_>, root: &T) -> Value {
        let Self { mut object, rest } = self;
        let answers = futures_util::future::join_all(rest.iter().map(|(_, field)| async move {
            let ctx_field = ctx.with_field(field);
            root.resolve_field(&ctx_field).await
        }))
        .await;
        let mut failed = Vec::new();
        for ((index, _), answer) in rest.iter().zip(answers) {
            match answer {
                Ok(value) => {
                    if let Some((_, slot)) = object.get_index_mut(*index) {
                        *slot = value.unwrap_or_default();
                    }
                }
                Err(error) => {
                    failed.push(*index);
                    ctx.add_error(error);
                }
            }
        }
        // From the last, so the indices of the others stay valid.
        for index in failed.into_iter().rev() {
            object.shift_remove_index(index);
        }
        if object.is_empty() {
            Value::Null
        } else {
            Value::Object(object)
        }
    }
}
