-- Baton schema, version 2: the audit detail of decisions, and agent manifests.
-- Forward-only: version 1 is never edited.

-- What a decision changed, as JSON: for rule changes `{"before": <rule or null>,
-- "after": <rule or null>}`. Part of the hashed fields of the entry (see src/decisions.rs).
-- Rows written before version 2 have no detail.
ALTER TABLE decisions ADD COLUMN detail TEXT CHECK (detail IS NULL OR json_valid(detail));

CREATE INDEX decisions_by_action ON decisions (action, seq);
CREATE INDEX decisions_by_subject ON decisions (subject, seq);

-- What an agent declares it triggers on, reads, writes and outputs to: one row per source
-- (`agent`: from its status document's `agent.declares`; `user`: typed in Baton).
CREATE TABLE manifests (
    agent_id   INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    source     TEXT    NOT NULL CHECK (source IN ('agent', 'user')),
    -- {"triggers": [...], "reads": [...], "writes": [...], "outputs": [...]}
    declares   TEXT    NOT NULL CHECK (json_valid(declares)
                           AND json_type(declares, '$.triggers') = 'array'
                           AND json_type(declares, '$.reads') = 'array'
                           AND json_type(declares, '$.writes') = 'array'
                           AND json_type(declares, '$.outputs') = 'array'),
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (agent_id, source)
) STRICT, WITHOUT ROWID;
