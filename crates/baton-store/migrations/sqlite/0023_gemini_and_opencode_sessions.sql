-- Baton schema, version 23 (issue 34): coding sessions of Gemini CLI and OpenCode, besides
-- Claude Code, Codex and Copilot CLI. SQLite cannot change a column's CHECK in place, so the
-- sessions table is made again with the wider one and every row copied over, in the same
-- column order (nothing refers to the table; its repository index is made again).
-- Forward-only: earlier versions are never edited.

CREATE TABLE sessions_v23 (
    agent_id     INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    client       TEXT    NOT NULL
                 CHECK (client IN ('claude-code', 'codex', 'copilot', 'gemini', 'opencode')),
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
    repository   TEXT,
    base_drift   TEXT,
    host         TEXT,
    -- the account a session draws on (schema 21)
    account      TEXT,
    reported_cost_usd REAL,
    UNIQUE (client, session_id)
) STRICT;

INSERT INTO sessions_v23 (agent_id, client, session_id, cwd, repo_root, branch, prompt,
                          last_tool, turns, turn_open, started_at, last_seen_at, ended_at,
                          repository, base_drift, host, account, reported_cost_usd)
SELECT agent_id, client, session_id, cwd, repo_root, branch, prompt, last_tool, turns,
       turn_open, started_at, last_seen_at, ended_at, repository, base_drift, host, account,
       reported_cost_usd
  FROM sessions;

DROP TABLE sessions;
ALTER TABLE sessions_v23 RENAME TO sessions;
CREATE INDEX sessions_by_repository ON sessions (repository);
