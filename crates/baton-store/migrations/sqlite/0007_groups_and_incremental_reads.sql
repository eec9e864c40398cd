-- Baton schema, version 7: what the detectors read since their last run, and escalations that
-- stand for a group of findings of one cause. Forward-only: earlier versions are never edited.

-- The detectors read the events and tasks that changed since their last run, and their window
-- by the time Baton received the events; an escalation's timeline reads one agent's events by
-- time. Nothing reads events by resource, or every agent's by time: those indexes only cost
-- each insert.
CREATE INDEX events_by_received ON events (received_at);
CREATE INDEX events_by_agent_at ON events (agent_id, at);
DROP INDEX events_by_resource;
DROP INDEX events_by_at;
CREATE INDEX tasks_by_updated ON tasks (updated_at);

-- The escalation (queue item) a finding belongs to. Before version 7 each escalation stood for
-- exactly its own finding.
ALTER TABLE findings ADD COLUMN escalation_id INTEGER
    REFERENCES escalations (id) ON DELETE SET NULL;
UPDATE findings
   SET escalation_id = (SELECT e.id FROM escalations e WHERE e.finding_id = findings.id);
CREATE INDEX findings_by_escalation ON findings (escalation_id);

-- A group: findings of the same kind between the same agents on resources under one scope
-- (`group_key` = kind|agents|scope). `occurrences` counts its findings; `since_decision` those
-- that came after it was decided (the item was updated rather than a new one opened);
-- `resources` lists at most 50 of its resources, `resource_count` counts them all;
-- `last_seen_at` is when a finding last joined it. NULL group_key: never grouped.
ALTER TABLE escalations ADD COLUMN group_key TEXT;
ALTER TABLE escalations ADD COLUMN scope TEXT;
ALTER TABLE escalations ADD COLUMN occurrences INTEGER NOT NULL DEFAULT 1
    CHECK (occurrences >= 1);
ALTER TABLE escalations ADD COLUMN since_decision INTEGER NOT NULL DEFAULT 0
    CHECK (since_decision >= 0);
ALTER TABLE escalations ADD COLUMN resources TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(resources));
ALTER TABLE escalations ADD COLUMN resource_count INTEGER NOT NULL DEFAULT 0
    CHECK (resource_count >= 0);
ALTER TABLE escalations ADD COLUMN last_seen_at TEXT;
UPDATE escalations
   SET last_seen_at = opened_at,
       resources = coalesce((SELECT json_array(f.resource) FROM findings f
                              WHERE f.id = escalations.finding_id AND f.resource IS NOT NULL),
                            '[]'),
       resource_count = (SELECT count(*) FROM findings f
                          WHERE f.id = escalations.finding_id AND f.resource IS NOT NULL);
CREATE INDEX escalations_by_group ON escalations (group_key, last_seen_at)
    WHERE group_key IS NOT NULL;
