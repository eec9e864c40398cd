-- Baton schema on PostgreSQL, version 13: as ../sqlite/0013_event_minutes.sql.
CREATE TABLE event_minutes (
    agent_id BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    minute   BIGINT NOT NULL CHECK (minute % 60 = 0),
    kind     TEXT COLLATE "C" NOT NULL,
    events   BIGINT NOT NULL CHECK (events >= 0),
    PRIMARY KEY (agent_id, minute, kind)
);
CREATE INDEX event_minutes_by_minute ON event_minutes (minute);

INSERT INTO event_minutes (agent_id, minute, kind, events)
SELECT agent_id, extract(epoch FROM at::timestamptz)::bigint / 60 * 60, kind, count(*)
  FROM events
 GROUP BY 1, 2, 3;

ALTER TABLE events ADD COLUMN at_ms BIGINT;
UPDATE events SET at_ms = floor(extract(epoch FROM at::timestamptz) * 1000)::bigint;
CREATE INDEX events_by_agent_ms ON events (agent_id, at_ms, kind);

-- A plain SQL function the planner can inline (the timeline reads it per event of a short
-- range): every stored timestamp is one Baton wrote.
CREATE OR REPLACE FUNCTION epoch_ms(at text) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT (extract(epoch FROM at::timestamptz) * 1000)::bigint
$$;
