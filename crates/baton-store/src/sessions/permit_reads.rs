//! What a write's permit reads (the ownership rules, the leases on the files it writes, and for
//! a file of a repository's checkout on a branch the person's choices on it and the live
//! sessions of the repository's other branches with their last write of it), read with the
//! session's row in one round trip: on a store far away (PostgreSQL on another host), each
//! round trip is most of what a hook call costs.

use baton_core::hooks::{lease_meets, Lease};
use baton_core::rules::{CompiledRules, Rule};

use super::choices::{read_choice, StoredChoice, CHOICES_ON_FILE};
use crate::codec::{parse_ts, ts};
use crate::db::Row;
use crate::error::Result;
use crate::rules::{all_rules_sql, read_rule};

/// The columns [`read_lease`] reads, and where from: the lease, its holder, and the holder's
/// session (a subagent's is its parent's, whose machine it works on).
macro_rules! lease_rows {
    ($($more:literal)?) => {
        concat!(
            "SELECT l.resource, l.branch, a.name, l.since,
            l.last_write_at, s.host, sa.agent_id IS NOT NULL",
            $($more,)?
            "
       FROM leases l JOIN agents a ON a.id = l.holder
       LEFT JOIN subagents sa ON sa.agent_id = l.holder
       LEFT JOIN sessions s ON s.agent_id = coalesce(sa.session_agent_id, l.holder)"
        )
    };
}

/// What a lease's rows are read from ([`read_lease`]).
pub(crate) const LEASE_ROWS: &str = lease_rows!();

/// [`LEASE_ROWS`] of the leases on file `?1`, each with its holder's id and the holder's last
/// stored write of the file: what a refusal's item names, read with the permit rather than
/// one round trip each after it.
const LEASES_ON_FILE: &str = concat!(
    lease_rows!(
        ", l.holder,
            (SELECT max(e.seq) FROM events e
              WHERE e.agent_id = l.holder AND e.kind = 'write' AND e.resource = l.resource)"
    ),
    " WHERE l.resource = ?1 ORDER BY l.since, l.branch"
);

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

/// Who holds a lease on a file: Baton's id of the holder, and its last stored write of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LeaseHolder {
    pub(super) resource: String,
    pub(super) name: String,
    pub(super) agent_id: i64,
    pub(super) last_write: Option<u64>,
}

/// A live session of another branch of the repository, and its last write of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OtherBranch {
    pub(super) agent_id: i64,
    pub(super) name: String,
    pub(super) branch: String,
    pub(super) worktree: String,
    /// Its last stored write of the file (None: it did not write it).
    pub(super) last_write: Option<u64>,
}

/// The live sessions of the repository's other branches, each with its last write of `?4`:
/// `repository, branch, live since, resource`.
const OTHER_BRANCHES: &str = "SELECT s.agent_id, a.name, s.branch, s.repo_root,
            (SELECT max(e.seq) FROM events e
              WHERE e.agent_id = s.agent_id AND e.kind = 'write' AND e.resource = ?4)
       FROM sessions s JOIN agents a ON a.id = s.agent_id
      WHERE s.repository = ?1 AND s.branch IS NOT NULL AND s.branch <> ?2
        AND s.repo_root IS NOT NULL AND s.ended_at IS NULL AND s.last_seen_at > ?3
      ORDER BY s.agent_id";

/// A file of the repository's checkout the session works in, on its branch.
#[derive(Debug, Clone)]
pub(super) struct BranchFile {
    pub(super) repository: String,
    pub(super) branch: String,
    /// The file inside the repository.
    pub(super) path: String,
}

/// What is read on one file in a checkout: the choices on it, the other branches' sessions.
#[derive(Debug, Default)]
struct ParallelRead {
    choices: Vec<StoredChoice>,
    others: Vec<OtherBranch>,
}

/// The rules and the leases on `resources`, once read.
#[derive(Debug, Default)]
pub(crate) struct PermitReads {
    resources: Vec<String>,
    rules: Vec<Rule>,
    /// Every lease on the files, whatever its branch.
    leases: Vec<Lease>,
    /// The holders of those leases.
    holders: Vec<LeaseHolder>,
    /// The "allowed once more" a person gave on the files: (file, agent).
    exemptions: Vec<(String, i64)>,
    /// Per resource in a checkout on a branch: the file, and what was read on it.
    in_checkout: Vec<Option<(BranchFile, ParallelRead)>>,
    /// The sessions of other branches are the live ones heard since then.
    live_since: String,
}

impl PermitReads {
    /// What a write of `resources` (each file as the session names it; with, for a file of a
    /// repository's checkout on a branch, where it is) reads at `now`.
    pub(super) fn new(
        resources: Vec<(String, Option<BranchFile>)>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> PermitReads {
        let live = now - chrono::Duration::minutes(baton_core::hooks::LIVE_SESSION_MINUTES);
        let (resources, files): (Vec<String>, Vec<Option<BranchFile>>) =
            resources.into_iter().unzip();
        PermitReads {
            resources,
            in_checkout: files
                .into_iter()
                .map(|file| file.map(|file| (file, ParallelRead::default())))
                .collect(),
            live_since: ts(live),
            ..PermitReads::default()
        }
    }

    /// The statements, and each one's values: the rules, the exemptions on the files, then
    /// the leases of each file, then for each file in a checkout the choices on it and the
    /// other branches' sessions.
    pub(super) fn statements(&self) -> (Vec<String>, Vec<Vec<String>>) {
        let list: Vec<String> = (1..=self.resources.len())
            .map(|n| format!("?{n}"))
            .collect();
        let mut sql = vec![
            all_rules_sql(),
            format!(
                "SELECT resource, agent_id FROM lease_exemptions WHERE resource IN ({})",
                list.join(", ")
            ),
        ];
        let mut values = vec![Vec::new(), self.resources.clone()];
        for resource in &self.resources {
            sql.push(LEASES_ON_FILE.to_owned());
            values.push(vec![resource.clone()]);
        }
        for (resource, found) in self.resources.iter().zip(&self.in_checkout) {
            let Some((file, _)) = found else { continue };
            sql.push(CHOICES_ON_FILE.to_owned());
            values.push(vec![
                file.repository.clone(),
                file.path.clone(),
                file.branch.clone(),
            ]);
            sql.push(OTHER_BRANCHES.to_owned());
            values.push(vec![
                file.repository.clone(),
                file.branch.clone(),
                self.live_since.clone(),
                resource.clone(),
            ]);
        }
        (sql, values)
    }

    /// A row of statement `i` of [`PermitReads::statements`].
    pub(super) fn take(&mut self, i: usize, row: &Row<'_>) -> Result<()> {
        let files = self.resources.len();
        if i == 0 {
            self.rules.push(read_rule(row)?.rule);
        } else if i == 1 {
            self.exemptions.push((row.get(0)?, row.get(1)?));
        } else if i <= files + 1 {
            let lease = read_lease(row)?;
            self.holders.push(LeaseHolder {
                resource: lease.resource.clone(),
                name: lease.holder.clone(),
                agent_id: row.get(7)?,
                last_write: row
                    .get::<Option<i64>>(8)?
                    .and_then(|seq| u64::try_from(seq).ok()),
            });
            self.leases.push(lease);
        } else {
            // Two statements per file in a checkout, in the files' order.
            let nth = (i - files - 2) / 2;
            let Some((_, read)) = self.in_checkout.iter_mut().flatten().nth(nth) else {
                return Ok(());
            };
            if (i - files - 2).is_multiple_of(2) {
                read.choices.push(read_choice(row)?);
            } else {
                read.others.push(OtherBranch {
                    agent_id: row.get(0)?,
                    name: row.get(1)?,
                    branch: row.get(2)?,
                    worktree: row.get(3)?,
                    last_write: row
                        .get::<Option<i64>>(4)?
                        .and_then(|seq| u64::try_from(seq).ok()),
                });
            }
        }
        Ok(())
    }

    /// What was read on `resource` in its checkout: the choices on it, and the live sessions
    /// of the repository's other branches but `writer`. None: not a file of a checkout on a
    /// branch.
    pub(super) fn in_checkout(
        &self,
        resource: &str,
        writer: i64,
    ) -> Option<(&BranchFile, &[StoredChoice], Vec<&OtherBranch>)> {
        let at = self.resources.iter().position(|r| r == resource)?;
        let (file, read) = self.in_checkout.get(at)?.as_ref()?;
        let others = read
            .others
            .iter()
            .filter(|o| o.agent_id != writer)
            .collect();
        Some((file, &read.choices, others))
    }

    /// Whether the person allowed `agent_id` one more write of `resource` while its holder
    /// keeps it.
    pub(super) fn exempted(&self, resource: &str, agent_id: i64) -> bool {
        self.exemptions
            .iter()
            .any(|(file, agent)| file == resource && *agent == agent_id)
    }

    /// The holder named `name` of a lease on `resource`, as read. None: no lease of its
    /// (a rule's owner, say).
    pub(super) fn holder(&self, resource: &str, name: &str) -> Option<&LeaseHolder> {
        self.holders
            .iter()
            .find(|h| h.resource == resource && h.name == name)
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
