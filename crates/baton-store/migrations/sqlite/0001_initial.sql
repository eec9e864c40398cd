-- Baton schema, version 1.
--
-- Conventions
-- * Every timestamp is RFC 3339 TEXT in UTC with nine fractional digits and a `Z`
--   (`2026-05-01T12:00:00.123456789Z`, see src/time.rs): fixed width, so text order is time
--   order, lossless for what agents send, readable in the sqlite3 shell, and accepted by
--   SQLite's date functions.
-- * Lists and free-form documents are JSON TEXT, checked with json_valid().
-- * Enumerations are TEXT with a CHECK listing the spellings of baton-core's enums.
-- * Tables are STRICT. Rows owned by an agent go with it (ON DELETE CASCADE), except the
--   decision log, which is append-only.

-- Baton's configured endpoints, with the poller's health and what the agent says about itself.
CREATE TABLE agents (
    -- AUTOINCREMENT: ids are never reused, since tokens in the OS keyring are keyed by them.
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT    NOT NULL CHECK (length(name) > 0),
    -- Lower-cased name: names are unique regardless of case.
    name_key             TEXT    NOT NULL UNIQUE,
    base_url             TEXT    NOT NULL,
    poll_interval_ms     INTEGER NOT NULL CHECK (poll_interval_ms > 0),
    timeout_ms           INTEGER NOT NULL CHECK (timeout_ms > 0),
    adapter              TEXT    NOT NULL CHECK (adapter IN ('baton')),
    has_token            INTEGER NOT NULL DEFAULT 0 CHECK (has_token IN (0, 1)),
    created_at           TEXT    NOT NULL,
    -- health, as the poller last recorded it
    reachability         TEXT    NOT NULL DEFAULT 'unknown'
                                 CHECK (reachability IN ('unknown', 'up', 'down')),
    last_success_at      TEXT,
    last_attempt_at      TEXT,
    latency_ms           INTEGER CHECK (latency_ms >= 0),
    consecutive_failures INTEGER NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    last_error           TEXT,
    last_error_at        TEXT,
    -- the `cursor` of the last ingested status document (sent back as `since`)
    cursor               TEXT,
    -- the document's `agent` object, from the last ingest
    remote_id            TEXT,
    remote_name          TEXT,
    remote_version       TEXT,
    remote_state         TEXT CHECK (remote_state IN ('idle', 'working', 'blocked', 'error')),
    remote_detail        TEXT,
    last_ingest_at       TEXT
) STRICT;

-- Tasks, keyed by the agent's own task id.
CREATE TABLE tasks (
    agent_id          INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    task_id           TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('submitted', 'working', 'input_required',
                          'auth_required', 'blocked', 'completed', 'failed', 'canceled', 'rejected')),
    -- when the task entered `state` (the agent's word, else when Baton first saw the state)
    state_since       TEXT    NOT NULL,
    -- the agent's created_at / updated_at, as reported
    created_at        TEXT,
    remote_updated_at TEXT,
    depends_on        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(depends_on)),
    trigger           TEXT,
    reads             TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(reads)),
    writes            TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(writes)),
    output            TEXT,
    next_stage        TEXT,
    detail            TEXT,
    -- when Baton first saw the task, and last saw any stored field change
    first_seen_at     TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    PRIMARY KEY (agent_id, task_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX tasks_by_state_since ON tasks (state_since);
CREATE INDEX tasks_by_agent_state_since ON tasks (agent_id, state_since);

-- Events, deduplicated by (agent_id, seq).
CREATE TABLE events (
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    at          TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('state', 'write', 'read', 'trigger', 'handoff',
                    'needs_approval', 'claim', 'api_call')),
    task_id     TEXT,
    resource    TEXT,
    -- the event as the agent sent it
    raw         TEXT    NOT NULL CHECK (json_valid(raw)),
    received_at TEXT    NOT NULL,
    PRIMARY KEY (agent_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX events_by_task ON events (agent_id, task_id, seq);
CREATE INDEX events_by_resource ON events (resource, at) WHERE resource IS NOT NULL;
CREATE INDEX events_by_at ON events (at);

-- Usage the agents report, one row per (agent, api, key, window); the latest report wins.
CREATE TABLE usage_samples (
    agent_id       INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    api            TEXT    NOT NULL CHECK (length(api) > 0),
    -- '' when the report names no key (NULLs would never conflict in the primary key)
    key            TEXT    NOT NULL DEFAULT '',
    window_start   TEXT    NOT NULL,
    window_seconds INTEGER NOT NULL CHECK (window_seconds > 0),
    requests       INTEGER NOT NULL CHECK (requests >= 0),
    tokens         INTEGER NOT NULL CHECK (tokens >= 0),
    rate_limited   INTEGER NOT NULL CHECK (rate_limited >= 0),
    reported_at    TEXT    NOT NULL,
    PRIMARY KEY (agent_id, api, key, window_start)
) STRICT, WITHOUT ROWID;

CREATE INDEX usage_by_api_window ON usage_samples (api, window_start);

-- Ownership rules (first version; loaded from a rules file or edited in the UI).
CREATE TABLE rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('trigger', 'data', 'output', 'exception')),
    -- resource pattern: `*` one segment, `**` any
    pattern     TEXT    NOT NULL CHECK (length(pattern) > 0),
    -- an agent (by name), or a person for `exception`
    owner       TEXT    NOT NULL CHECK (length(owner) > 0),
    readers     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(readers)),
    sla_seconds INTEGER CHECK (sla_seconds > 0),
    note        TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;

CREATE INDEX rules_by_kind ON rules (kind, pattern);

-- What detectors saw. A detector re-firing on the same situation updates its row (dedupe_key).
CREATE TABLE findings (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- detector name, e.g. `write_collision`
    kind       TEXT    NOT NULL CHECK (length(kind) > 0),
    severity   TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    -- Baton agent ids involved
    agents     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(agents)),
    resource   TEXT,
    summary    TEXT    NOT NULL DEFAULT '',
    -- the evidence events, e.g. [{"agent_id":1,"seq":42}]
    evidence   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(evidence)),
    opened_at  TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    closed_at  TEXT,
    dedupe_key TEXT    NOT NULL UNIQUE
) STRICT;

CREATE INDEX findings_by_opened_at ON findings (opened_at);

-- The decision log: append-only and hash-chained (hash = H(prev_hash, this row's fields)).
CREATE TABLE decisions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT    NOT NULL,
    -- the person (or `rule:<id>` for an automatic decision)
    who           TEXT    NOT NULL CHECK (length(who) > 0),
    -- `approve`, `reject`, `retry`, `reassign`, `dismiss`, ...
    action        TEXT    NOT NULL CHECK (length(action) > 0),
    -- what was decided about, e.g. `escalation:7` or `task:1/t-42`
    subject       TEXT    NOT NULL,
    reason        TEXT,
    -- not a foreign key: escalations may go (with their agent), the log stays
    escalation_id INTEGER,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL UNIQUE
) STRICT;

CREATE TRIGGER decisions_are_append_only_update BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only');
END;

CREATE TRIGGER decisions_are_append_only_delete BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only');
END;

-- Findings (or an agent's own request) that need a human.
CREATE TABLE escalations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- NULL when the agent asked itself (`needs_approval`, A2A input/auth required)
    finding_id  INTEGER REFERENCES findings (id) ON DELETE CASCADE,
    agent_id    INTEGER REFERENCES agents (id) ON DELETE CASCADE,
    task_id     TEXT,
    -- the `needs_approval` event, when there is one
    event_seq   INTEGER,
    title       TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'expired')),
    opened_at   TEXT    NOT NULL,
    due_at      TEXT,
    resolved_at TEXT,
    decision_id INTEGER REFERENCES decisions (seq),
    CHECK (finding_id IS NOT NULL OR agent_id IS NOT NULL),
    CHECK ((state = 'open') = (resolved_at IS NULL))
) STRICT;

CREATE INDEX escalations_by_state_due ON escalations (state, due_at);
CREATE INDEX escalations_by_finding ON escalations (finding_id);
CREATE INDEX escalations_by_agent ON escalations (agent_id, task_id);

-- Decisions waiting to be delivered to an agent (POST with Idempotency-Key), retried until acked.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id     INTEGER NOT NULL REFERENCES decisions (seq),
    agent_id        INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    idempotency_key TEXT    NOT NULL UNIQUE,
    -- the DecisionDelivery JSON
    body            TEXT    NOT NULL CHECK (json_valid(body)),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT    NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT,
    created_at      TEXT    NOT NULL
) STRICT;

CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;
CREATE INDEX outbox_by_agent ON outbox (agent_id);
CREATE INDEX outbox_by_decision ON outbox (decision_id);
