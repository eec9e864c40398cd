-- Baton schema, version 31 (issue 58, "slow is never silent"): the hook calls that went ahead
-- unchecked because the store was too slow or away, delivered later from the machine's spool,
-- and each machine's measured time to the store.
-- Forward-only: earlier versions are never edited.

-- One row per unchecked call, stored once: `call_id` is the hook's own random id of the call,
-- so a spool delivered twice (two deliverers, a crash between store and truncate) stores it once.
CREATE TABLE unchecked_calls (
    call_id      TEXT    PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    -- the machine whose hook let it go ahead
    host         TEXT    NOT NULL,
    -- when the client went ahead
    at           TEXT    NOT NULL,
    -- how long the hook waited for the store, and why it gave up
    waited_ms    INTEGER NOT NULL CHECK (waited_ms >= 0),
    why          TEXT    NOT NULL,
    delivered_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX unchecked_calls_by_host ON unchecked_calls (host, at);

-- Each machine's latest measured time for one hook call's work on the store.
CREATE TABLE store_links (
    host        TEXT    PRIMARY KEY,
    call_ms     INTEGER NOT NULL CHECK (call_ms >= 0),
    measured_at TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
