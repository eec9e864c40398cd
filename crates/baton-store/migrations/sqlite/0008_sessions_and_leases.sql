-- Baton schema, version 8: coding-agent sessions heard through their hooks, and file leases.
-- Forward-only: earlier versions are never edited.

-- `agents.adapter` now allows 'session' (the column is replaced as in version 6: rebuilding
-- `agents` would cascade-delete everything that belongs to an agent).
ALTER TABLE agents ADD COLUMN adapter_v8 TEXT NOT NULL DEFAULT 'baton'
    CHECK (adapter_v8 IN ('baton', 'a2a', 'session'));
UPDATE agents SET adapter_v8 = adapter;
ALTER TABLE agents DROP COLUMN adapter;
ALTER TABLE agents RENAME COLUMN adapter_v8 TO adapter;

-- One row per session agent: which client and session it is, where it works, and its turn.
CREATE TABLE sessions (
    agent_id     INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    client       TEXT    NOT NULL CHECK (client IN ('claude-code', 'codex', 'copilot')),
    session_id   TEXT    NOT NULL,
    cwd          TEXT,
    repo_root    TEXT,
    branch       TEXT,
    -- the first line of the prompt of the current (or last) turn
    prompt       TEXT,
    -- the last tool called, as "Write /repo/src/app.rs"
    last_tool    TEXT,
    -- turns started; the current turn's task id is "turn-<turns>"
    turns        INTEGER NOT NULL DEFAULT 0 CHECK (turns >= 0),
    turn_open    INTEGER NOT NULL DEFAULT 0 CHECK (turn_open IN (0, 1)),
    started_at   TEXT    NOT NULL,
    last_seen_at TEXT    NOT NULL,
    ended_at     TEXT,
    UNIQUE (client, session_id)
) STRICT;

-- A session's right to write one file, taken by its write: until its turn ends, or it has not
-- written the file for the lease time. One holder per file.
CREATE TABLE leases (
    resource      TEXT    PRIMARY KEY,
    holder        INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    since         TEXT    NOT NULL,
    last_write_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX leases_by_holder ON leases (holder);

-- "Allow both once": a session that may write a file once more although another holds it.
CREATE TABLE lease_exemptions (
    resource   TEXT    NOT NULL,
    agent_id   INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    granted_at TEXT    NOT NULL,
    PRIMARY KEY (resource, agent_id)
) STRICT, WITHOUT ROWID;
