-- Baton schema, version 30 (issue 58): a session's subagents, each a worker of its own. A
-- subagent (Claude Code's `agent_id`) is an agent of its own (adapter 'session', named
-- "<session> › <type> #<n>") whose leases, permits, events and turn are its own; this row ties
-- it to its session. Its leases end at its stop (`stopped_at`), or with its session.
-- `sessions.waits_for_subagents`: the main thread ended its turn while subagents worked; the
-- turn stays working until the last of them stops.
-- Forward-only: earlier versions are never edited.

CREATE TABLE subagents (
    agent_id         BIGINT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    session_agent_id BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    subagent_id      TEXT COLLATE "C" NOT NULL,
    agent_type       TEXT COLLATE "C",
    number           BIGINT NOT NULL CHECK (number >= 1),
    started_at       TEXT COLLATE "C" NOT NULL,
    last_seen_at     TEXT COLLATE "C" NOT NULL,
    stopped_at       TEXT COLLATE "C",
    last_tool        TEXT COLLATE "C",
    stop_reason      TEXT COLLATE "C",
    UNIQUE (session_agent_id, subagent_id)
);
CREATE INDEX subagents_working ON subagents (session_agent_id, stopped_at);

ALTER TABLE sessions ADD COLUMN waits_for_subagents BIGINT NOT NULL DEFAULT 0
    CHECK (waits_for_subagents IN (0, 1));
