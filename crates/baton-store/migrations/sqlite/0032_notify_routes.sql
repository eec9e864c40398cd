-- Baton schema, version 32 (issue 60): routes, where Baton reaches a person outside the app,
-- what each sent, and the answers taken.
-- `notify_routes`: one per route; `token_ref` is where its access token is kept
-- (`env:VAR`, `keyring:service/user`), never the token; `reply_since` the id of the last
-- message read on its reply topic (the stream resumes after it).
-- `notify_sent`: one row per route and queue item: its message (`sequence_id`, replaced in
-- place by each later send), the item's count it last told (`sent_occurrences`), whether its
-- settling was told (`settled_sent`), and a watcher's claim while it sends (as the outbox's:
-- on a shared store each message is sent by one watcher).
-- `notify_answers`: each answer taken, by its nonce: a replay is refused across restarts and
-- across the watchers of a shared store.
-- Forward-only: earlier versions are never edited.

CREATE TABLE notify_routes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('desktop', 'ntfy', 'webhook')),
    person      TEXT    NOT NULL,
    server      TEXT,
    topic       TEXT,
    reply_topic TEXT,
    url         TEXT,
    shape       TEXT CHECK (shape IN ('generic', 'slack', 'discord', 'teams')),
    token_ref   TEXT,
    reply_since TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) STRICT;

CREATE TABLE notify_sent (
    route_id         INTEGER NOT NULL REFERENCES notify_routes (id) ON DELETE CASCADE,
    escalation_id    INTEGER NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    sequence_id      TEXT    NOT NULL,
    sent_occurrences INTEGER NOT NULL DEFAULT 0,
    settled_sent     INTEGER NOT NULL DEFAULT 0 CHECK (settled_sent IN (0, 1)),
    sends            INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  TEXT    NOT NULL,
    sent_at          TEXT,
    claimed_by       INTEGER,
    claimed_until_ms INTEGER,
    PRIMARY KEY (route_id, escalation_id)
) STRICT;

CREATE TABLE notify_answers (
    nonce         TEXT    PRIMARY KEY,
    route_id      INTEGER NOT NULL,
    escalation_id INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    decision_seq  INTEGER NOT NULL,
    taken_at      TEXT    NOT NULL
) STRICT;
