//! Column values decoded straight from the driver's row, for the page reads that decode
//! thousands of them per request (`columns::partial_rows!`).
//!
//! SeaORM's `try_get_by_index` asks sqlx for each value with `Row::try_get`, which first checks
//! that the column's database type is compatible with the Rust type (a type-info clone and a
//! comparison per value, 5 % of the app's largest read), and decodes text with `str::from_utf8`,
//! which walks German prose with its umlauts a byte at a time (8 %). Here each value is decoded
//! into the same Rust type SeaORM would use on that backend, with `try_get_unchecked` (a page's
//! select list is built from the entity's own columns, whose types the migrations fixed) and
//! text validated with `simdutf8` instead. A row from any other source (a mock) goes through
//! SeaORM as before.

use chrono::{DateTime, Utc};
use entity::sea_orm_active_enums::VideoPromptStatus;
use sea_orm::{
    DbErr, QueryResult, RuntimeErr,
    sqlx::{self, Row as _},
};
use uuid::Uuid;

/// A value of a column type the page reads decode.
pub trait Cell: Sized {
    /// The value at select-list position `index` of `row`.
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr>;
}

fn sqlx_err(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(err.into()))
}

fn null_at(index: usize) -> DbErr {
    DbErr::Type(format!(
        "A null value was read at column {index}, which cannot be null"
    ))
}

/// Decodes `Option<$type>` with sqlx's own decoder on either backend (the type SeaORM's
/// `TryGetable` reads there too), and `$type` as a value that must not be null.
macro_rules! sqlx_cells {
    ($($type:ty),* $(,)?) => {$(
        impl Cell for Option<$type> {
            fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                if let Some(row) = row.try_as_pg_row() {
                    row.try_get_unchecked(index).map_err(sqlx_err)
                } else if let Some(row) = row.try_as_sqlite_row() {
                    row.try_get_unchecked(index).map_err(sqlx_err)
                } else {
                    row.try_get_by_index(index)
                }
            }
        }

        impl Cell for $type {
            fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                Option::<$type>::read(row, index)?.ok_or_else(|| null_at(index))
            }
        }
    )*};
}

sqlx_cells!(Uuid, i32, i64);

/// A time: on PostgreSQL, a `timestamptz` sent in binary is the microseconds since 2000-01-01
/// UTC, turned into the same instant as sqlx's decoder does (which adds a `TimeDelta` to the
/// epoch, three times the work); anything else through sqlx's decoder.
impl Cell for Option<DateTime<Utc>> {
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        use sqlx::{ValueRef as _, postgres::PgValueFormat};
        let Some(pg) = row.try_as_pg_row() else {
            return match row.try_as_sqlite_row() {
                Some(row) => row.try_get_unchecked(index).map_err(sqlx_err),
                None => row.try_get_by_index(index),
            };
        };
        let value = pg.try_get_raw(index).map_err(sqlx_err)?;
        if value.is_null() {
            return Ok(None);
        }
        if value.format() != PgValueFormat::Binary {
            return pg.try_get_unchecked(index).map_err(sqlx_err);
        }
        value
            .as_bytes()
            .ok()
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
            .and_then(|bytes| postgres_time(i64::from_be_bytes(bytes)))
            .map(Some)
            .ok_or_else(|| DbErr::Type(format!("the time at column {index} is out of range")))
    }
}

/// The instant `micros` microseconds after PostgreSQL's epoch, 2000-01-01T00:00:00Z.
fn postgres_time(micros: i64) -> Option<DateTime<Utc>> {
    const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;
    DateTime::from_timestamp_micros(micros.checked_add(POSTGRES_EPOCH_MICROS)?)
}

impl Cell for DateTime<Utc> {
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        Option::<DateTime<Utc>>::read(row, index)?.ok_or_else(|| null_at(index))
    }
}

/// Text: the raw bytes (PostgreSQL's text and varchar are sent as UTF-8, SQLite hands out a
/// TEXT value's UTF-8 bytes as its blob), checked with `simdutf8` and copied once.
impl Cell for Option<String> {
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        match text_bytes(row, index) {
            Some(bytes) => Ok(bytes?
                .map(|bytes| text(bytes, index).map(str::to_owned))
                .transpose()?),
            None => row.try_get_by_index(index),
        }
    }
}

impl Cell for String {
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        Option::<String>::read(row, index)?.ok_or_else(|| null_at(index))
    }
}

/// A status as SeaORM stores it (its upper-case name), read without a `String` in between.
impl Cell for VideoPromptStatus {
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        use sea_orm::Iterable as _;
        let Some(bytes) = text_bytes(row, index) else {
            return row.try_get_by_index(index);
        };
        let bytes = bytes?.ok_or_else(|| null_at(index))?;
        VideoPromptStatus::iter()
            .find(|status| status.as_str().as_bytes() == bytes)
            .ok_or_else(|| {
                DbErr::Type(format!(
                    "unexpected value for VideoPromptStatus: {:?}",
                    String::from_utf8_lossy(bytes)
                ))
            })
    }
}

/// JSON is read rarely (`details` only when asked for): SeaORM's way.
impl Cell for Option<sea_orm::JsonValue> {
    fn read(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        row.try_get_by_index(index)
    }
}

/// The bytes of a text value (`None` inside for null); `None` for a row of another kind.
fn text_bytes(row: &QueryResult, index: usize) -> Option<Result<Option<&[u8]>, DbErr>> {
    if let Some(row) = row.try_as_pg_row() {
        Some(row.try_get_unchecked(index).map_err(sqlx_err))
    } else {
        row.try_as_sqlite_row()
            .map(|row| row.try_get_unchecked(index).map_err(sqlx_err))
    }
}

fn text(bytes: &[u8], index: usize) -> Result<&str, DbErr> {
    simdutf8::basic::from_utf8(bytes)
        .map_err(|_| DbErr::Type(format!("the text at column {index} is not valid UTF-8")))
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeDelta};

    use super::*;

    #[test]
    fn postgres_times_are_the_instants_sqlx_decodes() {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        for micros in [
            0,
            1,
            -1,
            999_999,
            -1_000_001,
            849_484_800_123_456,
            -946_684_800_000_000,
            -1_234_567_890_123_456,
            4_102_444_800_000_000,
        ] {
            // What sqlx does: the epoch plus a `TimeDelta`.
            let sqlx = (epoch + TimeDelta::microseconds(micros)).and_utc();
            assert_eq!(postgres_time(micros), Some(sqlx), "{micros}");
        }
        assert_eq!(postgres_time(i64::MAX), None);
    }
}
