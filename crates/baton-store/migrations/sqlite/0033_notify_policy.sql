-- Baton schema, version 33 (issue 60): what each route sends, and how often.
-- `notify_routes`: `sends` says when each class of item goes (`approvals=now,…,notes=never`:
-- now, in the digest, or never); `digest_minutes` the digest's period; `quiet_hours` local
-- hours (`22:00-07:00`) when nothing but critical items goes (`critical_in_quiet` 0: not even
-- those); `storm_items`: more new items than this in 10 minutes are one message (0: never).
-- `notify_batches`: one row per message standing for several items (a route's digest of one
-- period, or a storm), with a watcher's claim while it sends, as `notify_sent`'s: on a shared
-- store each is sent by one watcher. `items` is the count its last send told.
-- `notify_sent.batch_id`: the item was told within that batch, not by a message of its own.
-- Forward-only: earlier versions are never edited.

ALTER TABLE notify_routes ADD COLUMN sends TEXT NOT NULL
    DEFAULT 'approvals=now,critical=now,limits=now,silent=now,warnings=digest,notes=never';
ALTER TABLE notify_routes ADD COLUMN digest_minutes INTEGER NOT NULL DEFAULT 30;
ALTER TABLE notify_routes ADD COLUMN quiet_hours TEXT;
ALTER TABLE notify_routes ADD COLUMN critical_in_quiet INTEGER NOT NULL DEFAULT 1;
ALTER TABLE notify_routes ADD COLUMN storm_items INTEGER NOT NULL DEFAULT 5;

ALTER TABLE notify_sent ADD COLUMN batch_id INTEGER;

CREATE TABLE notify_batches (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    route_id         INTEGER NOT NULL REFERENCES notify_routes (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('digest', 'storm')),
    batch_key        INTEGER NOT NULL,
    sequence_id      TEXT    NOT NULL,
    items            INTEGER NOT NULL DEFAULT 0,
    sends            INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  TEXT    NOT NULL,
    touched_at       TEXT    NOT NULL,
    claimed_by       INTEGER,
    claimed_until_ms INTEGER,
    UNIQUE (route_id, kind, batch_key)
) STRICT;
