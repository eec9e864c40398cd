-- Baton schema, version 31 (issue 58, "slow is never silent"): the hook calls that went ahead
-- unchecked because the store was too slow or away, delivered later from the machine's spool,
-- and each machine's measured time to the store. (SQLite's file says what each column holds.)
-- Forward-only: earlier versions are never edited.

CREATE TABLE unchecked_calls (
    call_id      TEXT COLLATE "C" PRIMARY KEY,
    agent_id     BIGINT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    host         TEXT COLLATE "C" NOT NULL,
    at           TEXT COLLATE "C" NOT NULL,
    waited_ms    BIGINT NOT NULL CHECK (waited_ms >= 0),
    why          TEXT COLLATE "C" NOT NULL,
    delivered_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX unchecked_calls_by_host ON unchecked_calls (host, at);

CREATE TABLE store_links (
    host        TEXT COLLATE "C" PRIMARY KEY,
    call_ms     BIGINT NOT NULL CHECK (call_ms >= 0),
    measured_at TEXT COLLATE "C" NOT NULL
);
