-- Baton schema, version 16: what a person decided on a parallel edit, per file of a repository
-- and pair of branches (in `branch_pair` order): the file handed to one branch (`holder`, a
-- lease across branches that `enforce` keeps), a session told to leave it to the other branch
-- (`stopped_agent`: its writes of the file refused in every mode, with the person's `reason`),
-- or both branches left to go on (neither: no item again for this file and pair).
CREATE TABLE parallel_choices (
    repository    TEXT NOT NULL CHECK (length(repository) > 0),
    path          TEXT NOT NULL CHECK (length(path) > 0),
    branch_a      TEXT NOT NULL CHECK (length(branch_a) > 0),
    branch_b      TEXT NOT NULL CHECK (length(branch_b) > 0),
    holder        TEXT CHECK (holder IS NULL OR holder = branch_a OR holder = branch_b),
    stopped_agent INTEGER REFERENCES agents (id) ON DELETE CASCADE,
    reason        TEXT,
    who           TEXT NOT NULL CHECK (length(who) > 0),
    decision_id   INTEGER NOT NULL REFERENCES decisions (seq),
    decided_at    TEXT NOT NULL,
    PRIMARY KEY (repository, path, branch_a, branch_b)
) STRICT;
