-- Baton schema, version 20 (people and machines on a shared store): every decision-log entry
-- says from which machine it was made (`decisions.host`), and every coding session which
-- machine its hooks run on (`sessions.host`). Entries and sessions from before have none:
-- NULL, and the hash of an old entry is unchanged (the canonical form names `host` only when
-- an entry has one; see decisions.rs).
-- Forward-only: earlier versions are never edited.

ALTER TABLE decisions ADD COLUMN host TEXT CHECK (host IS NULL OR length(host) > 0);
ALTER TABLE sessions ADD COLUMN host TEXT;
