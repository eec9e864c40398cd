-- Baton schema, version 11: an agent that restarted without its event counter. Events that came
-- with a `seq` already used for another event (not stored) or below one stored are counted per
-- episode: from the first poll that had them until a poll whose new events were all in order.
-- The detectors make one finding per episode (`counter_since` names it).
-- Forward-only: earlier versions are never edited.

ALTER TABLE agents ADD COLUMN counter_since    TEXT;
ALTER TABLE agents ADD COLUMN counter_last_at  TEXT;
ALTER TABLE agents ADD COLUMN counter_reused   INTEGER NOT NULL DEFAULT 0 CHECK (counter_reused >= 0);
ALTER TABLE agents ADD COLUMN counter_backward INTEGER NOT NULL DEFAULT 0 CHECK (counter_backward >= 0);
-- 1 once a poll brought new events in order after the episode: the next such poll starts another.
ALTER TABLE agents ADD COLUMN counter_over     INTEGER NOT NULL DEFAULT 0 CHECK (counter_over IN (0, 1));
