-- Baton schema, version 4: the escalation queue, delivery acknowledgements, handoff schemas,
-- the dead-letter list, and per-agent detector windows. Forward-only: earlier versions are
-- never edited.

-- An agent's overrides of the detectors' default windows, as JSON (`WindowOverrides`); NULL:
-- the defaults.
ALTER TABLE agents ADD COLUMN detect_windows TEXT
    CHECK (detect_windows IS NULL OR json_valid(detect_windows));

-- Who handles an escalation (the matching `exception` rule's owner, when one matches) and how
-- long it is out of the way. `decision_id` (version 1) names the last decision taken on it: a
-- snooze, or what resolved it.
ALTER TABLE escalations ADD COLUMN assignee TEXT;
ALTER TABLE escalations ADD COLUMN snoozed_until TEXT;

-- One escalation per finding.
CREATE UNIQUE INDEX escalations_one_per_finding ON escalations (finding_id)
    WHERE finding_id IS NOT NULL;

-- The agent's acknowledgement: 1 took it in, 0 received it and will not act on it.
ALTER TABLE outbox ADD COLUMN accepted INTEGER CHECK (accepted IN (0, 1));

-- The JSON Schema a handoff's payload must satisfy, by handoff type (the payload's `type`).
CREATE TABLE handoff_schemas (
    handoff_type TEXT    PRIMARY KEY CHECK (length(handoff_type) > 0),
    schema       TEXT    NOT NULL CHECK (json_valid(schema)),
    updated_at   TEXT    NOT NULL
) STRICT;

-- Handoffs whose payload failed its schema, kept whole.
CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id     INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    at           TEXT    NOT NULL,
    handoff_type TEXT,
    receiver     TEXT,
    payload      TEXT    CHECK (payload IS NULL OR json_valid(payload)),
    -- the validation errors, e.g. [{"path":"/title","message":"123 is not of type \"string\""}]
    errors       TEXT    NOT NULL CHECK (json_valid(errors)),
    recorded_at  TEXT    NOT NULL,
    UNIQUE (agent_id, seq)
) STRICT;
