//! Reading a row of either engine. Each column is first read as a [`Cell`] (NULL, integer,
//! real, text or bytes, whatever integer or numeric type the engine answered with: PostgreSQL
//! sums integers as `numeric` and compares as `boolean`), then as the Rust type asked for.

use postgres_types::{FromSql, Type};

use crate::error::{Result, StoreError};

/// One row of a result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r tokio_postgres::Row),
}

/// One column's value, as both engines can give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl Row<'_> {
    /// How many columns the row has.
    pub fn len(&self) -> usize {
        match self {
            Row::Sqlite(row) => row.as_ref().column_count(),
            Row::Postgres(row) => row.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Column `index` (from 0) as a `T`.
    pub fn get<T: FromColumn>(&self, index: usize) -> Result<T> {
        let wrong = |why: String| StoreError::Corrupt(format!("column {index}: {why}"));
        match self {
            Row::Sqlite(row) => {
                use rusqlite::types::ValueRef;
                let cell = match row.get_ref(index)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Real(v) => Cell::Real(v),
                    ValueRef::Text(v) => Cell::Text(
                        std::str::from_utf8(v).map_err(|e| wrong(format!("not UTF-8: {e}")))?,
                    ),
                    ValueRef::Blob(v) => Cell::Blob(v),
                };
                T::from_cell(cell).map_err(wrong)
            }
            Row::Postgres(row) => {
                let cell = pg_cell(row, index).map_err(wrong)?;
                T::from_cell(cell).map_err(wrong)
            }
        }
    }
}

fn pg_cell(row: &tokio_postgres::Row, index: usize) -> std::result::Result<Cell<'_>, String> {
    let column = row
        .columns()
        .get(index)
        .ok_or_else(|| format!("no such column (the row has {})", row.len()))?;
    let ty = column.type_().clone();
    let read = |err: tokio_postgres::Error| format!("{} as {ty}: {err}", column.name());
    Ok(match ty {
        Type::INT8 => opt(
            row.try_get::<_, Option<i64>>(index).map_err(read)?,
            Cell::Int,
        ),
        Type::INT4 => opt(row.try_get::<_, Option<i32>>(index).map_err(read)?, |v| {
            Cell::Int(v.into())
        }),
        Type::INT2 => opt(row.try_get::<_, Option<i16>>(index).map_err(read)?, |v| {
            Cell::Int(v.into())
        }),
        Type::OID => opt(row.try_get::<_, Option<u32>>(index).map_err(read)?, |v| {
            Cell::Int(v.into())
        }),
        Type::BOOL => opt(row.try_get::<_, Option<bool>>(index).map_err(read)?, |v| {
            Cell::Int(v.into())
        }),
        Type::FLOAT8 => opt(
            row.try_get::<_, Option<f64>>(index).map_err(read)?,
            Cell::Real,
        ),
        Type::FLOAT4 => opt(row.try_get::<_, Option<f32>>(index).map_err(read)?, |v| {
            Cell::Real(v.into())
        }),
        Type::NUMERIC => match row.try_get::<_, Option<Numeric>>(index).map_err(read)? {
            None => Cell::Null,
            Some(Numeric::Int(v)) => Cell::Int(v),
            Some(Numeric::Real(v)) => Cell::Real(v),
        },
        Type::BYTEA => opt(
            row.try_get::<_, Option<&[u8]>>(index).map_err(read)?,
            Cell::Blob,
        ),
        _ => opt(
            row.try_get::<_, Option<&str>>(index).map_err(read)?,
            Cell::Text,
        ),
    })
}

fn opt<'a, T>(value: Option<T>, cell: impl FnOnce(T) -> Cell<'a>) -> Cell<'a> {
    value.map_or(Cell::Null, cell)
}

/// PostgreSQL's `numeric` (what `sum` of integers and `avg` give): an integer when it is one
/// that fits, else a real.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Numeric {
    Int(i64),
    Real(f64),
}

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Numeric, Box<dyn std::error::Error + Sync + Send>> {
        decode_numeric(raw).ok_or_else(|| "malformed numeric".into())
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// The binary `numeric`: digit count, weight (of the first base-10000 digit), sign, display
/// scale, then the base-10000 digits.
fn decode_numeric(raw: &[u8]) -> Option<Numeric> {
    let word = |i: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*raw.get(2 * i)?, *raw.get(2 * i + 1)?]))
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(1)? as i16);
    let sign = word(2)?;
    let scale = word(3)?;
    if sign == 0xC000 {
        return Some(Numeric::Real(f64::NAN));
    }
    let negative = sign == 0x4000;
    let digits: Vec<u16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    let integral = scale == 0 && weight >= i32::try_from(ndigits).ok()? - 1;
    if integral && weight < 5 {
        let mut value: i128 = 0;
        for (i, d) in digits.iter().enumerate() {
            let power = weight - i32::try_from(i).ok()?;
            value += i128::from(*d) * 10_000i128.pow(u32::try_from(power).ok()?);
        }
        let value = if negative { -value } else { value };
        if let Ok(v) = i64::try_from(value) {
            return Some(Numeric::Int(v));
        }
    }
    let mut value = 0f64;
    for (i, d) in digits.iter().enumerate() {
        let power = weight - i32::try_from(i).ok()?;
        value += f64::from(*d) * 10_000f64.powi(power);
    }
    Some(Numeric::Real(if negative { -value } else { value }))
}

/// A row as a reader takes it: a row of a query ([`Row`]) or one read ahead
/// ([`super::RowValues`]).
pub trait Columns {
    /// Column `index` (from 0) as a `T`.
    fn column<T: FromColumn>(&self, index: usize) -> Result<T>;
}

impl Columns for Row<'_> {
    fn column<T: FromColumn>(&self, index: usize) -> Result<T> {
        self.get(index)
    }
}

/// A Rust type a column can be read as.
pub trait FromColumn: Sized {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<Self, String>;
}

fn expected(what: &str, cell: Cell<'_>) -> String {
    let found = match cell {
        Cell::Null => "NULL",
        Cell::Int(_) => "an integer",
        Cell::Real(_) => "a real",
        Cell::Text(_) => "text",
        Cell::Blob(_) => "bytes",
    };
    format!("expected {what}, found {found}")
}

impl FromColumn for i64 {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<i64, String> {
        match cell {
            Cell::Int(v) => Ok(v),
            // An integral real (SQLite's `total`, a PostgreSQL average of whole numbers).
            Cell::Real(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => Ok(v as i64),
            other => Err(expected("an integer", other)),
        }
    }
}

macro_rules! narrow_int {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn from_cell(cell: Cell<'_>) -> std::result::Result<$t, String> {
                let wide = i64::from_cell(cell)?;
                <$t>::try_from(wide).map_err(|_| format!("{wide} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
narrow_int!(i32, i16, u32, u16, u8, u64, usize);

impl FromColumn for bool {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<bool, String> {
        Ok(i64::from_cell(cell)? != 0)
    }
}

impl FromColumn for f64 {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<f64, String> {
        match cell {
            Cell::Real(v) => Ok(v),
            Cell::Int(v) => Ok(v as f64),
            other => Err(expected("a number", other)),
        }
    }
}

impl FromColumn for String {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<String, String> {
        match cell {
            Cell::Text(v) => Ok(v.to_owned()),
            other => Err(expected("text", other)),
        }
    }
}

impl FromColumn for Vec<u8> {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<Vec<u8>, String> {
        match cell {
            Cell::Blob(v) => Ok(v.to_vec()),
            Cell::Text(v) => Ok(v.as_bytes().to_vec()),
            other => Err(expected("bytes", other)),
        }
    }
}

impl<T: FromColumn> FromColumn for Option<T> {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<Option<T>, String> {
        match cell {
            Cell::Null => Ok(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A column's value owned, whatever its type (copying a store table by table).
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Owned {
    /// As a bound value, a NULL of the column's `kind`.
    pub fn value(&self, kind: super::param::Kind) -> super::param::Value<'_> {
        match self {
            Owned::Null => super::param::Value::Null(kind),
            Owned::Int(v) => super::param::Value::Int(*v),
            Owned::Real(v) => super::param::Value::Real(*v),
            Owned::Text(v) => super::param::Value::Text(v),
            Owned::Blob(v) => super::param::Value::Blob(v),
        }
    }
}

impl FromColumn for Owned {
    fn from_cell(cell: Cell<'_>) -> std::result::Result<Owned, String> {
        Ok(match cell {
            Cell::Null => Owned::Null,
            Cell::Int(v) => Owned::Int(v),
            Cell::Real(v) => Owned::Real(v),
            Cell::Text(v) => Owned::Text(v.to_owned()),
            Cell::Blob(v) => Owned::Blob(v.to_vec()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(ndigits: u16, weight: i16, sign: u16, scale: u16, digits: &[u16]) -> Vec<u8> {
        let mut raw = Vec::new();
        for w in [ndigits, weight as u16, sign, scale].iter().chain(digits) {
            raw.extend_from_slice(&w.to_be_bytes());
        }
        raw
    }

    #[test]
    fn numerics_read_as_integers_when_they_are_and_reals_otherwise() {
        // 12345678 = 1234 * 10000 + 5678
        assert_eq!(
            decode_numeric(&numeric(2, 1, 0, 0, &[1234, 5678])),
            Some(Numeric::Int(12_345_678))
        );
        // -7
        assert_eq!(
            decode_numeric(&numeric(1, 0, 0x4000, 0, &[7])),
            Some(Numeric::Int(-7))
        );
        // 0: no digits
        assert_eq!(
            decode_numeric(&numeric(0, 0, 0, 0, &[])),
            Some(Numeric::Int(0))
        );
        // 10000 stored as one digit of weight 1
        assert_eq!(
            decode_numeric(&numeric(1, 1, 0, 0, &[1])),
            Some(Numeric::Int(10_000))
        );
        // 2.5 = 2 + 5000/10000, scale 1
        assert_eq!(
            decode_numeric(&numeric(2, 0, 0, 1, &[2, 5000])),
            Some(Numeric::Real(2.5))
        );
        assert_eq!(decode_numeric(&[0, 1]), None, "truncated");
    }

    #[test]
    fn cells_convert_as_the_store_reads_them() {
        assert_eq!(i64::from_cell(Cell::Int(3)), Ok(3));
        assert_eq!(i64::from_cell(Cell::Real(4.0)), Ok(4));
        assert!(i64::from_cell(Cell::Real(4.5)).is_err());
        assert!(i64::from_cell(Cell::Text("4")).is_err());
        assert_eq!(bool::from_cell(Cell::Int(1)), Ok(true));
        assert_eq!(Option::<String>::from_cell(Cell::Null), Ok(None));
        assert_eq!(f64::from_cell(Cell::Int(2)), Ok(2.0));
        assert!(u32::from_cell(Cell::Int(-1)).is_err());
        assert!(String::from_cell(Cell::Null).unwrap_err().contains("NULL"));
    }
}
