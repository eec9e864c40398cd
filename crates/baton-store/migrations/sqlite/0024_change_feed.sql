-- Baton schema, version 24 (the change feed): every write a view shows (an agent's tasks and
-- events, its health, the queue, decisions, rules, sessions and leases, the watchers) also
-- records, in its own transaction, what it changed: one `changes` row per kind and subject,
-- numbered by `seq`. A transaction's rows share one number, `changes_head.seq + 1`, and the
-- head moves to it as the transaction commits: the number is taken under the store's write
-- lock, so numbers grow in commit order and a reader that has seen N never sees a row below N
-- commit later. A subscriber reads the rows after the last number it saw (a reconnect
-- catches up); `pruned_through` is the highest number retention has deleted, so a subscriber
-- left further behind knows to reload everything.
-- `origin` tells which connection wrote (a process skips its own); `at_ms` is the database's
-- clock when recorded (retention keeps a few minutes).
-- Forward-only: earlier versions are never edited.

CREATE TABLE changes (
    seq     INTEGER NOT NULL CHECK (seq > 0),
    kind    TEXT NOT NULL CHECK (length(kind) > 0),
    ref_id  INTEGER NOT NULL DEFAULT 0,
    ref_key TEXT NOT NULL DEFAULT '',
    origin  INTEGER NOT NULL,
    at_ms   INTEGER NOT NULL,
    PRIMARY KEY (seq, kind, ref_id, ref_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE changes_head (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    seq            INTEGER NOT NULL CHECK (seq >= 0),
    pruned_through INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO changes_head (id, seq) VALUES (1, 0);
