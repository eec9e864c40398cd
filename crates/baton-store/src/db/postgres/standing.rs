//! Where the connected role stands on the store, asked when the database refuses it something,
//! so that the refusal says it in words.

use std::time::Instant;

use super::connect::{open, wait};
use super::{PgConn, STANDING_KEPT};
use crate::db::location::PgTarget;
use crate::refusal::{Refusal, Standing, StoreRole};

impl PgConn {
    /// A refusal in words: where the connected role stands on the store, who can decide, who
    /// owns it. Asked on a connection of its own (the refused transaction is aborted), and
    /// kept for [`STANDING_KEPT`] so that a viewer's app refused again and again asks once.
    pub(super) fn refusal(&self, denied: String) -> Refusal {
        if let Some((at, known)) = &self.state.borrow().standing {
            if at.elapsed() < STANDING_KEPT {
                return Refusal {
                    denied,
                    ..known.clone()
                };
            }
        }
        let role = self
            .target
            .config()
            .get_user()
            .unwrap_or_default()
            .to_owned();
        let unknown = Refusal {
            role,
            denied: denied.clone(),
            standing: Standing::Unknown,
            deciders: Vec::new(),
            owner: None,
        };
        let found = match standing_of(&self.target) {
            Ok(found) => found,
            Err(why) => {
                tracing::debug!(%why, "cannot ask where the role stands");
                return unknown;
            }
        };
        let refusal = Refusal { denied, ..found };
        self.state.borrow_mut().standing = Some((Instant::now(), refusal.clone()));
        refusal
    }
}

impl PgConn {
    /// Where the connected role stands on the store (a refusal with no words of the
    /// database's), kept as a refusal's is.
    pub(crate) fn standing(&self) -> Refusal {
        self.refusal(String::new())
    }
}

/// Where the role of `target` stands on its store, asked on a reading connection of its own.
pub(super) fn standing_of(target: &PgTarget) -> std::result::Result<Refusal, String> {
    let client = open(target, true)?;
    let sql = "SELECT current_user::text,
                (SELECT pg_get_userbyid(datdba)::text FROM pg_database
                  WHERE datname = current_database()),
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                coalesce((SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles
                           WHERE rolname = current_database() || '_decider'), false),
                coalesce((SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles
                           WHERE rolname = current_database() || '_viewer'), false),
                coalesce((SELECT string_agg(m.rolname::text, ',' ORDER BY m.rolname)
                            FROM pg_auth_members am
                            JOIN pg_roles g ON g.oid = am.roleid
                            JOIN pg_roles m ON m.oid = am.member
                           WHERE g.rolname = current_database() || '_decider'
                             AND m.rolcanlogin), '')";
    let row = wait(client.query_one(sql, &[])).map_err(|err| err.to_string())?;
    let get = |i: usize| -> std::result::Result<String, String> {
        row.try_get::<_, Option<String>>(i)
            .map(Option::unwrap_or_default)
            .map_err(|e| e.to_string())
    };
    let flag = |i: usize| row.try_get::<_, Option<bool>>(i).ok().flatten() == Some(true);
    let (role, owner) = (get(0)?, get(1)?);
    let standing = if flag(2) || (!owner.is_empty() && role == owner) {
        Standing::Owner
    } else if flag(3) {
        Standing::Is(StoreRole::Decider)
    } else if flag(4) {
        Standing::Is(StoreRole::Viewer)
    } else {
        Standing::Nothing
    };
    Ok(Refusal {
        role,
        denied: String::new(),
        standing,
        deciders: get(5)?
            .split(',')
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect(),
        owner: Some(owner).filter(|owner| !owner.is_empty()),
    })
}
