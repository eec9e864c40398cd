-- Baton schema, version 9: who watches the store. The engine (in the app or `baton watch`)
-- notes itself every few seconds, so that a coding session's hook knows whether a person can answer its
-- permission request in Baton's queue (else it lets the client ask in its own dialog at once).
-- Forward-only: earlier versions are never edited.

CREATE TABLE watchers (
    -- `engine`
    kind    TEXT PRIMARY KEY CHECK (length(kind) > 0),
    seen_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
