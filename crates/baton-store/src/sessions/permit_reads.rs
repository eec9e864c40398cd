//! What a write's permit reads (the ownership rules, the leases on the files it writes), read
//! with the session's row in one round trip: on a store far away (PostgreSQL on another host),
//! each round trip is most of what a hook call costs.

use baton_core::hooks::{lease_meets, Lease};
use baton_core::rules::{CompiledRules, Rule};

use crate::codec::parse_ts;
use crate::db::Row;
use crate::error::Result;
use crate::rules::{all_rules_sql, read_rule};

/// What a lease's rows are read from ([`read_lease`]): the lease, its holder, and the holder's
/// session (a subagent's is its parent's, whose machine it works on).
pub(crate) const LEASE_ROWS: &str = "SELECT l.resource, l.branch, a.name, l.since,
            l.last_write_at, s.host, sa.agent_id IS NOT NULL
       FROM leases l JOIN agents a ON a.id = l.holder
       LEFT JOIN subagents sa ON sa.agent_id = l.holder
       LEFT JOIN sessions s ON s.agent_id = coalesce(sa.session_agent_id, l.holder)";

/// A lease from `resource, branch, holder's name, since, last_write_at, holder's machine,
/// whether the holder is a subagent` ([`LEASE_ROWS`]).
pub(super) fn read_lease(row: &Row<'_>) -> Result<Lease> {
    Ok(Lease {
        resource: row.get(0)?,
        branch: named_branch(row.get(1)?),
        holder: row.get(2)?,
        host: row.get(5)?,
        by_subagent: row.get(6)?,
        since: parse_ts(&row.get::<String>(3)?)?,
        last_write_at: parse_ts(&row.get::<String>(4)?)?,
    })
}

/// A lease's stored branch (`""`: one lease for every branch) as its types say it.
pub(super) fn named_branch(stored: String) -> Option<String> {
    Some(stored).filter(|branch| !branch.is_empty())
}

/// The rules and the leases on `resources`, once read.
#[derive(Debug, Default)]
pub(crate) struct PermitReads {
    resources: Vec<String>,
    rules: Vec<Rule>,
    /// Every lease on the files, whatever its branch.
    leases: Vec<Lease>,
}

impl PermitReads {
    /// What a write of `resources` (each file as the session names it) reads.
    pub(super) fn new(resources: Vec<String>) -> PermitReads {
        PermitReads {
            resources,
            ..PermitReads::default()
        }
    }

    /// The statements, and each one's values: the rules, then the leases of each file.
    pub(super) fn statements(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let mut sql = vec![all_rules_sql()];
        let mut values = vec![Vec::new()];
        for resource in &self.resources {
            sql.push(format!(
                "{LEASE_ROWS} WHERE l.resource = ?1 ORDER BY l.since, l.branch"
            ));
            values.push(vec![resource.clone()]);
        }
        (sql, values)
    }

    /// A row of statement `i` of [`PermitReads::statements`].
    pub(super) fn take(&mut self, i: usize, row: &Row<'_>) -> Result<()> {
        if i == 0 {
            self.rules.push(read_rule(row)?.rule);
        } else {
            self.leases.push(read_lease(row)?);
        }
        Ok(())
    }

    pub(super) fn rules(&self) -> CompiledRules {
        CompiledRules::new(self.rules.clone())
    }

    /// The leases on `resource` that stand in the way of a write kept for `branch` (see
    /// [`lease_meets`]): a holder on another branch of the repository edits in parallel (its
    /// own checkout), not over this one's file.
    pub(super) fn leases_on(&self, resource: &str, branch: &str) -> Vec<Lease> {
        self.leases
            .iter()
            .filter(|lease| {
                lease.resource == resource
                    && lease_meets(lease.branch.as_deref().unwrap_or_default(), branch)
            })
            .cloned()
            .collect()
    }
}
