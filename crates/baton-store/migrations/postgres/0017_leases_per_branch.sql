-- Baton schema, version 17: a lease per file and branch (and a parallel edit's repository by
-- its name, below). A repository's file has one lease per
-- branch (`branch`): sessions on one branch meet each other there (a write collision), two
-- branches each change their own checkout (a parallel edit, `parallel_edits`), so another
-- branch's write no longer takes the file from a session on its branch. A file outside any
-- checkout (`file://…`) and a session with no branch keep one lease, `branch = ''`.
-- The leases from before keep their holder and times, on their holder's branch (or '' when
-- it is unknown).
ALTER TABLE leases ADD COLUMN branch TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE leases l SET branch = coalesce(s.branch, '')
  FROM sessions s
 WHERE s.agent_id = l.holder AND l.resource LIKE 'repo://%';
ALTER TABLE leases DROP CONSTRAINT leases_pkey;
ALTER TABLE leases ADD PRIMARY KEY (resource, branch);

-- And a parallel edit's repository by its name for a person (the folder of its main checkout,
-- or its remote's last part), which its item's title says: `shop`, not `root:740f…`. Edits
-- from before have none (NULL): they are named from their identity.
ALTER TABLE parallel_edits ADD COLUMN repository_name TEXT COLLATE "C";
