-- Baton schema, version 24 (the change feed): see the SQLite migration of the same number.
-- The number comes from the one row of `changes_head`, not from a sequence: a sequence's value
-- is taken at insert and seen at commit, so a reader stopping at the highest number it saw
-- would skip a row that commits late. The head's row is moved as the transaction commits,
-- under the store's advisory write lock: numbers grow in commit order. The writing
-- transaction also sends `NOTIFY baton_changes` (a hint only: a listener reads from its last
-- number, so a NOTIFY missed while it reconnected loses nothing).
-- Forward-only: earlier versions are never edited.

CREATE TABLE changes (
    seq     BIGINT NOT NULL CHECK (seq > 0),
    kind    TEXT COLLATE "C" NOT NULL CHECK (length(kind) > 0),
    ref_id  BIGINT NOT NULL DEFAULT 0,
    ref_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    origin  BIGINT NOT NULL,
    at_ms   BIGINT NOT NULL,
    PRIMARY KEY (seq, kind, ref_id, ref_key)
);

CREATE TABLE changes_head (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    seq            BIGINT NOT NULL CHECK (seq >= 0),
    pruned_through BIGINT NOT NULL DEFAULT 0
);

INSERT INTO changes_head (id, seq) VALUES (1, 0);
