//! Where a store is: what `--store`, `BATON_STORE`, `[store] url` in `baton.toml` and the
//! app's settings name. Nothing or a path means a SQLite file (the default, zero setup);
//! `postgres://…` or `postgresql://…` means a PostgreSQL database.
//!
//! PostgreSQL's password is never kept in Baton's files or store: it comes from the URL (when
//! the person gave it on the command line or in the environment), else `PGPASSWORD`, else
//! `~/.pgpass` (or `PGPASSFILE`), else the OS keyring (the caller's, through
//! [`PgTarget::with_password`]). [`PgTarget::display`] is the URL without it, for logs and
//! `baton status`.
//!
//! TLS: a host that is not loopback and not a Unix socket is reached over TLS with the
//! server's certificate checked (rustls: the usual public roots, plus `sslrootcert=<file>` for
//! a private CA) unless the URL says `sslmode=disable`; loopback and sockets go plain unless
//! the URL asks for TLS (`sslmode=require`, `verify-ca`, `verify-full`). Baton checks the
//! certificate whenever it uses TLS.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::error::{Result, StoreError};

/// A store's place.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A private SQLite database in memory (tests, previews).
    Memory,
    Postgres(Box<PgTarget>),
}

/// How the connection is protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// Plain TCP or a Unix socket.
    Off,
    /// TLS, the server's certificate checked against the public roots and these files.
    Verify { roots: Vec<PathBuf> },
}

/// A PostgreSQL database to connect to.
#[derive(Clone, PartialEq)]
pub struct PgTarget {
    config: tokio_postgres::Config,
    tls: Tls,
    display: String,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password stays out of every debug print and log line.
        f.debug_struct("PgTarget")
            .field("url", &self.display)
            .field("tls", &self.tls)
            .finish()
    }
}

impl StoreLocation {
    /// Reads a `--store` value: a `postgres://` URL, `:memory:`, or a path.
    pub fn parse(text: &str) -> Result<StoreLocation> {
        let trimmed = text.trim();
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return PgTarget::parse(trimmed).map(|t| StoreLocation::Postgres(Box::new(t)));
        }
        if lower.contains("://") {
            return Err(StoreError::InvalidLocation(format!(
                "{} is not a store Baton knows: give a path for SQLite or a postgres:// URL",
                redact(trimmed)
            )));
        }
        match trimmed {
            "" => Err(StoreError::InvalidLocation(
                "the store's place is empty".into(),
            )),
            ":memory:" => Ok(StoreLocation::Memory),
            path => Ok(StoreLocation::Sqlite(PathBuf::from(path))),
        }
    }

    /// What to show a person: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => path.display().to_string(),
            StoreLocation::Memory => ":memory:".into(),
            StoreLocation::Postgres(target) => target.display.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreLocation::Postgres(_))
    }

    /// A PostgreSQL store that has no password from its URL, `PGPASSWORD` or `~/.pgpass` yet:
    /// the key under which the OS keyring may hold it (its URL without password).
    pub fn needs_password(&self) -> Option<&str> {
        match self {
            StoreLocation::Postgres(target) if target.config().get_password().is_none() => {
                Some(target.display())
            }
            _ => None,
        }
    }

    /// The same store with this password (from the OS keyring).
    pub fn with_password(self, password: &str) -> StoreLocation {
        match self {
            StoreLocation::Postgres(target) => {
                StoreLocation::Postgres(Box::new(target.with_password(password)))
            }
            other => other,
        }
    }
}

impl PgTarget {
    /// Reads a `postgres://` URL (its `sslmode` and `sslrootcert` are Baton's to read; the
    /// rest is libpq's syntax as tokio-postgres reads it).
    pub fn parse(text: &str) -> Result<PgTarget> {
        let invalid = |why: String| StoreError::InvalidLocation(format!("{}: {why}", redact(text)));
        let mut url = url::Url::parse(text).map_err(|e| invalid(e.to_string()))?;
        let mut sslmode = None;
        let mut roots = Vec::new();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter_map(|(k, v)| match k.as_ref() {
                "sslmode" => {
                    sslmode = Some(v.into_owned());
                    None
                }
                "sslrootcert" => {
                    roots.push(PathBuf::from(v.as_ref()));
                    None
                }
                _ => Some((k.into_owned(), v.into_owned())),
            })
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        let mut config =
            tokio_postgres::Config::from_str(url.as_str()).map_err(|e| invalid(e.to_string()))?;
        if config.get_dbname().is_none() {
            return Err(invalid(
                "the URL names no database (postgres://user@host/database)".into(),
            ));
        }
        let local = config.get_hosts().iter().all(is_local);
        let tls = match sslmode.as_deref() {
            Some("disable") => Tls::Off,
            Some("allow" | "prefer") | None if local => Tls::Off,
            Some("allow" | "prefer" | "require" | "verify-ca" | "verify-full") | None => {
                Tls::Verify { roots }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "sslmode={other} is not one of disable, require, verify-ca, verify-full"
                )))
            }
        };
        config.ssl_mode(match tls {
            Tls::Off => tokio_postgres::config::SslMode::Disable,
            Tls::Verify { .. } => tokio_postgres::config::SslMode::Require,
        });
        let display = redact(text);
        Ok(PgTarget {
            config,
            tls,
            display,
        })
    }

    /// The URL with `***` for a password it carries.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The URL with no password at all: what a file of Baton's may keep.
    pub fn public_url(&self) -> String {
        match url::Url::parse(&self.display) {
            Ok(mut url) => {
                let _ = url.set_password(None);
                url.to_string()
            }
            Err(_) => self.display.clone(),
        }
    }

    /// True when the URL itself carries a password (refused in `baton.toml`).
    pub fn has_password_in_url(&self) -> bool {
        self.config.get_password().is_some()
    }

    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// The connection settings with a password from the environment or `~/.pgpass` when the
    /// URL has none.
    pub(crate) fn config(&self) -> tokio_postgres::Config {
        let mut config = self.config.clone();
        if config.get_password().is_none() {
            if let Some(password) = password_from_environment(&config) {
                config.password(password);
            }
        }
        config
    }

    /// The same target with this password (from the OS keyring), unless one is already known.
    pub fn with_password(mut self, password: &str) -> PgTarget {
        if self.config.get_password().is_none() && password_from_environment(&self.config).is_none()
        {
            self.config.password(password);
        }
        self
    }
}

fn is_local(host: &tokio_postgres::config::Host) -> bool {
    match host {
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => true,
    }
}

/// The URL with `***` for a password, for messages.
pub fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        // Not a URL: cut anything between "://" and "@" that could be a secret.
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}://***{}", &text[..start], &text[at..])
            }
            _ => text.to_owned(),
        },
    }
}

/// `PGPASSWORD`, else the first line of the password file that matches the connection.
fn password_from_environment(config: &tokio_postgres::Config) -> Option<String> {
    if let Some(password) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty()) {
        return Some(password.to_string_lossy().into_owned());
    }
    let file = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first()? {
        tokio_postgres::config::Host::Tcp(name) => name.clone(),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    pgpass_lookup(&text, &[&host, &port, db, user])
}

/// The password of the first `host:port:database:user:password` line whose fields match
/// (`*` matches anything; `\:` and `\\` are escapes).
fn pgpass_lookup(text: &str, wanted: &[&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                _ => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(wanted)
                .all(|(have, want)| have == "*" || have == want)
        {
            return fields.pop();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_nothing_or_a_url_names_the_engine() {
        assert_eq!(
            StoreLocation::parse("/tmp/b.sqlite3").unwrap(),
            StoreLocation::Sqlite("/tmp/b.sqlite3".into())
        );
        assert_eq!(
            StoreLocation::parse(":memory:").unwrap(),
            StoreLocation::Memory
        );
        assert!(
            StoreLocation::parse("postgresql://ana@db.example.org/baton")
                .unwrap()
                .is_postgres()
        );
        let err = StoreLocation::parse("mysql://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("postgres://") && !err.contains("secret"),
            "{err}"
        );
        assert!(StoreLocation::parse("  ").is_err());
    }

    #[test]
    fn tls_is_on_with_checks_away_from_loopback_and_off_only_when_asked() {
        let tls = |url: &str| PgTarget::parse(url).unwrap().tls().clone();
        assert_eq!(tls("postgres://u@127.0.0.1:5432/baton"), Tls::Off);
        assert_eq!(tls("postgres://u@localhost/baton"), Tls::Off);
        assert_eq!(tls("postgres://u@[::1]/baton"), Tls::Off);
        assert_eq!(
            tls("postgres://u@db.example.org/baton"),
            Tls::Verify { roots: vec![] }
        );
        assert_eq!(tls("postgres://u@10.0.0.5/baton?sslmode=disable"), Tls::Off);
        assert_eq!(
            tls("postgres://u@127.0.0.1/baton?sslmode=verify-full&sslrootcert=/etc/ca.pem"),
            Tls::Verify {
                roots: vec!["/etc/ca.pem".into()]
            }
        );
        assert!(PgTarget::parse("postgres://u@h/baton?sslmode=sometimes").is_err());
        assert!(PgTarget::parse("postgres://u@h/").is_err(), "no database");
    }

    #[test]
    fn the_password_never_shows() {
        let target = PgTarget::parse("postgres://ana:hunter2@db.example.org:5433/baton").unwrap();
        assert!(target.has_password_in_url());
        assert!(
            !target.display().contains("hunter2"),
            "{}",
            target.display()
        );
        assert!(!format!("{target:?}").contains("hunter2"));
        let plain = PgTarget::parse("postgres://ana@db.example.org/baton").unwrap();
        assert!(!plain.has_password_in_url());
        assert_eq!(redact("postgres://a:b@c/d"), "postgres://a:***@c/d");
    }

    #[test]
    fn pgpass_lines_match_by_field_with_wildcards_and_escapes() {
        let text =
            "# comment\nother:5432:*:ana:nope\ndb\\:1:*:baton:ana:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, &["db:1", "5432", "baton", "ana"]).as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, &["x", "1", "y", "z"]).as_deref(),
            Some("fallback")
        );
        assert_eq!(
            pgpass_lookup("h:1:d:u\n", &["h", "1", "d", "u"]),
            None,
            "no password field"
        );
    }
}
