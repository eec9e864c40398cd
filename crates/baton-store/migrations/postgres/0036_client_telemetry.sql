-- Baton schema (issue 61, point 2): the coding clients' own telemetry joined to their
-- sessions; see ../sqlite/0036_client_telemetry.sql.
-- Forward-only: earlier versions are never edited.

ALTER TABLE session_usage ADD COLUMN cost_usd DOUBLE PRECISION
    CHECK (cost_usd IS NULL OR cost_usd >= 0);
ALTER TABLE sessions ADD COLUMN telemetry_at TEXT COLLATE "C";
