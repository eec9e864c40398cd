-- Baton schema, version 30 (issue 58): a session's subagents, each a worker of its own. A
-- subagent (Claude Code's `agent_id`) is an agent of its own (adapter 'session', named
-- "<session> › <type> #<n>") whose leases, permits, events and turn are its own; this row ties
-- it to its session. Its leases end at its stop (`stopped_at`), or with its session.
-- `sessions.waits_for_subagents`: the main thread ended its turn while subagents worked; the
-- turn stays working until the last of them stops.
-- Forward-only: earlier versions are never edited.

CREATE TABLE subagents (
    agent_id         INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    session_agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    -- the client's id of the subagent (Claude Code's `agent_id`)
    subagent_id      TEXT    NOT NULL,
    -- its type as sent (`general-purpose`, `Explore`, …); NULL when not sent
    agent_type       TEXT,
    -- its number among its session's subagents of its type (the "#2" of its name)
    number           INTEGER NOT NULL CHECK (number >= 1),
    started_at       TEXT    NOT NULL,
    last_seen_at     TEXT    NOT NULL,
    stopped_at       TEXT,
    -- the last tool it called, as "Write /repo/src/app.rs"
    last_tool        TEXT,
    -- a person's decision that it stops (the reason its next writes are refused with); NULL:
    -- it goes on
    stop_reason      TEXT,
    UNIQUE (session_agent_id, subagent_id)
) STRICT;
CREATE INDEX subagents_working ON subagents (session_agent_id, stopped_at);

ALTER TABLE sessions ADD COLUMN waits_for_subagents INTEGER NOT NULL DEFAULT 0
    CHECK (waits_for_subagents IN (0, 1));
