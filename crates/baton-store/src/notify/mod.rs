//! Routes (issue 60): where Baton reaches a person outside the app. The routes themselves
//! (added, listed, removed, or made exactly a file's by `baton import`), what each sent
//! ([`sent`]), and where its reply stream stands. A route's access token is never here: only
//! where it is kept.

use baton_core::notify::policy::{QuietHours, SendPolicy, Sends};
use baton_core::notify::{NotifyRoute, RouteDraft, RouteKind, SecretRef, WebhookShape};
use chrono::{DateTime, Utc};

use crate::codec::{parse_ts, ts};
use crate::db::{params, Db, Row};
use crate::error::{Result, StoreError};
use crate::Store;

pub mod batches;
mod health;
pub mod sent;

const COLS: &str = "id, name, kind, person, server, topic, reply_topic, url, shape, token_ref, \
     reply_since, sends, digest_minutes, quiet_hours, critical_in_quiet, storm_items, click, \
     reply_failures, reply_error, reply_error_at";

/// A route with where its reply stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRoute {
    pub route: NotifyRoute,
    /// The id of the last message read on its reply topic (None: nothing read yet).
    pub reply_since: Option<String>,
    /// How reading its reply topic fares.
    pub reply: ReplyHealth,
}

/// How reading a route's reply topic fares, as every watcher reading it records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplyHealth {
    /// Failed attempts in a row (0: reading, or not tried yet).
    pub failures: u32,
    /// The last failure in words, and when (kept once it reads again).
    pub error: Option<String>,
    pub error_at: Option<DateTime<Utc>>,
}

/// What [`Store::replace_routes`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteChanges {
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    pub unchanged: usize,
}

fn corrupt(what: &str, text: &str) -> StoreError {
    StoreError::Corrupt(format!("notify_routes: {what} {text:?}"))
}

fn read_route(row: &Row<'_>) -> Result<StoredRoute> {
    let kind: String = row.get(2)?;
    let shape: Option<String> = row.get(8)?;
    let token: Option<String> = row.get(9)?;
    let draft = RouteDraft {
        name: row.get(1)?,
        kind: RouteKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        person: row.get(3)?,
        server: row.get(4)?,
        topic: row.get(5)?,
        reply_topic: row.get(6)?,
        url: row.get(7)?,
        shape: match shape {
            Some(s) => Some(WebhookShape::parse(&s).ok_or_else(|| corrupt("shape", &s))?),
            None => None,
        },
        token: token
            .map(|t| SecretRef::parse(&t).map_err(|_| corrupt("token_ref", "<unreadable>")))
            .transpose()?,
        policy: read_policy(row)?,
        click: row.get(16)?,
    };
    let failures: i64 = row.get(17)?;
    let error_at: Option<String> = row.get(19)?;
    Ok(StoredRoute {
        route: NotifyRoute {
            id: row.get(0)?,
            draft,
        },
        reply_since: row.get(10)?,
        reply: ReplyHealth {
            failures: u32::try_from(failures.max(0)).unwrap_or(u32::MAX),
            error: row.get(18)?,
            error_at: error_at.as_deref().map(parse_ts).transpose()?,
        },
    })
}

/// A route's sending settings, from columns 11 to 15 of [`COLS`].
fn read_policy(row: &Row<'_>) -> Result<SendPolicy> {
    let sends: String = row.get(11)?;
    let quiet: Option<String> = row.get(13)?;
    let number = |n: i64| u32::try_from(n).map_err(|_| corrupt("number", &n.to_string()));
    Ok(SendPolicy {
        sends: Sends::parse(&sends).map_err(|_| corrupt("sends", &sends))?,
        digest_minutes: number(row.get(12)?)?,
        quiet: match quiet {
            Some(q) => Some(QuietHours::parse(&q).map_err(|_| corrupt("quiet_hours", &q))?),
            None => None,
        },
        critical_in_quiet: row.get::<i64>(14)? != 0,
        storm_items: number(row.get(15)?)?,
    })
}

fn insert_in(db: &Db, draft: &RouteDraft, now: DateTime<Utc>) -> Result<i64> {
    let inserted = db.query_row(
        "INSERT INTO notify_routes (name, kind, person, server, topic, reply_topic, url, shape,
                                    token_ref, created_at, updated_at, sends, digest_minutes,
                                    quiet_hours, critical_in_quiet, storm_items, click)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
         RETURNING id",
        params![
            draft.name,
            draft.kind.as_str(),
            draft.person,
            draft.server,
            draft.topic,
            draft.reply_topic,
            draft.url,
            draft.shape.map(WebhookShape::as_str),
            draft.token.as_ref().map(SecretRef::to_text),
            ts(now),
            draft.policy.sends.to_text(),
            i64::from(draft.policy.digest_minutes),
            draft.policy.quiet.map(|q| q.to_string()),
            i64::from(draft.policy.critical_in_quiet),
            i64::from(draft.policy.storm_items),
            draft.click
        ],
        |row| row.get(0),
    );
    inserted.map_err(|err| match err.is_unique_violation() {
        true => StoreError::DuplicateRouteName(draft.name.clone()),
        false => err,
    })
}

/// Rewrites route `id` as `draft`; its reply stream starts over when its server or reply
/// topic changed.
fn update_in(db: &Db, id: i64, draft: &RouteDraft, now: DateTime<Utc>) -> Result<()> {
    db.execute(
        "UPDATE notify_routes SET kind = ?2, person = ?3, server = ?4, topic = ?5,
                reply_topic = ?6, url = ?7, shape = ?8, token_ref = ?9, updated_at = ?10,
                sends = ?11, digest_minutes = ?12, quiet_hours = ?13, critical_in_quiet = ?14,
                storm_items = ?15, click = ?16,
                reply_since = CASE WHEN server IS NOT DISTINCT FROM ?4
                                    AND reply_topic IS NOT DISTINCT FROM ?6
                                   THEN reply_since END,
                reply_failures = CASE WHEN server IS NOT DISTINCT FROM ?4
                                       AND reply_topic IS NOT DISTINCT FROM ?6
                                      THEN reply_failures ELSE 0 END
          WHERE id = ?1",
        params![
            id,
            draft.kind.as_str(),
            draft.person,
            draft.server,
            draft.topic,
            draft.reply_topic,
            draft.url,
            draft.shape.map(WebhookShape::as_str),
            draft.token.as_ref().map(SecretRef::to_text),
            ts(now),
            draft.policy.sends.to_text(),
            i64::from(draft.policy.digest_minutes),
            draft.policy.quiet.map(|q| q.to_string()),
            i64::from(draft.policy.critical_in_quiet),
            i64::from(draft.policy.storm_items),
            draft.click
        ],
    )?;
    Ok(())
}

fn routes_in(db: &Db) -> Result<Vec<StoredRoute>> {
    db.query_map(
        &format!("SELECT {COLS} FROM notify_routes ORDER BY name"),
        params![],
        read_route,
    )
}

impl Store {
    /// Adds a route (checked first; names are unique).
    pub fn add_route(&mut self, draft: &RouteDraft, now: DateTime<Utc>) -> Result<NotifyRoute> {
        let draft = draft.check()?;
        let tx = self.write_tx()?;
        let id = insert_in(&tx, &draft, now)?;
        tx.commit()?;
        Ok(NotifyRoute { id, draft })
    }

    /// Every route, by name.
    pub fn routes(&self) -> Result<Vec<StoredRoute>> {
        routes_in(&self.db)
    }

    /// The route named `name`.
    pub fn route_named(&self, name: &str) -> Result<StoredRoute> {
        self.db
            .query_opt(
                &format!("SELECT {COLS} FROM notify_routes WHERE name = ?1"),
                params![name.trim()],
                read_route,
            )?
            .ok_or_else(|| StoreError::RouteNotFound(name.trim().to_owned()))
    }

    /// The route with id `id`, if there is one.
    pub fn route(&self, id: i64) -> Result<Option<StoredRoute>> {
        self.db.query_opt(
            &format!("SELECT {COLS} FROM notify_routes WHERE id = ?1"),
            params![id],
            read_route,
        )
    }

    /// Removes the route named `name` (what it sent goes with it).
    pub fn remove_route(&mut self, name: &str) -> Result<()> {
        let tx = self.write_tx()?;
        let removed = tx.execute(
            "DELETE FROM notify_routes WHERE name = ?1",
            params![name.trim()],
        )?;
        if removed == 0 {
            return Err(StoreError::RouteNotFound(name.trim().to_owned()));
        }
        tx.commit()?;
        Ok(())
    }

    /// Makes the routes exactly `drafts` (`baton import`): each matched by name is updated
    /// when it differs, the others added, and routes the file does not name removed.
    pub fn replace_routes(
        &mut self,
        drafts: &[RouteDraft],
        now: DateTime<Utc>,
    ) -> Result<RouteChanges> {
        let mut checked = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let draft = draft.check()?;
            if checked.iter().any(|d: &RouteDraft| d.name == draft.name) {
                return Err(StoreError::DuplicateRouteName(draft.name));
            }
            checked.push(draft);
        }
        let tx = self.write_tx()?;
        let stored = routes_in(&tx)?;
        let mut changes = RouteChanges::default();
        for old in &stored {
            if !checked.iter().any(|d| d.name == old.route.draft.name) {
                tx.execute(
                    "DELETE FROM notify_routes WHERE id = ?1",
                    params![old.route.id],
                )?;
                changes.removed += 1;
            }
        }
        for draft in &checked {
            match stored.iter().find(|s| s.route.draft.name == draft.name) {
                Some(old) if old.route.draft == *draft => changes.unchanged += 1,
                Some(old) => {
                    update_in(&tx, old.route.id, draft, now)?;
                    changes.updated += 1;
                }
                None => {
                    insert_in(&tx, draft, now)?;
                    changes.added += 1;
                }
            }
        }
        tx.commit()?;
        Ok(changes)
    }

    /// Changes what route `name` sends, and how often (the rest of it as it is).
    pub fn set_route_policy(
        &mut self,
        name: &str,
        policy: SendPolicy,
        now: DateTime<Utc>,
    ) -> Result<NotifyRoute> {
        let mut route = self.route_named(name)?.route;
        route.draft.policy = policy;
        let draft = route.draft.check()?;
        let tx = self.write_tx()?;
        update_in(&tx, route.id, &draft, now)?;
        tx.commit()?;
        Ok(NotifyRoute {
            id: route.id,
            draft,
        })
    }

    /// Notes the id of the last message read on route `id`'s reply topic; the stream resumes
    /// after it (by whichever watcher reads it next).
    pub fn set_reply_since(&mut self, id: i64, since: &str) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE notify_routes SET reply_since = ?2 WHERE id = ?1",
            params![id, since],
        )?;
        tx.commit()?;
        Ok(())
    }
}
