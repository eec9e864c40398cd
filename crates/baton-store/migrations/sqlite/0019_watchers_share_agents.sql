-- Baton schema, version 17 (watchers sharing one store): several `baton watch` processes (or
-- apps with watching on) on one store, each agent polled by exactly one of them.
-- `watcher_runs`: one row per running watcher, with its heartbeat in the database's clock
-- (milliseconds since the epoch) and the lease term it renews within. `watch_leases`: who may act
-- on a subject now (`agent:<id>`: poll that agent and store what it answers; `detectors`: run
-- the detectors), until `expires_ms`; `epoch` grows by one each time a subject changes hands and
-- is the fencing token a holder's writes carry. A released lease keeps its row (expired), so
-- epochs never start over. The outbox's claims: a watcher delivering a row holds it until
-- `claimed_until_ms`, so no other watcher delivers it meanwhile.
-- Forward-only: earlier versions are never edited.

CREATE TABLE watcher_runs (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) > 0),
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TEXT NOT NULL,
    heartbeat_ms INTEGER NOT NULL,
    ttl_ms       INTEGER NOT NULL CHECK (ttl_ms > 0),
    left_at      TEXT
) STRICT;

CREATE TABLE watch_leases (
    subject    TEXT PRIMARY KEY CHECK (length(subject) > 0),
    agent_id   INTEGER REFERENCES agents (id) ON DELETE CASCADE,
    watcher_id INTEGER NOT NULL,
    epoch      INTEGER NOT NULL CHECK (epoch > 0),
    expires_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX watch_leases_by_watcher ON watch_leases (watcher_id);
CREATE INDEX watch_leases_by_agent ON watch_leases (agent_id);

ALTER TABLE outbox ADD COLUMN claimed_by INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_until_ms INTEGER;
