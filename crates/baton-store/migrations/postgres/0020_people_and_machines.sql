-- Baton schema, version 20 (people and machines on a shared store): every decision-log entry
-- says from which machine it was made (`decisions.host`), and every coding session which
-- machine its hooks run on (`sessions.host`). Entries and sessions from before have none:
-- NULL, and the hash of an old entry is unchanged (the canonical form names `host` only when
-- an entry has one; see decisions.rs).
--
-- Roles (`baton store grant`, docs/team.md): the people who decide write the log as roles that
-- do not own it, so they cannot disable its append-only triggers; they need no right on
-- `decisions_head` either: the trigger that moves it runs as the log's owner.
-- Forward-only: earlier versions are never edited.

ALTER TABLE decisions ADD COLUMN host TEXT COLLATE "C" CHECK (host IS NULL OR length(host) > 0);
ALTER TABLE sessions ADD COLUMN host TEXT COLLATE "C";

ALTER FUNCTION decisions_head_moves() SECURITY DEFINER;
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION decisions_head_moves() SET search_path = pg_catalog, %I',
                   current_schema());
END $$;
