-- Baton schema (issue 61): agents heard through OpenTelemetry. `agents.adapter` now allows
-- 'otlp': an agent whose spans arrive at the OTLP receiver, never polled (the column is
-- replaced as in versions 6 and 8: rebuilding `agents` would cascade-delete everything that
-- belongs to an agent). One row per such agent ties it to the name its spans give
-- (`gen_ai.agent.name`, else `service.name`), compared by its name key; the agent's own name
-- may differ (`name·2` when a polled agent has the name: a span never writes as one).
-- Forward-only: earlier versions are never edited.

ALTER TABLE agents ADD COLUMN adapter_v35 TEXT NOT NULL DEFAULT 'baton'
    CHECK (adapter_v35 IN ('baton', 'a2a', 'session', 'otlp'));
UPDATE agents SET adapter_v35 = adapter;
ALTER TABLE agents DROP COLUMN adapter;
ALTER TABLE agents RENAME COLUMN adapter_v35 TO adapter;

CREATE TABLE otel_agents (
    agent_id      INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    -- the name key of the name the spans give
    source_key    TEXT    NOT NULL UNIQUE,
    -- the resource's `service.name` last seen
    service       TEXT,
    first_span_at TEXT    NOT NULL,
    last_span_at  TEXT    NOT NULL
) STRICT;
