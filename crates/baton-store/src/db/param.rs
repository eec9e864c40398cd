//! Values bound to a statement's `?N`: integers, reals, text, bytes, or NULL of one of those
//! kinds (PostgreSQL types every parameter, a NULL too). Booleans are integers 0 and 1, as the
//! schema stores them on both engines.

/// What kind of column a value goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Int,
    Real,
    Text,
    Blob,
}

/// One bound value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null(Kind),
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl Value<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Null(kind) => *kind,
            Value::Int(_) => Kind::Int,
            Value::Real(_) => Kind::Real,
            Value::Text(_) => Kind::Text,
            Value::Blob(_) => Kind::Blob,
        }
    }
}

/// A Rust value that can be bound to a statement.
pub trait Param {
    fn value(&self) -> Value<'_>;
}

/// The kind of a NULL of a type (`Option::None`).
pub trait Typed {
    const KIND: Kind;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Typed for $t {
            const KIND: Kind = Kind::Int;
        }

        impl Param for $t {
            fn value(&self) -> Value<'_> {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, i16, i8, u32, u16, u8);

impl Typed for bool {
    const KIND: Kind = Kind::Int;
}

impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl Typed for f64 {
    const KIND: Kind = Kind::Real;
}

impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}

impl Typed for str {
    const KIND: Kind = Kind::Text;
}

impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Typed for String {
    const KIND: Kind = Kind::Text;
}

impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl Typed for [u8] {
    const KIND: Kind = Kind::Blob;
}

impl Param for [u8] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl Typed for Vec<u8> {
    const KIND: Kind = Kind::Blob;
}

impl Param for Vec<u8> {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl<const N: usize> Typed for [u8; N] {
    const KIND: Kind = Kind::Blob;
}

impl<const N: usize> Param for [u8; N] {
    fn value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl<T: Typed + ?Sized> Typed for &T {
    const KIND: Kind = T::KIND;
}

impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}

impl<T: Typed> Typed for Option<T> {
    const KIND: Kind = T::KIND;
}

impl<T: Param + Typed> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        match self {
            Some(value) => value.value(),
            None => Value::Null(T::KIND),
        }
    }
}

impl Param for Value<'_> {
    fn value(&self) -> Value<'_> {
        *self
    }
}

/// A bound value owned: kept until its statement goes out (a deferred write, a read ahead).
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    Null(Kind),
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Held {
    pub fn of(value: Value<'_>) -> Held {
        match value {
            Value::Null(kind) => Held::Null(kind),
            Value::Int(v) => Held::Int(v),
            Value::Real(v) => Held::Real(v),
            Value::Text(v) => Held::Text(v.to_owned()),
            Value::Blob(v) => Held::Blob(v.to_owned()),
        }
    }
}

impl Param for Held {
    fn value(&self) -> Value<'_> {
        match self {
            Held::Null(kind) => Value::Null(*kind),
            Held::Int(v) => Value::Int(*v),
            Held::Real(v) => Value::Real(*v),
            Held::Text(v) => Value::Text(v),
            Held::Blob(v) => Value::Blob(v),
        }
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null(_) => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Real(v) => ValueRef::Real(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_keep_the_kind_of_their_type() {
        let none_int: Option<i64> = None;
        let none_text: Option<&str> = None;
        let none_string: Option<String> = None;
        assert_eq!(none_int.value(), Value::Null(Kind::Int));
        assert_eq!(none_text.value(), Value::Null(Kind::Text));
        assert_eq!(none_string.value(), Value::Null(Kind::Text));
        assert_eq!(Some(3u32).value(), Value::Int(3));
        assert_eq!(true.value(), Value::Int(1));
        assert_eq!("x".value(), Value::Text("x"));
        assert_eq!(Some(&1.5f64).value(), Value::Real(1.5));
    }
}
