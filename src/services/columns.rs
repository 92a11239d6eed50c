//! Rows read with only some of their columns: what the page reads fetch when a client asks for
//! a few fields of many records.
//!
//! A [`ColumnSet`] names the columns a read fetched; a [`Loaded`] row is a shared model plus
//! that set, and it hands a field out only when its column was read: a field whose column was
//! not fetched is an internal error, never the blank value the model holds in its place. The
//! [`partial_rows!`] table per entity ties each column to its field once, and fails to compile
//! when the entity gains a column the table does not name.

use std::{fmt, marker::PhantomData, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{DbErr, IdenStatic, QueryResult};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A model that can be read a few columns at a time.
pub trait PartialRow: Sized + Send + Sync + 'static {
    type Column: Copy + IdenStatic + fmt::Debug + Send + Sync + 'static;
    /// Every column, in declaration order (the order of the bits and of the SELECT list).
    const COLUMNS: &'static [Self::Column];
    /// The column's bit in a [`ColumnSet`].
    fn bit(column: Self::Column) -> u64;
    /// A row holding blanks; only ever read through a [`Loaded`] that knows which columns hold
    /// real values.
    fn blank() -> Self;
    /// Reads `column` from `row` at select-list position `index` into its field.
    fn read(&mut self, column: Self::Column, row: &QueryResult, index: usize) -> Result<(), DbErr>;
}

/// A set of a model's columns (at most 64, checked where the table is built).
pub struct ColumnSet<M> {
    bits: u64,
    model: PhantomData<fn() -> M>,
}

impl<M> Clone for ColumnSet<M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M> Copy for ColumnSet<M> {}
impl<M> PartialEq for ColumnSet<M> {
    fn eq(&self, other: &Self) -> bool {
        self.bits == other.bits
    }
}
impl<M> Eq for ColumnSet<M> {}
impl<M> std::hash::Hash for ColumnSet<M> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bits.hash(state);
    }
}

impl<M: PartialRow> fmt::Debug for ColumnSet<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|column| column.as_str()))
            .finish()
    }
}

impl<M: PartialRow> ColumnSet<M> {
    pub fn empty() -> Self {
        Self {
            bits: 0,
            model: PhantomData,
        }
    }

    pub fn all() -> Self {
        M::COLUMNS
            .iter()
            .fold(Self::empty(), |set, column| set.with(*column))
    }

    #[must_use]
    pub fn with(self, column: M::Column) -> Self {
        Self {
            bits: self.bits | M::bit(column),
            model: PhantomData,
        }
    }

    pub fn contains(self, column: M::Column) -> bool {
        self.bits & M::bit(column) != 0
    }

    /// How many columns the set holds.
    pub fn count(self) -> usize {
        self.bits.count_ones() as usize
    }

    /// Where `column` stands in [`Self::iter`]'s order, if the set holds it.
    pub fn position(self, column: M::Column) -> Option<usize> {
        self.iter()
            .position(|held| held.as_str() == column.as_str())
    }

    /// The columns in declaration order.
    pub fn iter(self) -> impl Iterator<Item = M::Column> {
        M::COLUMNS
            .iter()
            .copied()
            .filter(move |column| self.contains(*column))
    }

    /// Decodes a row whose select list is exactly this set's columns, in [`Self::iter`] order:
    /// by position, so no column name is looked up per row.
    pub fn decode(self, row: &QueryResult) -> Result<Loaded<M>, DbErr> {
        self.decode_at(row, 0)
    }

    /// Like [`Self::decode`] for a select list in which this set's columns start at `first`
    /// (a statement that reads a parent's columns before its children's).
    pub fn decode_at(self, row: &QueryResult, first: usize) -> Result<Loaded<M>, DbErr> {
        let mut model = M::blank();
        for (index, column) in self.iter().enumerate() {
            model.read(column, row, first + index)?;
        }
        Ok(Loaded {
            row: Arc::new(model),
            columns: self,
        })
    }
}

/// A shared row and the columns it was read with. Cloning it clones a pointer.
pub struct Loaded<M> {
    row: Arc<M>,
    columns: ColumnSet<M>,
}

impl<M> Clone for Loaded<M> {
    fn clone(&self) -> Self {
        Self {
            row: self.row.clone(),
            columns: self.columns,
        }
    }
}

impl<M: PartialRow + fmt::Debug> fmt::Debug for Loaded<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("columns", &self.columns)
            .field("row", &self.row)
            .finish()
    }
}

impl<M: PartialRow> Loaded<M> {
    /// A whole record (mutations, single-record reads, subscriptions).
    pub fn full(row: impl Into<Arc<M>>) -> Self {
        Self {
            row: row.into(),
            columns: ColumnSet::all(),
        }
    }

    /// The row without a check: only for the paging columns (parent, `created_at`, `id`) that
    /// [`super::pagination::pages_by_parent`] always fetches.
    pub(in crate::services) fn unchecked(&self) -> &M {
        &self.row
    }

    /// The row, for reading `column`: an internal error when the read that made it did not
    /// fetch that column (a resolver whose column the selection mapping forgot).
    pub fn holding(&self, column: M::Column) -> AppResult<&M> {
        if self.columns.contains(column) {
            Ok(&self.row)
        } else {
            Err(AppError::from(anyhow::anyhow!(
                "BUG: the column {} was not read for this row (read: {:?})",
                column.as_str(),
                self.columns
            )))
        }
    }
}

/// What an unread field holds until its column is read (never shown: see [`Loaded::holding`]).
pub trait Blank {
    fn blank() -> Self;
}

impl<T> Blank for Option<T> {
    fn blank() -> Self {
        None
    }
}
impl Blank for Uuid {
    fn blank() -> Self {
        Uuid::nil()
    }
}
impl Blank for String {
    fn blank() -> Self {
        String::new()
    }
}
impl Blank for i32 {
    fn blank() -> Self {
        0
    }
}
impl Blank for i64 {
    fn blank() -> Self {
        0
    }
}
impl Blank for DateTime<Utc> {
    fn blank() -> Self {
        DateTime::UNIX_EPOCH
    }
}
impl Blank for entity::sea_orm_active_enums::VideoPromptStatus {
    fn blank() -> Self {
        Self::Pending
    }
}

/// Implements [`PartialRow`] for an entity's model and gives `Loaded<Model>` one checked
/// accessor per field. Every column must be listed: the struct literal and the `match` stop
/// compiling when the entity gains one.
macro_rules! partial_rows {
    ($module:ident { $($field:ident: $column:ident => $type:ty),* $(,)? }) => {
        impl $crate::services::columns::PartialRow for entity::$module::Model {
            type Column = entity::$module::Column;
            const COLUMNS: &'static [Self::Column] = &[$(entity::$module::Column::$column),*];

            fn bit(column: Self::Column) -> u64 {
                const _: () = assert!([$(stringify!($column)),*].len() <= 64);
                1 << (column as u32)
            }

            fn blank() -> Self {
                Self { $($field: $crate::services::columns::Blank::blank()),* }
            }

            fn read(
                &mut self,
                column: Self::Column,
                row: &sea_orm::QueryResult,
                index: usize,
            ) -> Result<(), sea_orm::DbErr> {
                match column {
                    $(entity::$module::Column::$column => self.$field = $crate::services::cells::Cell::read(row, index)?,)*
                }
                Ok(())
            }
        }

        impl $crate::services::columns::Loaded<entity::$module::Model> {
            $(
                pub fn $field(&self) -> $crate::error::AppResult<&$type> {
                    Ok(&self.holding(entity::$module::Column::$column)?.$field)
                }
            )*
        }
    };
}

partial_rows!(image {
    id: Id => Uuid,
    collection_id: CollectionId => Uuid,
    file_name: FileName => String,
    mime_type: MimeType => String,
    byte_size: ByteSize => i64,
    width: Width => Option<i32>,
    height: Height => Option<i32>,
    sha256: Sha256 => String,
    storage_key: StorageKey => String,
    created_at: CreatedAt => DateTime<Utc>,
});

partial_rows!(video_prompt {
    id: Id => Uuid,
    image_id: ImageId => Uuid,
    user_id: UserId => Uuid,
    camera_style: CameraStyle => String,
    film_effect: FilmEffect => String,
    notes: Notes => Option<String>,
    status: Status => entity::sea_orm_active_enums::VideoPromptStatus,
    prompt: Prompt => Option<String>,
    details: Details => Option<sea_orm::JsonValue>,
    error_code: ErrorCode => Option<String>,
    error_message: ErrorMessage => Option<String>,
    model: Model => Option<String>,
    prompt_tokens: PromptTokens => Option<i32>,
    output_tokens: OutputTokens => Option<i32>,
    attempts: Attempts => i32,
    idempotency_key: IdempotencyKey => Option<String>,
    lease_owner: LeaseOwner => Option<String>,
    lease_expires_at: LeaseExpiresAt => Option<DateTime<Utc>>,
    next_attempt_at: NextAttemptAt => DateTime<Utc>,
    created_at: CreatedAt => DateTime<Utc>,
    started_at: StartedAt => Option<DateTime<Utc>>,
    completed_at: CompletedAt => Option<DateTime<Utc>>,
    updated_at: UpdatedAt => DateTime<Utc>,
});

#[cfg(test)]
mod tests {
    use entity::{image, video_prompt};
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn the_tables_list_every_column_in_order_each_with_its_own_bit() {
        fn check<M: PartialRow>(declared: Vec<M::Column>) {
            let listed: Vec<_> = M::COLUMNS.iter().map(|c| c.as_str()).collect();
            let declared: Vec<_> = declared.iter().map(|c| c.as_str()).collect();
            assert_eq!(listed, declared);
            let bits = M::COLUMNS.iter().fold(0u64, |bits, column| {
                assert_eq!(bits & M::bit(*column), 0, "{column:?} shares a bit");
                bits | M::bit(*column)
            });
            assert_eq!(bits.count_ones() as usize, M::COLUMNS.len());
        }
        check::<image::Model>(image::Column::iter().collect());
        check::<video_prompt::Model>(video_prompt::Column::iter().collect());
    }

    #[test]
    fn a_field_whose_column_was_not_read_is_an_error_not_a_blank() {
        let columns = ColumnSet::<video_prompt::Model>::empty()
            .with(video_prompt::Column::Id)
            .with(video_prompt::Column::Prompt);
        let mut model = video_prompt::Model::blank();
        model.prompt = Some("Ein Prompt".into());
        let row = Loaded {
            row: Arc::new(model),
            columns,
        };
        assert_eq!(row.prompt().unwrap().as_deref(), Some("Ein Prompt"));
        assert!(row.id().is_ok());
        for err in [
            row.details().map(|_| ()).unwrap_err(),
            row.notes().map(|_| ()).unwrap_err(),
            row.status().map(|_| ()).unwrap_err(),
        ] {
            assert_eq!(err.code(), "INTERNAL");
        }
        let full = Loaded::full(video_prompt::Model::blank());
        assert!(full.details().is_ok() && full.updated_at().is_ok());
        assert_eq!(
            format!("{columns:?}"),
            r#"{"id", "prompt"}"#,
            "the set names its columns"
        );
    }
}
