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

/// A type that can answer some of its fields from what it holds, synchronously.
pub trait PlainFields: ContainerType {
    /// The value of field `name` (a field without arguments or sub-selection), or `None` when
    /// it needs its resolver: it awaits something, or what it reads is not there.
    fn plain_field(&self, name: &str) -> Option<Value>;
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
        match plain_object(ctx, &self.0) {
            Some(object) => Ok(object.resolve_rest(ctx, &self.0).await),
            None => self.0.resolve(ctx, field).await,
        }
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
        // Fragments need type conditions and merging; directives (`@skip`/`@include` are already
        // applied) would need their custom behaviour.
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        let node = &field.node;
        if !node.directives.is_empty() {
            return None;
        }
        let name = node.name.node.as_str();
        let plain = if name == "__typename" {
            Some(Value::String(root.introspection_type_name().into_owned()))
        } else if node.arguments.is_empty() && node.selection_set.node.items.is_empty() {
            root.plain_field(name)
        } else {
            None
        };
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
