-- Baton schema, version 21 (issue 34): coding agents' usage and limit windows, from what the
-- clients record (Claude Code's transcript and status line, Codex's rollout file).
-- Forward-only: earlier versions are never edited.

-- The account a session draws on (its client's config folder: never a credential).
ALTER TABLE sessions ADD COLUMN account TEXT;
-- What the client itself last said the session cost (Claude Code's status-line data).
ALTER TABLE sessions ADD COLUMN reported_cost_usd REAL;

-- One model response of a session: its tokens, under the key the client gives it (Claude
-- Code's message id, written over several lines, counts once), and the turn it was read in.
CREATE TABLE session_usage (
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    usage_key   TEXT    NOT NULL,
    turn        INTEGER NOT NULL CHECK (turn >= 0),
    at          TEXT    NOT NULL,
    model       TEXT    NOT NULL DEFAULT '',
    input       INTEGER NOT NULL CHECK (input >= 0),
    output      INTEGER NOT NULL CHECK (output >= 0),
    cache_read  INTEGER NOT NULL CHECK (cache_read >= 0),
    cache_write INTEGER NOT NULL CHECK (cache_write >= 0),
    PRIMARY KEY (agent_id, usage_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX session_usage_by_time ON session_usage (at);

-- How far a session's record file (transcript, rollout) has been read: the file (device and
-- inode, so a rotated file is read from its start), the byte read to, the last model named.
CREATE TABLE usage_sources (
    agent_id INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    path     TEXT    NOT NULL,
    file_key TEXT    NOT NULL,
    read_to  INTEGER NOT NULL CHECK (read_to >= 0),
    model    TEXT,
    read_at  TEXT    NOT NULL
) STRICT;

-- Each limit window of a client and account as last reported, and the pause the person
-- decided for the account's sessions.
CREATE TABLE usage_windows (
    client         TEXT    NOT NULL,
    account        TEXT    NOT NULL,
    window_name    TEXT    NOT NULL,
    used_percent   REAL    NOT NULL,
    window_minutes INTEGER,
    resets_at      TEXT,
    seen_at        TEXT    NOT NULL,
    paused_until   TEXT,
    -- what the paused sessions' hooks answer (the decision's words)
    pause_reason   TEXT,
    PRIMARY KEY (client, account, window_name)
) STRICT, WITHOUT ROWID;

-- The readings of a window (one a minute at most, unless the use changed): its burn rate and
-- its chart. Kept eight days.
CREATE TABLE usage_window_samples (
    client       TEXT NOT NULL,
    account      TEXT NOT NULL,
    window_name  TEXT NOT NULL,
    at           TEXT NOT NULL,
    used_percent REAL NOT NULL,
    PRIMARY KEY (client, account, window_name, at)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_window_samples_by_time ON usage_window_samples (at);
