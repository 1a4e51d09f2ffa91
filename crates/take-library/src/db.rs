//! One SQL interface over the two stores: an SQLite file (embedded, one person) and a PostgreSQL
//! database (a team). The library's queries are written once, in the SQL both understand, with
//! numbered parameters `?1`, `?2`, … (rewritten to `$1`, `$2`, … for PostgreSQL). Rows come back
//! as plain [`Value`]s, so the code above this module never sees which store it runs on, except
//! where the dialects really differ (full-text search, schema identification), which asks
//! [`Db::is_pg`].

use crate::error::{LibraryError, Result};
use std::cell::RefCell;
use std::collections::HashMap;

/// One SQL value (the types both stores share; booleans are integers 0/1).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (`INTEGER` in SQLite, `BIGINT` in PostgreSQL).
    Int(i64),
    /// A double-precision float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// Converts a Rust value to a [`Value`] parameter.
pub trait ToValue {
    /// The SQL value.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}
impl ToValue for i32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

/// Parameters for [`Db`] calls: `p![a, b]` is `&[Value]`.
macro_rules! p {
    () => { &[] as &[$crate::db::Value] };
    ($($x:expr),+ $(,)?) => { &[$($crate::db::ToValue::to_value(&$x)),+] as &[$crate::db::Value] };
}
pub(crate) use p;

/// Reads a Rust value out of a [`Value`] (`None`: wrong type).
pub trait FromValue: Sized {
    /// The Rust value, or `None` when the SQL value has another type.
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => u32::try_from(*i).ok(),
            _ => None,
        }
    }
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `i` (0-based) as `T`; a wrong type or missing column is a [`LibraryError::Corrupt`].
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T> {
        let v = self.0.get(i).ok_or_else(|| {
            LibraryError::Corrupt(format!("a query returned no column {i} (internal error)"))
        })?;
        T::from_value(v).ok_or_else(|| {
            LibraryError::Corrupt(format!(
                "column {i} holds {v:?}, not a {}",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// An open PostgreSQL transaction and the connection's prepared-statement cache.
pub(crate) struct PgTx<'a> {
    pub(crate) tx: postgres::Transaction<'a>,
    pub(crate) cache: &'a mut HashMap<String, postgres::Statement>,
}

/// The connection (SQLite) or transaction (PostgreSQL) a library operation runs on.
pub(crate) enum Db<'a> {
    /// SQLite: the connection, inside the caller's transaction.
    Lite(&'a rusqlite::Connection),
    /// PostgreSQL: the transaction itself.
    Pg(RefCell<PgTx<'a>>),
}

/// Appends one column of a `COPY … FROM STDIN` text-format row to `out`: `None` is `\N`,
/// backslash, tab, newline and carriage return are escaped.
pub(crate) fn copy_text(out: &mut String, value: Option<&str>) {
    let Some(v) = value else {
        out.push_str("\\N");
        return;
    };
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Rewrites `?N` parameters to PostgreSQL's `$N` (outside string literals).
pub(crate) fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_string = false;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '\'' {
            in_string = !in_string;
        }
        if ch == '?' && !in_string && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(ch);
        }
    }
    out
}

fn lite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as R;
    match v {
        R::Null => Value::Null,
        R::Integer(i) => Value::Int(i),
        R::Real(f) => Value::Real(f),
        R::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        R::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ => i.to_string().as_str().to_sql(ty, out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Value::Text(s) => s.as_str().to_sql(ty, out),
            Value::Blob(b) => b.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn pg_value(row: &postgres::Row, i: usize) -> Result<Value> {
    use postgres::types::Type;
    let ty = row.columns()[i].type_().clone();
    let get_err = |e: postgres::Error| LibraryError::from(e);
    Ok(match ty {
        Type::INT8 => row
            .try_get::<_, Option<i64>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, Value::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, |v| Value::Int(i64::from(v))),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, |v| Value::Int(i64::from(v))),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, |v| Value::Int(i64::from(v))),
        Type::FLOAT8 => row
            .try_get::<_, Option<f64>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, Value::Real),
        Type::FLOAT4 => row
            .try_get::<_, Option<f32>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, |v| Value::Real(f64::from(v))),
        Type::BYTEA => row
            .try_get::<_, Option<Vec<u8>>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, Value::Blob),
        _ => row
            .try_get::<_, Option<String>>(i)
            .map_err(get_err)?
            .map_or(Value::Null, Value::Text),
    })
}

impl Db<'_> {
    /// True on PostgreSQL.
    pub(crate) fn is_pg(&self) -> bool {
        matches!(self, Db::Pg(_))
    }

    /// Runs a query and returns every row.
    pub(crate) fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match self {
            Db::Lite(c) => {
                let mut stmt = c.prepare_cached(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut values = Vec::with_capacity(n);
                    for i in 0..n {
                        values.push(lite_value(r.get_ref(i)?));
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }
            Db::Pg(cell) => {
                let mut guard = cell.borrow_mut();
                let PgTx { tx, cache } = &mut *guard;
                let stmt = match cache.get(sql) {
                    Some(s) => s.clone(),
                    None => {
                        let s = tx.prepare(&pg_sql(sql))?;
                        cache.insert(sql.to_string(), s.clone());
                        s
                    }
                };
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                let rows = tx.query(&stmt, &refs)?;
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| pg_value(r, i))
                            .collect::<Result<Vec<_>>>()
                            .map(Row)
                    })
                    .collect()
            }
        }
    }

    /// Runs a query built for one use (e.g. with an inline id list) without keeping its
    /// prepared statement.
    pub(crate) fn query_once(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match self {
            Db::Lite(_) => self.query(sql, params),
            Db::Pg(cell) => {
                let mut guard = cell.borrow_mut();
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                let rows = guard.tx.query(pg_sql(sql).as_str(), &refs)?;
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| pg_value(r, i))
                            .collect::<Result<Vec<_>>>()
                            .map(Row)
                    })
                    .collect()
            }
        }
    }

    /// Runs a statement; returns the number of rows changed.
    pub(crate) fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        match self {
            Db::Lite(c) => {
                Ok(c.prepare_cached(sql)?
                    .execute(rusqlite::params_from_iter(params.iter()))? as u64)
            }
            Db::Pg(cell) => {
                let mut guard = cell.borrow_mut();
                let PgTx { tx, cache } = &mut *guard;
                let stmt = match cache.get(sql) {
                    Some(s) => s.clone(),
                    None => {
                        let s = tx.prepare(&pg_sql(sql))?;
                        cache.insert(sql.to_string(), s.clone());
                        s
                    }
                };
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                Ok(tx.execute(&stmt, &refs)?)
            }
        }
    }

    /// Runs several statements without parameters (schema changes).
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        match self {
            Db::Lite(c) => Ok(c.execute_batch(sql)?),
            Db::Pg(cell) => Ok(cell.borrow_mut().tx.batch_execute(sql)?),
        }
    }

    /// PostgreSQL only: runs several `;`-separated statements without parameters in one round
    /// trip (the simple query protocol; each statement sees the commits before it started, so a
    /// lock taken by one is held when the next reads). Returns each statement's rows as text
    /// (`None`: NULL); on SQLite, an error (callers branch on [`Db::is_pg`]).
    pub(crate) fn pg_simple(&self, sql: &str) -> Result<Vec<Vec<Vec<Option<String>>>>> {
        let Db::Pg(cell) = self else {
            return Err(LibraryError::Corrupt(
                "pg_simple called on SQLite (internal error)".into(),
            ));
        };
        let messages = cell.borrow_mut().tx.simple_query(sql)?;
        let mut sets = Vec::new();
        let mut rows = Vec::new();
        for m in messages {
            match m {
                postgres::SimpleQueryMessage::Row(r) => {
                    rows.push((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect());
                }
                postgres::SimpleQueryMessage::CommandComplete(_) => {
                    sets.push(std::mem::take(&mut rows));
                }
                _ => {}
            }
        }
        Ok(sets)
    }

    /// PostgreSQL only: `COPY … FROM STDIN` of `data` (text format: tab-separated columns, one
    /// row a line, escaped with [`copy_text`]); returns the rows copied. Bulk loads (a generated
    /// or imported library of a million takes) send their rows in one stream instead of one round
    /// trip per row.
    pub(crate) fn pg_copy_in(&self, sql: &str, data: &[u8]) -> Result<u64> {
        use std::io::Write;
        let Db::Pg(cell) = self else {
            return Err(LibraryError::Corrupt(
                "pg_copy_in called on SQLite (internal error)".into(),
            ));
        };
        let mut guard = cell.borrow_mut();
        let mut writer = guard.tx.copy_in(sql)?;
        writer.write_all(data).map_err(|e| LibraryError::Postgres {
            detail: format!("sending COPY data to the server failed: {e}; check the connection"),
            code: None,
        })?;
        Ok(writer.finish()?)
    }

    /// The first row mapped by `f`, or `None` when the query returns no row.
    pub(crate) fn query_opt<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<Option<T>> {
        self.query(sql, params)?.first().map(f).transpose()
    }

    /// The first row mapped by `f`; no row is an error (a query that always returns one).
    pub(crate) fn query_row<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnOnce(&Row) -> Result<T>,
    ) -> Result<T> {
        self.query_opt(sql, params, f)?.ok_or_else(|| {
            LibraryError::Corrupt(format!("a query that returns one row returned none: {sql}"))
        })
    }

    /// The single value of the first row (`SELECT count(*) …`).
    pub(crate) fn one<T: FromValue>(&self, sql: &str, params: &[Value]) -> Result<T> {
        self.query_row(sql, params, |r| r.get(0))
    }

    /// The first column of the first row, or `None` when there is no row.
    pub(crate) fn opt<T: FromValue>(&self, sql: &str, params: &[Value]) -> Result<Option<T>> {
        self.query_opt(sql, params, |r| r.get(0))
    }

    /// Every row mapped by `f`.
    pub(crate) fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.query(sql, params)?.iter().map(f).collect()
    }

    /// Runs an `INSERT` with `RETURNING id` appended and returns the new row's id.
    pub(crate) fn insert(&self, sql: &str, params: &[Value]) -> Result<i64> {
        self.one(&format!("{sql} RETURNING id"), params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_outside_strings() {
        assert_eq!(
            pg_sql("SELECT '?1', x FROM t WHERE a = ?1 AND b IN (?2, ?12)"),
            "SELECT '?1', x FROM t WHERE a = $1 AND b IN ($2, $12)"
        );
        assert_eq!(pg_sql("SELECT 1 WHERE x = '?'"), "SELECT 1 WHERE x = '?'");
    }

    #[test]
    fn values_round_trip_through_sqlite() {
        let c = rusqlite::Connection::open_in_memory().expect("memory db");
        let db = Db::Lite(&c);
        let row = db
            .query_row(
                "SELECT ?1, ?2, ?3, ?4",
                p![7i64, "text", None::<i64>, true],
                |r| {
                    Ok((
                        r.get::<i64>(0)?,
                        r.get::<String>(1)?,
                        r.get::<Option<i64>>(2)?,
                        r.get::<bool>(3)?,
                    ))
                },
            )
            .expect("row");
        assert_eq!(row, (7, "text".to_string(), None, true));
        let wrong = db.query_row("SELECT 'x'", p![], |r| r.get::<i64>(0));
        assert!(matches!(wrong, Err(LibraryError::Corrupt(_))), "{wrong:?}");
    }
}
