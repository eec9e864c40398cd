//! People's rights on a shared store, enforced by PostgreSQL itself: two group roles per
//! database, `<database>_viewer` (reads everything, writes nothing) and `<database>_decider`
//! (writes what Baton writes: decisions, rules, leases, sessions, events; never an UPDATE,
//! DELETE or TRUNCATE of the decision log, nor the schema), and each person's login role a
//! member of one of them (`baton store grant ana viewer`).
//!
//! The tables belong to the store's owner, the role that runs the migrations: the roles that
//! decide do not own the log, so they cannot disable its append-only triggers. The rights are
//! given again after every migration (a new table is covered at once) and by default for the
//! owner's future tables. SQLite has no roles: whoever can open the file can do anything.

use crate::db::{params, Dialect};
use crate::error::{Result, StoreError};
use crate::refusal::{Refusal, StoreRole};
use crate::Store;

/// Gives the two group roles, when they exist, their rights on every table of the store's
/// schema and on the owner's future ones. Run by `baton store grant` and after migrations.
pub(crate) const PRIVILEGES_SQL: &str = "DO $baton$
DECLARE
    viewer  text := current_database() || '_viewer';
    decider text := current_database() || '_decider';
    schema  text := current_schema();
    owner   text := (SELECT tableowner FROM pg_tables
                      WHERE schemaname = current_schema() AND tablename = 'decisions');
BEGIN
    IF owner IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = viewer)
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = decider) THEN
        RETURN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I, %I', current_database(), viewer, decider);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I, %I', schema, viewer, decider);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I, %I', schema, viewer, decider);
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',
                   schema, decider);
    -- The log is appended to, never changed; its head and the schema's version move only by
    -- the owner's rights (a trigger, a migration).
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I.decisions FROM %I', schema, decider);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I.decisions_head, %I.baton_schema FROM %I',
                   schema, schema, decider);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', schema, decider);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT SELECT ON TABLES TO %I, %I',
                   owner, schema, viewer, decider);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT INSERT, UPDATE, DELETE ON TABLES TO %I',
                   owner, schema, decider);
    EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I',
                   owner, schema, decider);
END $baton$";

/// Who may do what on a PostgreSQL store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreRoles {
    /// The database's owner.
    pub owner: Option<String>,
    /// The store's two group roles (`<database>_viewer`, `<database>_decider`).
    pub viewer_role: String,
    pub decider_role: String,
    /// The roles that are viewers, then deciders, by name.
    pub viewers: Vec<String>,
    pub deciders: Vec<String>,
}

/// `name` as a PostgreSQL identifier, quoted.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The longest name PostgreSQL keeps for a role.
const MAX_ROLE_BYTES: usize = 63;

impl Store {
    /// The store's roles and who has each. On SQLite: [`StoreError::Roles`] (there are none).
    pub fn store_roles(&self) -> Result<StoreRoles> {
        self.refuse_sqlite_roles()?;
        let (viewer_role, decider_role, owner): (String, String, Option<String>) =
            self.db.query_row(
                "SELECT current_database() || '_viewer', current_database() || '_decider',
                        (SELECT pg_get_userbyid(datdba)::text FROM pg_database
                          WHERE datname = current_database())",
                params![],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?;
        let members = |group: &str| {
            self.db.query_map(
                "SELECT m.rolname::text FROM pg_auth_members am
                   JOIN pg_roles g ON g.oid = am.roleid
                   JOIN pg_roles m ON m.oid = am.member
                  WHERE g.rolname = ?1 ORDER BY m.rolname",
                params![group],
                |row| row.get::<String>(0),
            )
        };
        Ok(StoreRoles {
            viewers: members(&viewer_role)?,
            deciders: members(&decider_role)?,
            owner,
            viewer_role,
            decider_role,
        })
    }

    /// Makes the PostgreSQL role `role` a viewer or a decider of this store (and no longer the
    /// other), creating the store's two group roles and giving them their rights first when
    /// need be; all of it in one transaction. Run it as the store's owner with the right to
    /// create roles, or as a superuser (docs/team.md). Returns the roles as they are now.
    pub fn grant_role(&mut self, role: &str, as_role: StoreRole) -> Result<StoreRoles> {
        self.refuse_sqlite_roles()?;
        let role = role.trim();
        if role.is_empty() || role.len() > MAX_ROLE_BYTES || role.contains('\0') {
            return Err(StoreError::Roles(format!(
                "{role:?} is not a PostgreSQL role name (1 to {MAX_ROLE_BYTES} bytes)"
            )));
        }
        let found: Option<(bool, bool)> = self.db.query_opt(
            "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = ?1",
            params![role],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let Some((_, superuser)) = found else {
            return Err(StoreError::Roles(format!(
                "there is no PostgreSQL role {role}: create it first (as the database's \
                 administrator: `CREATE ROLE {} LOGIN PASSWORD '…'`), then grant it again",
                quoted(role)
            )));
        };
        let before = self.store_roles()?;
        if superuser || before.owner.as_deref() == Some(role) {
            return Err(StoreError::Roles(format!(
                "{role} {} this store and can do anything on it: roles are for the people who \
                 connect as roles of their own (the owner runs migrations and grants, nothing \
                 else)",
                if superuser {
                    "is a superuser of"
                } else {
                    "owns"
                }
            )));
        }
        let (give, take) = match as_role {
            StoreRole::Viewer => (&before.viewer_role, &before.decider_role),
            StoreRole::Decider => (&before.decider_role, &before.viewer_role),
        };
        let created = |group: &str| {
            format!(
                "DO $baton$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{}') THEN
                        CREATE ROLE {} NOLOGIN;
                    END IF;
                 END $baton$",
                group.replace('\'', "''"),
                quoted(group)
            )
        };
        let sql = [
            created(&before.viewer_role),
            created(&before.decider_role),
            PRIVILEGES_SQL.to_owned(),
            format!("REVOKE {} FROM {}", quoted(take), quoted(role)),
            format!("GRANT {} TO {}", quoted(give), quoted(role)),
        ];
        self.all_or_nothing(|store| {
            for statement in &sql {
                store.db.execute_batch(statement).map_err(|err| {
                    if err.is_not_allowed() {
                        StoreError::Roles(format!(
                            "{err}. Giving roles needs the right to create roles and grant \
                             them: run `baton store grant` as a superuser, or as the store's \
                             owner with CREATEROLE (docs/team.md has the SQL)"
                        ))
                    } else {
                        err
                    }
                })?;
            }
            Ok::<_, StoreError>(())
        })?;
        self.store_roles()
    }

    /// Where the person connected stands on this store (their role, who can decide, who owns
    /// it); None on SQLite, which has no roles. Asked on a connection of its own and kept for a
    /// while, as a refusal's words are.
    pub fn own_standing(&self) -> Option<Refusal> {
        self.db.as_postgres().map(|conn| conn.standing())
    }

    fn refuse_sqlite_roles(&self) -> Result<()> {
        match self.db.dialect() {
            Dialect::Postgres => Ok(()),
            Dialect::Sqlite => Err(StoreError::Roles(
                "a SQLite store has no roles: whoever can open its file can see and decide \
                 everything (keep it in a folder only you can read). To give people roles, put \
                 the store on PostgreSQL (docs/team.md)"
                    .to_owned(),
            )),
        }
    }
}
