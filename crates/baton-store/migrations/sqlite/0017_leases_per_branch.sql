-- Baton schema, version 17: a lease per file and branch (and a parallel edit's repository by
-- its name, below). A repository's file has one lease per
-- branch (`branch`): sessions on one branch meet each other there (a write collision), two
-- branches each change their own checkout (a parallel edit, `parallel_edits`), so another
-- branch's write no longer takes the file from a session on its branch. A file outside any
-- checkout (`file://…`) and a session with no branch keep one lease, `branch = ''`.
-- The leases from before keep their holder and times, on their holder's branch (or '' when
-- it is unknown).
CREATE TABLE leases_per_branch (
    resource      TEXT    NOT NULL,
    branch        TEXT    NOT NULL DEFAULT '',
    holder        INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    since         TEXT    NOT NULL,
    last_write_at TEXT    NOT NULL,
    PRIMARY KEY (resource, branch)
) STRICT, WITHOUT ROWID;

INSERT INTO leases_per_branch (resource, branch, holder, since, last_write_at)
SELECT l.resource,
       CASE WHEN l.resource LIKE 'repo://%' THEN coalesce(s.branch, '') ELSE '' END,
       l.holder, l.since, l.last_write_at
  FROM leases l LEFT JOIN sessions s ON s.agent_id = l.holder;

DROP TABLE leases;
ALTER TABLE leases_per_branch RENAME TO leases;
CREATE INDEX leases_by_holder ON leases (holder);

-- And a parallel edit's repository by its name for a person (the folder of its main checkout,
-- or its remote's last part), which its item's title says: `shop`, not `root:740f…`. Edits
-- from before have none (NULL): they are named from their identity.
ALTER TABLE parallel_edits ADD COLUMN repository_name TEXT;
