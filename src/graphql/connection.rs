//! Relay connections (`edges { cursor node }`, `nodes`, `pageInfo`) built from service pages.

use async_graphql::{
    Context, Lookahead,
    connection::{Connection, CursorType, Edge},
};

use crate::{
    error::AppResult,
    services::pagination::{Cursor, Page, PageRequest},
};

/// The opaque cursor as GraphQL sees it.
pub struct PageCursor(pub Cursor);

impl CursorType for PageCursor {
    type Error = &'static str;

    fn decode_cursor(text: &str) -> Result<Self, Self::Error> {
        Cursor::decode(text).map(Self).ok_or("not a valid cursor")
    }

    fn encode_cursor(&self) -> String {
        self.0.encode()
    }
}

/// A connection of `Node`s (named `NodeConnection` / `NodeEdge` in the schema).
pub type PageConnection<Node> = Connection<PageCursor, Node>;

/// Turns a page of rows into a connection. Paging runs forwards only, so there is a previous
/// page exactly when the client passed `after`.
pub fn connection<Row, Node: async_graphql::OutputType>(
    page: Page<Row>,
    request: PageRequest,
    cursor: impl Fn(&Row) -> Cursor,
    node: impl Fn(Row) -> Node,
) -> PageConnection<Node> {
    let mut connection = Connection::new(request.after.is_some(), page.has_next_page);
    connection.edges = page
        .items
        .into_iter()
        .map(|row| Edge::new(PageCursor(cursor(&row)), node(row)))
        .collect();
    connection
}

/// Like [`connection`], for a page the DataLoader shares (`None`: the parent has no rows):
/// rows are cloned (a pointer each), and a row whose cursor columns were not read is an error.
pub fn shared_connection<Row: Clone, Node: async_graphql::OutputType>(
    page: Option<&Page<Row>>,
    request: PageRequest,
    cursor: impl Fn(&Row) -> AppResult<Cursor>,
    node: impl Fn(Row) -> Node,
) -> AppResult<PageConnection<Node>> {
    let Some(page) = page else {
        return Ok(Connection::new(request.after.is_some(), false));
    };
    let mut connection = Connection::new(request.after.is_some(), page.has_next_page);
    connection.edges = page
        .items
        .iter()
        .map(|row| Ok(Edge::new(PageCursor(cursor(row)?), node(row.clone()))))
        .collect::<AppResult<_>>()?;
    Ok(connection)
}

/// The names of the fields the client selected on this connection field's nodes, under `nodes`
/// and under `edges { node }`, through fragments, inline fragments and aliases (`@skip` and
/// `@include` are not evaluated: a superset, which is all a column choice needs).
pub fn node_fields<'a>(ctx: &'a Context<'_>) -> Vec<&'a str> {
    node_fields_in(ctx.look_ahead())
}

/// [`node_fields`] of a connection field seen from its parent's selection.
pub fn node_fields_in<'a>(look_ahead: Lookahead<'a>) -> Vec<&'a str> {
    let nodes = look_ahead.field("nodes");
    let edge_nodes = look_ahead.field("edges").field("node");
    let mut names = Vec::new();
    for node in nodes
        .selection_fields()
        .into_iter()
        .chain(edge_nodes.selection_fields())
    {
        names.extend(node.selection_set().map(|field| field.name()));
    }
    names
}

/// The complexity of a connection field: `first` (default 20, at most 100) times its children,
/// so a query cannot ask for 100 × 100 × … objects under a small complexity figure.
pub fn complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let first = first.map_or(20, |n| n.clamp(0, 100)) as usize;
    first
        .max(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}
