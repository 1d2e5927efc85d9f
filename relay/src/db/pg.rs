//! PostgreSQL: a small pool of synchronous clients (used on tokio's
//! blocking pool, like SQLite), `?N` → `$N`, and values converted to what
//! the server expects for each placeholder and column.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type};

use super::conn::{Error, Result, Row, Value};

/// `?1` → `$1` outside of quoted text and identifiers.
pub fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(|n| n.is_ascii_digit()) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

pub(super) fn refs(vals: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    vals.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Int(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Value::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Int(i), t) if is_text(t) => i.to_string().to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Text(s), t) if is_text(t) => s.as_str().to_sql(ty, out),
            (Value::Text(s), &Type::INT8) => s.parse::<i64>()?.to_sql(ty, out),
            (Value::Text(s), &Type::BYTEA) => s.as_bytes().to_sql(ty, out),
            (Value::Blob(b), &Type::BYTEA) => b.as_slice().to_sql(ty, out),
            (v, t) => Err(format!("cannot bind {v:?} to a {t} placeholder").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn is_text(t: &Type) -> bool {
    matches!(
        *t,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

/// A result row as [`Value`]s.
pub(super) fn row(r: &postgres::Row) -> Result<Row> {
    let mut vals = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let ty = col.type_();
        let v = match *ty {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Value::Int),
            Type::INT4 => r
                .try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::INT2 => r
                .try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::BOOL => r
                .try_get::<_, Option<bool>>(i)?
                .map(|v| Value::Int(v.into())),
            Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map(Value::Real),
            Type::FLOAT4 => r
                .try_get::<_, Option<f32>>(i)?
                .map(|v| Value::Real(v.into())),
            Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Blob),
            Type::VOID => None,
            ref t if is_text(t) => r.try_get::<_, Option<String>>(i)?.map(Value::Text),
            ref t => return Err(Error::Column(i, format!("unsupported column type {t}"))),
        };
        vals.push(v.unwrap_or(Value::Null));
    }
    Ok(Row::new(vals))
}

/// Up to `max` clients, made when first needed and kept while they work.
pub struct Pool {
    config: postgres::Config,
    tls: postgres_openssl::MakeTlsConnector,
    idle: Mutex<Vec<postgres::Client>>,
    /// Waits for a free client without holding a blocking thread.
    pub(super) permits: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    pub fn new(url: &str, max: usize, connect_timeout_secs: u64) -> anyhow::Result<Self> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a PostgreSQL URL: {e}"))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(connect_timeout_secs));
        }
        if config.get_application_name().is_none() {
            config.application_name("buergeramt-relay");
        }
        let builder = openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls())?;
        Ok(Pool {
            config,
            tls: postgres_openssl::MakeTlsConnector::new(builder.build()),
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(tokio::sync::Semaphore::new(max.max(1))),
        })
    }

    /// An idle client, or a new one (blocking).
    pub(super) fn take(&self) -> Result<postgres::Client> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(c) if !c.is_closed() => Ok(c),
            _ => Ok(self.config.connect(self.tls.clone())?),
        }
    }

    /// Returns a client that still works.
    pub(super) fn put(&self, c: postgres::Client) {
        if c.is_closed() {
            return;
        }
        if let Ok(mut v) = self.idle.lock() {
            v.push(c);
        }
    }
}

impl Drop for Pool {
    /// A synchronous client must not be dropped on an async worker (it
    /// blocks on its own runtime to close): the idle ones close on a thread.
    fn drop(&mut self) {
        let idle = self.idle.get_mut().map(std::mem::take).unwrap_or_default();
        if !idle.is_empty() {
            let _ = std::thread::Builder::new()
                .name("relay-db-close".into())
                .spawn(move || drop(idle));
        }
    }
}

/// For tests: a new, empty database on the server of `url` (whose user may
/// create databases); returns its URL.
pub fn fresh_database(url: &str) -> anyhow::Result<String> {
    let config: postgres::Config = url.parse()?;
    let mut admin = config.connect(postgres::NoTls)?;
    let mut b = [0u8; 8];
    openssl::rand::rand_bytes(&mut b)?;
    let name: String = std::iter::once("relay_t_".to_string())
        .chain(b.iter().map(|x| format!("{x:02x}")))
        .collect();
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(with_database(url, &name))
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[start..].find('/').map_or(base.len(), |i| start + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_outside_quotes() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"d?3\" = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"d?3\" = $12"
        );
        assert_eq!(placeholders("SELECT ? FROM t"), "SELECT ? FROM t");
    }

    #[test]
    fn database_names() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5433/postgres", "x"),
            "postgres://u@127.0.0.1:5433/x"
        );
        assert_eq!(
            with_database("postgres://u@h:1?sslmode=disable", "x"),
            "postgres://u@h:1/x?sslmode=disable"
        );
    }
}
