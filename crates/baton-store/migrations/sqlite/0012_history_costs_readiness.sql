-- Baton schema, version 12: pipelines over time. Every version of a task and every change of an
-- agent's health is kept (the replay of the board at a past moment reads them); what each agent's
-- API calls cost (tokens per day, API, model and task, priced at read time); each agent's polls
-- per day (its readiness); and how long events are kept before they are compacted.
-- Forward-only: earlier versions are never edited.

-- Each version of a task as Baton stored it, from the moment it was stored (`recorded_at`: the
-- row's `updated_at`) until the next version. Written by the triggers below, whoever changes
-- `tasks` (a poll, a coding session's hook, an A2A read). A task deleted from `tasks` gets a
-- version with `gone = 1`. Older than the retention, only versions that changed the state stay.
CREATE TABLE task_history (
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    task_id     TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    -- a row id so that two versions in one instant keep their order
    version     INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    state_since TEXT    NOT NULL,
    depends_on  TEXT    NOT NULL DEFAULT '[]',
    detail      TEXT,
    detail_text INTEGER REFERENCES texts (id),
    gone        INTEGER NOT NULL DEFAULT 0 CHECK (gone IN (0, 1))
) STRICT;
CREATE INDEX task_history_by_time ON task_history (recorded_at);
CREATE INDEX task_history_by_task ON task_history (agent_id, task_id, recorded_at);
CREATE INDEX task_history_by_detail_text ON task_history (detail_text) WHERE detail_text IS NOT NULL;

INSERT INTO task_history (agent_id, task_id, recorded_at, title, state, state_since, depends_on,
                          detail, detail_text)
SELECT agent_id, task_id, updated_at, title, state, state_since, depends_on, detail, detail_text
  FROM tasks ORDER BY updated_at;

CREATE TRIGGER task_history_insert AFTER INSERT ON tasks
BEGIN
    INSERT INTO task_history (agent_id, task_id, recorded_at, title, state, state_since,
                              depends_on, detail, detail_text)
    VALUES (new.agent_id, new.task_id, new.updated_at, new.title, new.state, new.state_since,
            new.depends_on, new.detail, new.detail_text);
END;

CREATE TRIGGER task_history_update AFTER UPDATE ON tasks
WHEN old.title IS NOT new.title OR old.state IS NOT new.state
  OR old.state_since IS NOT new.state_since OR old.depends_on IS NOT new.depends_on
  OR old.detail IS NOT new.detail OR old.detail_text IS NOT new.detail_text
  OR old.updated_at IS NOT new.updated_at
BEGIN
    INSERT INTO task_history (agent_id, task_id, recorded_at, title, state, state_since,
                              depends_on, detail, detail_text)
    VALUES (new.agent_id, new.task_id, new.updated_at, new.title, new.state, new.state_since,
            new.depends_on, new.detail, new.detail_text);
END;

-- Each change of an agent's health or own state (replay shows the agents as they were).
CREATE TABLE agent_history (
    agent_id     INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    recorded_at  TEXT    NOT NULL,
    version      INTEGER PRIMARY KEY,
    reachability TEXT    NOT NULL,
    remote_state TEXT,
    last_error   TEXT
) STRICT;
CREATE INDEX agent_history_by_agent ON agent_history (agent_id, recorded_at);

-- Agents known before this version: as they are now, from when they were added.
INSERT INTO agent_history (agent_id, recorded_at, reachability, remote_state, last_error)
SELECT id, created_at, reachability, remote_state, last_error FROM agents;

CREATE TRIGGER agent_history_insert AFTER INSERT ON agents
BEGIN
    INSERT INTO agent_history (agent_id, recorded_at, reachability, remote_state, last_error)
    VALUES (new.id, new.created_at, new.reachability, new.remote_state, new.last_error);
END;

CREATE TRIGGER agent_history_update AFTER UPDATE OF reachability, remote_state, last_error ON agents
WHEN old.reachability IS NOT new.reachability OR old.remote_state IS NOT new.remote_state
  OR old.last_error IS NOT new.last_error
BEGIN
    INSERT INTO agent_history (agent_id, recorded_at, reachability, remote_state, last_error)
    VALUES (new.id, coalesce(new.last_attempt_at, new.last_ingest_at, new.created_at),
            new.reachability, new.remote_state, new.last_error);
END;

-- Polls per agent and UTC day, for readiness (days of stable running, poll health).
CREATE TABLE agent_days (
    agent_id     INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    day          TEXT    NOT NULL CHECK (length(day) = 10),
    polls_ok     INTEGER NOT NULL DEFAULT 0 CHECK (polls_ok >= 0),
    polls_failed INTEGER NOT NULL DEFAULT 0 CHECK (polls_failed >= 0),
    PRIMARY KEY (agent_id, day)
) STRICT, WITHOUT ROWID;

-- Tokens of API calls per agent, UTC day, API, model ('' none) and task ('' none): from
-- `api_call` events (ev_*) and usage reports (rp_*, no task). Priced when read.
CREATE TABLE api_costs (
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    day         TEXT    NOT NULL CHECK (length(day) = 10),
    api         TEXT    NOT NULL,
    model       TEXT    NOT NULL DEFAULT '',
    task_id     TEXT    NOT NULL DEFAULT '',
    calls       INTEGER NOT NULL DEFAULT 0 CHECK (calls >= 0),
    ev_input    INTEGER NOT NULL DEFAULT 0 CHECK (ev_input >= 0),
    ev_output   INTEGER NOT NULL DEFAULT 0 CHECK (ev_output >= 0),
    ev_unsplit  INTEGER NOT NULL DEFAULT 0 CHECK (ev_unsplit >= 0),
    rp_input    INTEGER NOT NULL DEFAULT 0 CHECK (rp_input >= 0),
    rp_output   INTEGER NOT NULL DEFAULT 0 CHECK (rp_output >= 0),
    rp_unsplit  INTEGER NOT NULL DEFAULT 0 CHECK (rp_unsplit >= 0),
    PRIMARY KEY (agent_id, day, api, model, task_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX api_costs_by_day ON api_costs (day);

-- The user's prices of a thousand tokens, per API and model ('' = every model of the API without
-- a price of its own; a trailing * a prefix of model names). Baton's own defaults are not stored:
-- they apply where the user has no price for the same API and model (baton-core `cost`).
CREATE TABLE prices (
    api           TEXT NOT NULL CHECK (length(api) > 0),
    model         TEXT NOT NULL DEFAULT '',
    input_per_1k  REAL NOT NULL CHECK (input_per_1k >= 0),
    output_per_1k REAL NOT NULL CHECK (output_per_1k >= 0),
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (api, model)
) STRICT, WITHOUT ROWID;

-- An agent's daily budget; passing it opens a warning escalation.
CREATE TABLE agent_budgets (
    agent_id   INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    daily_usd  REAL    NOT NULL CHECK (daily_usd > 0),
    updated_at TEXT    NOT NULL
) STRICT;

-- Baton's own settings by name (retention days, readiness thresholds), as JSON values.
CREATE TABLE baton_settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- A usage report's model and token split (what its tokens are priced by).
ALTER TABLE usage_samples ADD COLUMN model TEXT;
ALTER TABLE usage_samples ADD COLUMN input_tokens INTEGER CHECK (input_tokens >= 0);
ALTER TABLE usage_samples ADD COLUMN output_tokens INTEGER CHECK (output_tokens >= 0);
