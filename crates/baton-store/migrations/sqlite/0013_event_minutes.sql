-- Baton schema, version 13: events counted per agent, minute and kind, kept as events arrive,
-- so the fleet timeline reads counts rather than every event of its range (a day of a busy
-- fleet is a million events). The counts outlive the events retention by size takes; the
-- retention by age takes both. And each event's time in milliseconds since the epoch, so the
-- timeline's short ranges bucket events with integer arithmetic from one covering index
-- rather than parsing each event's time. Forward-only: earlier versions are never edited.
CREATE TABLE event_minutes (
    agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    -- seconds since the epoch, a multiple of 60
    minute   INTEGER NOT NULL CHECK (minute % 60 = 0),
    kind     TEXT    NOT NULL,
    events   INTEGER NOT NULL CHECK (events >= 0),
    PRIMARY KEY (agent_id, minute, kind)
) STRICT, WITHOUT ROWID;
CREATE INDEX event_minutes_by_minute ON event_minutes (minute);

INSERT INTO event_minutes (agent_id, minute, kind, events)
SELECT agent_id, CAST(strftime('%s', at) AS INTEGER) / 60 * 60, kind, count(*)
  FROM events
 WHERE strftime('%s', at) IS NOT NULL
 GROUP BY 1, 2, 3;

ALTER TABLE events ADD COLUMN at_ms INTEGER;
UPDATE events SET at_ms = CAST(strftime('%s', at) AS INTEGER) * 1000
                          + CAST(substr(at, 21, 3) AS INTEGER);
CREATE INDEX events_by_agent_ms ON events (agent_id, at_ms, kind);
