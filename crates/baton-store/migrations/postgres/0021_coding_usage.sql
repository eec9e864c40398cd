-- Baton schema, version 21 (issue 34): coding agents' usage and limit windows, from what the
-- clients record (Claude Code's transcript and status line, Codex's rollout file). The same
-- tables as on SQLite (migrations/sqlite/0021_coding_usage.sql).
-- Forward-only: earlier versions are never edited.

ALTER TABLE sessions ADD COLUMN account TEXT COLLATE "C";
ALTER TABLE sessions ADD COLUMN reported_cost_usd DOUBLE PRECISION;

CREATE TABLE session_usage (
    agent_id    BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    usage_key   TEXT COLLATE "C" NOT NULL,
    turn        BIGINT NOT NULL CHECK (turn >= 0),
    at          TEXT COLLATE "C" NOT NULL,
    model       TEXT COLLATE "C" NOT NULL DEFAULT '',
    input       BIGINT NOT NULL CHECK (input >= 0),
    output      BIGINT NOT NULL CHECK (output >= 0),
    cache_read  BIGINT NOT NULL CHECK (cache_read >= 0),
    cache_write BIGINT NOT NULL CHECK (cache_write >= 0),
    PRIMARY KEY (agent_id, usage_key)
);
CREATE INDEX session_usage_by_time ON session_usage (at);

CREATE TABLE usage_sources (
    agent_id BIGINT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    path     TEXT COLLATE "C" NOT NULL,
    file_key TEXT COLLATE "C" NOT NULL,
    read_to  BIGINT NOT NULL CHECK (read_to >= 0),
    model    TEXT COLLATE "C",
    read_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE usage_windows (
    client         TEXT COLLATE "C" NOT NULL,
    account        TEXT COLLATE "C" NOT NULL,
    window_name    TEXT COLLATE "C" NOT NULL,
    used_percent   DOUBLE PRECISION NOT NULL,
    window_minutes BIGINT,
    resets_at      TEXT COLLATE "C",
    seen_at        TEXT COLLATE "C" NOT NULL,
    paused_until   TEXT COLLATE "C",
    pause_reason   TEXT,
    PRIMARY KEY (client, account, window_name)
);

CREATE TABLE usage_window_samples (
    client       TEXT COLLATE "C" NOT NULL,
    account      TEXT COLLATE "C" NOT NULL,
    window_name  TEXT COLLATE "C" NOT NULL,
    at           TEXT COLLATE "C" NOT NULL,
    used_percent DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (client, account, window_name, at)
);
CREATE INDEX usage_window_samples_by_time ON usage_window_samples (at);
