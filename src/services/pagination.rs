//! Keyset pagination, newest first: `first` and an opaque `after` cursor in, a page out.
//!
//! A cursor names the last row seen by its `(created_at, id)`, so a page stays correct while
//! rows are added or deleted (an offset would skip or repeat rows). It is opaque to clients:
//! base64 of a versioned text, so its form can change without breaking the API's promise.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use futures_util::TryStreamExt as _;
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, EntityTrait, JoinType, Order, StreamTrait,
    sea_query::{Alias, Expr, ExprTrait as _, IntoColumnRef, Query, SelectStatement},
};
use uuid::Uuid;

use super::columns::{ColumnSet, Loaded, PartialRow};
use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A position in a list: the row's creation time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "v1:{}:{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut parts = text.splitn(3, ':');
        if parts.next()? != "v1" {
            return None;
        }
        let micros: i64 = parts.next()?.parse().ok()?;
        let id = Uuid::parse_str(parts.next()?).ok()?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros)?,
            id,
        })
    }

    /// Rows after this one in newest-first order: older, or as old with a smaller id. Written
    /// as one row-value comparison, `(created_at, id) < (…, …)`, so both databases read it as a
    /// range on the index `(parent, created_at, id)` instead of filtering every older row.
    pub fn older_than(&self, created_at: impl IntoColumnRef, id: impl IntoColumnRef) -> Condition {
        Condition::all().add(
            Expr::tuple([Expr::col(created_at), Expr::col(id)]).lt(Expr::tuple([
                Expr::val(self.created_at),
                Expr::val(self.id),
            ])),
        )
    }
}

/// What a client asked for: how many, after which row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Checks `first` (0 to 100, default 20) and decodes `after`.
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(AppError::invalid("first", "`first` must not be negative."));
            }
            Some(n) => std::cmp::min(u64::try_from(n).unwrap_or(0), MAX_PAGE_SIZE),
        };
        let after = match after {
            None => None,
            Some(text) => Some(
                Cursor::decode(text)
                    .ok_or_else(|| AppError::invalid("after", "`after` is not a valid cursor."))?,
            ),
        };
        Ok(Self { first, after })
    }
}

/// One page of rows and whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `first + 1` rows (the extra one only tells that more follow).
    pub fn from_rows(mut rows: Vec<T>, first: u64) -> Self {
        let first = usize::try_from(first).unwrap_or(usize::MAX);
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Self {
            items: rows,
            has_next_page,
        }
    }
}

/// How a child table is paged under its parents: the parent column, and the columns of the
/// newest-first order. `parent_of` and `cursor_of` read only those columns, which every page
/// read fetches.
pub struct ChildOrder<E: EntityTrait> {
    pub parent: E::Column,
    pub created_at: E::Column,
    pub id: E::Column,
    pub parent_of: fn(&E::Model) -> Uuid,
    pub cursor_of: fn(&E::Model) -> Cursor,
}

impl<E: EntityTrait> ChildOrder<E>
where
    E::Model: PartialRow<Column = E::Column>,
{
    /// `columns` with the ones every page read needs: the parent (grouping), `created_at` and
    /// `id` (order and cursors).
    fn with_paging_columns(&self, columns: ColumnSet<E::Model>) -> ColumnSet<E::Model> {
        columns
            .with(self.parent)
            .with(self.created_at)
            .with(self.id)
    }

    /// Sorts one parent's rows newest first (a statement's rows come in no particular order).
    fn sort_newest_first(&self, rows: &mut [Loaded<E::Model>]) {
        rows.sort_by_key(|row| {
            let cursor = (self.cursor_of)(row.unchecked());
            std::cmp::Reverse((cursor.created_at, cursor.id))
        });
    }
}

/// One page of children for each of several parents, newest first, in one statement. This is
/// what keeps a page of parents with their children at a fixed number of queries (a DataLoader
/// gathers the parent ids).
///
/// A page costs what it holds, not what lies behind it: each parent's rows are read through the
/// index `(parent, created_at, id)` with a `LIMIT first + 1` (and the cursor as a range on that
/// index), so a page of 5 reads about 6 rows per parent whether the parent has 5 children or
/// 50,000. The parents are a `VALUES` list; PostgreSQL reads each one's page in a `LATERAL`
/// subquery, and SQLite, which has no `LATERAL`, in a correlated `rowid IN (… LIMIT …)`
/// subquery that it runs once per parent on the covering index (see the plans checked in the
/// test `page_plans`).
///
/// Only `columns` are fetched and decoded (with the parent, `created_at` and `id` always, which
/// the grouping, the order and the cursors need): a client asking for three fields of 2,000
/// rows does not pay for the other twenty. Each row is decoded as it arrives and its driver row
/// dropped at once, so the driver's copies of a big page (2,000 rows, 2 to 3 MB) are never
/// held all together beside the decoded rows.
pub async fn pages_by_parent<E>(
    db: &(impl ConnectionTrait + StreamTrait),
    order: &ChildOrder<E>,
    parent_ids: &[Uuid],
    page: PageRequest,
    columns: ColumnSet<E::Model>,
) -> AppResult<HashMap<Uuid, Page<Loaded<E::Model>>>>
where
    E: EntityTrait + Default,
    E::Model: PartialRow<Column = E::Column>,
{
    let columns = order.with_paging_columns(columns);
    let mut grouped: HashMap<Uuid, Vec<Loaded<E::Model>>> =
        parent_ids.iter().map(|id| (*id, Vec::new())).collect();
    if grouped.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = ConnectionTrait::get_database_backend(db);
    let statement = backend.build(&page_statement(backend, order, &grouped, page, columns));
    let rows = db.stream_raw(statement).await?;
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.try_next().await? {
        let row = columns.decode(&row)?;
        grouped
            .entry((order.parent_of)(row.unchecked()))
            .or_default()
            .push(row);
    }
    Ok(grouped
        .into_iter()
        .map(|(id, mut rows)| {
            order.sort_newest_first(&mut rows);
            (id, Page::from_rows(rows, page.first))
        })
        .collect())
}

/// The statement [`pages_by_parent`] runs: the select list is exactly `columns` in
/// [`ColumnSet::iter`] order, as [`ColumnSet::decode`] reads rows by position.
fn page_statement<E>(
    backend: DbBackend,
    order: &ChildOrder<E>,
    parent_ids: &HashMap<Uuid, Vec<Loaded<E::Model>>>,
    page: PageRequest,
    columns: ColumnSet<E::Model>,
) -> SelectStatement
where
    E: EntityTrait + Default,
    E::Model: PartialRow<Column = E::Column>,
{
    let parents = Alias::new("parents");
    // `VALUES` names its columns `column1`, … on both databases.
    let parent_id = (parents.clone(), Alias::new("column1"));
    let values = parent_ids.keys().copied();

    let mut one_parent = one_parent_page(order, parent_id, page);

    match backend {
        DbBackend::Postgres => {
            let page_alias = Alias::new("page");
            one_parent.columns(columns.iter());
            Query::select()
                .columns(columns.iter().map(|column| (page_alias.clone(), column)))
                .from_values(values, parents)
                .join_lateral(
                    JoinType::InnerJoin,
                    one_parent,
                    page_alias,
                    Expr::cust("TRUE"),
                )
                .to_owned()
        }
        _ => {
            let rowid = Alias::new("rowid");
            one_parent.column(rowid.clone());
            Query::select()
                .columns(columns.iter().map(|column| (E::default(), column)))
                .from_values(values, parents)
                .inner_join(
                    E::default(),
                    Expr::col((E::default(), rowid)).in_subquery(one_parent),
                )
                .to_owned()
        }
    }
}

/// One parent's page of children: newest first, one row more than asked for (it tells that
/// more follow), the parent named by `parent_id` (a column of the enclosing statement). The
/// caller adds the select list.
fn one_parent_page<E: EntityTrait + Default>(
    order: &ChildOrder<E>,
    parent_id: impl IntoColumnRef,
    page: PageRequest,
) -> SelectStatement {
    let mut one_parent = Query::select();
    one_parent
        .from(E::default())
        .and_where(Expr::col(order.parent).equals(parent_id))
        .order_by(order.created_at, Order::Desc)
        .order_by(order.id, Order::Desc)
        .limit(page.first + 1);
    if let Some(after) = page.after {
        one_parent.cond_where(after.older_than(order.created_at, order.id));
    }
    one_parent
}

/// A parent row and one page of its children, in one statement: what `image(id)` with its
/// `videoPrompts` costs (a round trip and a DataLoader batch fewer than the row and then its
/// page).
///
/// `parent` selects at most one row (say, an id and an ownership check), and `parent_columns` as
/// its select list, in [`ColumnSet::iter`] order; `parent_id` is that row's id column. The
/// children join it like [`pages_by_parent`] reads them (a `LEFT JOIN LATERAL` on PostgreSQL, a
/// correlated `rowid IN (… LIMIT …)` on SQLite), so a parent without children is still one row,
/// its child columns null. `None` when `parent` finds no row.
pub async fn parent_with_page<P, E>(
    db: &impl ConnectionTrait,
    mut parent: SelectStatement,
    parent_columns: ColumnSet<P>,
    parent_id: impl IntoColumnRef,
    order: &ChildOrder<E>,
    page: PageRequest,
    columns: ColumnSet<E::Model>,
) -> AppResult<Option<(Loaded<P>, Page<Loaded<E::Model>>)>>
where
    P: PartialRow,
    E: EntityTrait + Default,
    E::Model: PartialRow<Column = E::Column>,
{
    let columns = order.with_paging_columns(columns);
    let mut one_parent = one_parent_page(order, parent_id, page);
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let page_alias = Alias::new("page");
            one_parent.columns(columns.iter());
            parent
                .columns(columns.iter().map(|column| (page_alias.clone(), column)))
                .join_lateral(
                    JoinType::LeftJoin,
                    one_parent,
                    page_alias,
                    Expr::cust("TRUE"),
                );
        }
        _ => {
            let rowid = Alias::new("rowid");
            one_parent.column(rowid.clone());
            parent
                .columns(columns.iter().map(|column| (E::default(), column)))
                .left_join(
                    E::default(),
                    Expr::col((E::default(), rowid)).in_subquery(one_parent),
                );
        }
    }

    let rows = db.query_all(&parent).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let parent_row = parent_columns.decode(first)?;
    let child_at = parent_columns.count();
    let id_at = child_at
        + columns
            .position(order.id)
            .expect("the paging columns are always read");
    let mut children = Vec::with_capacity(rows.len());
    for row in &rows {
        // A parent without children comes back once, with nulls where a child would be.
        if row.try_get_by_index::<Option<Uuid>>(id_at)?.is_some() {
            children.push(columns.decode_at(row, child_at)?);
        }
    }
    order.sort_newest_first(&mut children);
    Ok(Some((parent_row, Page::from_rows(children, page.first))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = Cursor {
            created_at: DateTime::from_timestamp_micros(1_764_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "abc", "djE6eDp5", "!!!"] {
            assert_eq!(Cursor::decode(bad), None);
        }
    }

    #[test]
    fn first_is_bounded() {
        assert_eq!(PageRequest::new(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::new(Some(500), None).unwrap().first, 100);
        assert_eq!(PageRequest::new(Some(0), None).unwrap().first, 0);
        assert_eq!(
            PageRequest::new(Some(-1), None).unwrap_err().code(),
            "BAD_USER_INPUT"
        );
        assert_eq!(
            PageRequest::new(None, Some("nope")).unwrap_err().code(),
            "BAD_USER_INPUT"
        );
    }
}
