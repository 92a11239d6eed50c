//! Exports of a user's video prompts (one image's, one collection's, or all of them) as JSON,
//! CSV or Markdown, through a short-lived signed link a browser can download without a token.
//!
//! An export is streamed: the records are read in pages of [`PAGE_ROWS`] newest first (a range
//! on the same `(…, created_at, id)` indexes the connections use) and each page is written and
//! sent before the next is read, so 10,000 prompts never sit in memory at once, and a client that
//! reads slowly holds back the reads instead of piling up bytes. At most
//! [`CONCURRENT_EXPORTS`] are written at once; another waits its turn, up to [`TURN_WAIT`].

mod csv;
mod json;
pub mod link;
mod markdown;
mod rows;

use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, stream::BoxStream};
use sea_orm::DatabaseConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

pub use self::link::ExportLinks;
use self::rows::{ExportRow, Title};
use crate::{
    error::{AppError, AppResult},
    services::pagination::Cursor,
};

/// Records read (and written) at a time.
pub const PAGE_ROWS: u64 = 500;
/// Exports written at once per instance: each holds a page of records and its text (a few MB at
/// most), so this bounds what exports can cost however many links are opened together.
pub const CONCURRENT_EXPORTS: usize = 8;
/// How long an export waits for its turn before the answer is "busy, try again".
pub const TURN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON document: the scope and an array of records, with the API's field names.
    Json,
    /// Semicolon-separated, UTF-8 with a byte-order mark, German column names.
    Csv,
    /// A document to read, with German headings.
    Markdown,
}

impl ExportFormat {
    pub const ALL: [Self; 3] = [Self::Json, Self::Csv, Self::Markdown];

    /// The file name extension, which is also how the link names the format.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Markdown => "md",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.extension() == extension)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::Markdown => "text/markdown; charset=utf-8",
        }
    }
}

/// Whose prompts an export holds. The link was signed for the owner of the image, collection
/// or user it names, so the scope alone says which rows are theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportScope {
    Image(Uuid),
    Collection(Uuid),
    User(Uuid),
}

impl ExportScope {
    /// How the link names the kind of scope.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Image(_) => "image",
            Self::Collection(_) => "collection",
            Self::User(_) => "user",
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            Self::Image(id) | Self::Collection(id) | Self::User(id) => id,
        }
    }

    pub fn parse(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "image" => Some(Self::Image(id)),
            "collection" => Some(Self::Collection(id)),
            "user" => Some(Self::User(id)),
            _ => None,
        }
    }
}

/// An export ready to send: its file name and the stream of its bytes.
pub struct Export {
    /// What the browser saves it as, e.g. `Videoprompts Urlaub 2026-12-06.csv`.
    pub file_name: String,
    pub format: ExportFormat,
    pub body: BoxStream<'static, AppResult<Bytes>>,
}

/// Makes export links and exports.
#[derive(Clone)]
pub struct Exports {
    db: DatabaseConnection,
    links: ExportLinks,
    turns: Arc<Semaphore>,
}

/// Why an export could not be opened.
pub enum OpenError {
    /// What the link names was deleted since it was made.
    Gone,
    /// [`CONCURRENT_EXPORTS`] were being written for all of [`TURN_WAIT`].
    Busy,
    Failed(AppError),
}

impl From<AppError> for OpenError {
    fn from(err: AppError) -> Self {
        Self::Failed(err)
    }
}

impl Exports {
    pub fn new(db: DatabaseConnection, links: ExportLinks) -> Self {
        Self {
            db,
            links,
            turns: Arc::new(Semaphore::new(CONCURRENT_EXPORTS)),
        }
    }

    pub fn links(&self) -> &ExportLinks {
        &self.links
    }

    /// The export of `scope`, in its turn. Nothing but the title is read until the body is
    /// polled; the turn is given back when the body is done or dropped.
    pub async fn open(
        &self,
        scope: ExportScope,
        format: ExportFormat,
        now: DateTime<Utc>,
    ) -> Result<Export, OpenError> {
        let turn = take_turn(&self.turns).await?;
        let Some(title) = rows::title(&self.db, scope, now).await? else {
            return Err(OpenError::Gone);
        };
        Ok(Export {
            file_name: title.file_name(format),
            format,
            body: stream(self.db.clone(), scope, format, title, turn).boxed(),
        })
    }
}

/// A turn to write an export, waiting at most [`TURN_WAIT`] for one.
async fn take_turn(turns: &Arc<Semaphore>) -> Result<OwnedSemaphorePermit, OpenError> {
    tokio::time::timeout(TURN_WAIT, turns.clone().acquire_owned())
        .await
        .map_err(|_| OpenError::Busy)
        .map(|turn| turn.expect("BUG: the export turns are never closed"))
}

/// What is written before, for and after the records, in one format.
trait Writer: Send + 'static {
    fn begin(&mut self, title: &Title, out: &mut Vec<u8>);
    fn record(&mut self, row: &ExportRow, out: &mut Vec<u8>);
    fn end(&mut self, title: &Title, out: &mut Vec<u8>);
}

fn writer(format: ExportFormat) -> Box<dyn Writer> {
    match format {
        ExportFormat::Json => Box::new(json::JsonWriter::default()),
        ExportFormat::Csv => Box::new(csv::CsvWriter),
        ExportFormat::Markdown => Box::new(markdown::MarkdownWriter::default()),
    }
}

/// Where the stream is.
enum Step {
    Begin,
    /// The next page starts after this record (`None`: from the newest).
    Page(Option<Cursor>),
    End,
    Done,
}

/// The export's bytes: the beginning, a chunk per page of records, the end.
fn stream(
    db: DatabaseConnection,
    scope: ExportScope,
    format: ExportFormat,
    title: Title,
    turn: OwnedSemaphorePermit,
) -> impl Stream<Item = AppResult<Bytes>> {
    let state = (Step::Begin, writer(format), (db, turn), title);
    futures_util::stream::try_unfold(state, move |(step, mut writer, held, title)| async move {
        let db = &held.0;
        let mut out = Vec::new();
        let next = match step {
            Step::Begin => {
                writer.begin(&title, &mut out);
                Step::Page(None)
            }
            Step::Page(after) => {
                let rows = rows::page(db, scope, after, PAGE_ROWS).await?;
                for row in &rows {
                    writer.record(row, &mut out);
                }
                match rows.last() {
                    Some(last) if rows.len() as u64 == PAGE_ROWS => Step::Page(Some(last.cursor())),
                    _ => Step::End,
                }
            }
            Step::End => {
                writer.end(&title, &mut out);
                Step::Done
            }
            Step::Done => return Ok(None),
        };
        Ok(Some((Bytes::from(out), (next, writer, held, title))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_export_waits_for_a_turn_and_is_busy_after_the_wait() {
        let turns = Arc::new(Semaphore::new(CONCURRENT_EXPORTS));
        let mut held = Vec::new();
        for _ in 0..CONCURRENT_EXPORTS {
            held.push(take_turn(&turns).await.ok().expect("a free turn"));
        }
        let started = tokio::time::Instant::now();
        assert!(matches!(take_turn(&turns).await, Err(OpenError::Busy)));
        assert_eq!(started.elapsed(), TURN_WAIT);

        // A turn given back (an export done or dropped) lets the next one in.
        let waiting = tokio::spawn({
            let turns = turns.clone();
            async move { take_turn(&turns).await.is_ok() }
        });
        held.pop();
        assert!(waiting.await.unwrap());
    }
}
