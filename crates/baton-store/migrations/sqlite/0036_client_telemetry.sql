-- Baton schema (issue 61, point 2): the coding clients' own telemetry (their OpenTelemetry log
-- events) joined to the sessions their hooks reported. A response's usage row is keyed by the
-- API's request id whichever source saw it first (the transcript's `requestId`, the
-- telemetry's `request_id`), so it counts once; the client's own price of it is kept beside
-- its tokens (NULL: priced by Baton's table). A session remembers when its client's telemetry
-- last arrived (`baton hooks status` says whether it does).
-- Forward-only: earlier versions are never edited.

ALTER TABLE session_usage ADD COLUMN cost_usd REAL CHECK (cost_usd IS NULL OR cost_usd >= 0);
ALTER TABLE sessions ADD COLUMN telemetry_at TEXT;
