-- Baton schema, version 22: a parallel edit is one item per repository, however many of its
-- live branches change the same files (it was one per pair of branches: a third branch made
-- items of its own with each branch it met). The item (`parallel_edits`, beside its finding)
-- keeps the repository and when it was written and checked; its branches and their checkouts
-- are `parallel_edit_branches`; each pair of them that changes the same files is a row of
-- `parallel_edit_pairs` with those files and git's forecast of merging the two (git merges two
-- at a time). A file's branches are those of the pairs that name it.
-- Forward-only: earlier versions are never edited.
CREATE TABLE parallel_edit_branches (
    finding_id BIGINT           NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    branch     TEXT COLLATE "C" NOT NULL CHECK (length(branch) > 0),
    worktree   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (finding_id, branch)
);

CREATE TABLE parallel_edit_pairs (
    finding_id BIGINT           NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    -- In `branch_pair` order (byte order, as Rust compares them).
    branch_a   TEXT COLLATE "C" NOT NULL CHECK (length(branch_a) > 0),
    branch_b   TEXT COLLATE "C" NOT NULL CHECK (branch_a < branch_b),
    files      TEXT COLLATE "C" NOT NULL DEFAULT '[]' CHECK (json_valid(files)),
    forecast   TEXT COLLATE "C" CHECK (forecast IS NULL OR json_valid(forecast)),
    PRIMARY KEY (finding_id, branch_a, branch_b)
);

-- Each stored item of a pair keeps its two branches, their checkouts, its files and its
-- forecast, as an item of one pair.
INSERT INTO parallel_edit_branches (finding_id, branch, worktree)
SELECT finding_id, branch_a, worktree_a FROM parallel_edits
UNION ALL
SELECT finding_id, branch_b, worktree_b FROM parallel_edits;

INSERT INTO parallel_edit_pairs (finding_id, branch_a, branch_b, files, forecast)
SELECT finding_id, branch_a, branch_b, files, forecast FROM parallel_edits;

ALTER TABLE parallel_edits
    DROP COLUMN branch_a, DROP COLUMN branch_b, DROP COLUMN worktree_a,
    DROP COLUMN worktree_b, DROP COLUMN files, DROP COLUMN forecast;

-- The cause is the repository now: its oldest open item takes the repository's key, and the
-- next parallel write of the repository joins it (and folds in any other open item of the
-- repository, which the store expires, logged, naming the item it joined). Closed items keep
-- their keys.
UPDATE findings
   SET dedupe_key = 'parallel_edit:' || (SELECT p.repository FROM parallel_edits p
                                          WHERE p.finding_id = findings.id)
 WHERE id IN (SELECT min(p.finding_id) FROM parallel_edits p
                JOIN findings f ON f.id = p.finding_id
               WHERE f.closed_at IS NULL
               GROUP BY p.repository);
