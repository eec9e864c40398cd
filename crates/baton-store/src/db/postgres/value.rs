//! Values bound to PostgreSQL's statements (the type each kind of value is prepared with), and
//! a request on its way.

use postgres_types::{IsNull, ToSql, Type};

use crate::db::param::{Kind, Value};

pub(super) fn pg_type(kind: Kind) -> Type {
    match kind {
        Kind::Int => Type::INT8,
        Kind::Real => Type::FLOAT8,
        Kind::Text => Type::TEXT,
        Kind::Blob => Type::BYTEA,
    }
}

/// A bound value as PostgreSQL reads it (its type was given when the statement was prepared).
#[derive(Debug)]
pub(super) struct PgValue<'a>(pub(super) Value<'a>);

impl ToSql for PgValue<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Value::Null(_) => Ok(IsNull::Yes),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Real(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Blob(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres_types::to_sql_checked!();
}

/// A request to the server on its way (boxed: it borrows the client and statement).
pub(super) type Pending<'a, T> = std::pin::Pin<
    Box<dyn std::future::Future<Output = std::result::Result<T, tokio_postgres::Error>> + 'a>,
>;
