-- Baton schema, version 10: long agent text kept once. An event's `message` or a task's `detail`
-- of 256 bytes or more is stored in `texts` by its SHA-256, and the row refers to it: an agent
-- that repeats one long text (the task's detail, the event asking for approval, the next poll's
-- event again) takes the space of it once. Findings and escalations quote at most a headline.
-- Rows written before version 10 keep their text where it is.
-- Forward-only: earlier versions are never edited.

CREATE TABLE texts (
    id   INTEGER PRIMARY KEY,
    hash BLOB    NOT NULL UNIQUE CHECK (length(hash) = 32),
    body TEXT    NOT NULL
) STRICT;

-- The event's message, taken out of `raw` (read it back through `events_as_sent`).
ALTER TABLE events ADD COLUMN message_text INTEGER REFERENCES texts (id);
CREATE INDEX events_by_message_text ON events (message_text) WHERE message_text IS NOT NULL;

-- The task's detail (then `detail` is NULL).
ALTER TABLE tasks ADD COLUMN detail_text INTEGER REFERENCES texts (id);
CREATE INDEX tasks_by_detail_text ON tasks (detail_text) WHERE detail_text IS NOT NULL;

-- Events as the agents sent them, the message put back where it was taken out.
CREATE VIEW events_as_sent AS
SELECT agent_id, seq, at, kind, task_id, resource, received_at,
       CASE WHEN message_text IS NULL THEN raw
            ELSE json_set(raw, '$.message', (SELECT body FROM texts WHERE texts.id = message_text))
       END AS raw
  FROM events;
