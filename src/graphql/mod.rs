//! The GraphQL schema: one module per resource, merged here; resolvers stay thin (parse,
//! authorise, call a service, map errors).

mod answer_size;
pub mod collections;
pub mod connection;
pub mod context;
mod document_cache;
mod document_size;
mod error_codes;
mod executor;
pub mod exports;
pub mod ids;
pub mod images;
pub mod loaders;
pub mod nodes;
mod nul_text;
pub mod options;
pub mod persisted;
mod plain_fields;
mod request_checks;
pub mod response_json;
pub mod subscriptions;
pub mod users;
pub mod video_prompts;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

pub use executor::Executor;

#[derive(MergedObject, Default)]
pub struct Query(
    users::UserQuery,
    collections::CollectionQuery,
    images::ImageQuery,
    video_prompts::VideoPromptQuery,
    options::OptionsQuery,
    nodes::NodeQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    users::UserMutation,
    collections::CollectionMutation,
    images::ImageMutation,
    video_prompts::VideoPromptMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(subscriptions::VideoPromptSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Limits a schema enforces on every operation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Most selections with fragments expanded (see `document_size`).
    pub max_selections: usize,
    pub introspection: bool,
    pub field_suggestions: bool,
}

/// The schema without runtime data: what `videoprompt schema` prints and the server serves.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

/// Applies the configured limits (but for the selection count, which [`Executor`] checks).
pub fn with_limits(
    builder: SchemaBuilder<Query, Mutation, Subscription>,
    limits: Limits,
) -> SchemaBuilder<Query, Mutation, Subscription> {
    let mut builder = builder
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        // Bounds the nesting of selections and fragment spreads (brackets in values are
        // bounded before parsing, by `check_nesting`).
        .limit_recursive_depth(document_size::MAX_RECURSIVE_DEPTH)
        .limit_directives(16);
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    // "Did you mean …?" would list the field names that introspection keeps to itself.
    if !limits.field_suggestions || !limits.introspection {
        builder = builder.disable_suggestions();
    }
    builder
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}
