//! `exportUrl(format)` on `User`, `Collection` and `Image`: a short-lived signed link that
//! downloads the prompts of that scope (the route is `http::exports`).

use async_graphql::{Context, Enum};
use chrono::Utc;

use super::context::ContextExt;
use crate::services::exports::{self, ExportScope};

/// The file format of an export.
#[derive(Enum, Copy, Clone, Debug, Eq, PartialEq)]
#[graphql(remote = "crate::services::exports::ExportFormat")]
pub enum ExportFormat {
    /// One JSON document: the scope and its records with the API's field names and values.
    Json,
    /// Semicolon-separated values, UTF-8 with a byte-order mark, German column names: what a
    /// spreadsheet program set up in German opens as it is.
    Csv,
    /// A document for people, with German headings.
    Markdown,
}

/// The export link of `scope` as `format`, valid for `--export-url-ttl` from now.
pub fn export_url(ctx: &Context<'_>, scope: ExportScope, format: ExportFormat) -> String {
    ctx.state().exports.links().link(
        scope,
        exports::ExportFormat::from(format),
        Utc::now().timestamp(),
    )
}
