-- Baton schema, version 15: parallel edits, two branches of one repository (two worktrees or
-- clones) changing the same files, kept beside their finding (one per repository and pair of
-- branches): the checkouts git compares, the files both changed, and what merging them would
-- do (the forecast, as JSON; NULL until git was asked).
CREATE TABLE parallel_edits (
    finding_id  BIGINT PRIMARY KEY REFERENCES findings (id) ON DELETE CASCADE,
    repository  TEXT COLLATE "C" NOT NULL CHECK (length(repository) > 0),
    branch_a    TEXT COLLATE "C" NOT NULL CHECK (length(branch_a) > 0),
    branch_b    TEXT COLLATE "C" NOT NULL CHECK (length(branch_b) > 0),
    worktree_a  TEXT COLLATE "C" NOT NULL,
    worktree_b  TEXT COLLATE "C" NOT NULL,
    files       TEXT COLLATE "C" NOT NULL DEFAULT '[]' CHECK (json_valid(files)),
    forecast    TEXT COLLATE "C" CHECK (forecast IS NULL OR json_valid(forecast)),
    -- The latest parallel write: git is asked once the writes pause (and again after).
    written_at  TEXT COLLATE "C" NOT NULL,
    checked_at  TEXT COLLATE "C"
);
CREATE INDEX parallel_edits_to_check ON parallel_edits (written_at);
