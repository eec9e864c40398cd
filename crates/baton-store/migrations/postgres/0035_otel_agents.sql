-- Baton schema (issue 61): agents heard through OpenTelemetry; see ../sqlite/0035_otel_agents.sql.
-- `agents.adapter` is replaced as on SQLite (added again, copied, the old one dropped), so the
-- columns stay in the same order on both engines.
-- Forward-only: earlier versions are never edited.

ALTER TABLE agents ADD COLUMN adapter_v35 TEXT COLLATE "C" NOT NULL DEFAULT 'baton'
    CHECK (adapter_v35 IN ('baton', 'a2a', 'session', 'otlp'));
UPDATE agents SET adapter_v35 = adapter;
ALTER TABLE agents DROP COLUMN adapter;
ALTER TABLE agents RENAME COLUMN adapter_v35 TO adapter;

CREATE TABLE otel_agents (
    agent_id      BIGINT PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    source_key    TEXT COLLATE "C" NOT NULL UNIQUE,
    service       TEXT COLLATE "C",
    first_span_at TEXT COLLATE "C" NOT NULL,
    last_span_at  TEXT COLLATE "C" NOT NULL
);
