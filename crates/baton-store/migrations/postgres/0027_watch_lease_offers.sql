-- Baton schema, version 27: a watcher over its share (another joined) offers the leases it is
-- to give back rather than dropping them. It keeps polling an offered agent, under its lease,
-- until another watcher takes it (the next epoch, which fences its writes); the taker polls it
-- an interval after the giver's last poll. Before, the giver let the leases lapse at once and
-- each agent went unpolled until the taker's next heartbeat and first poll (issue 33: about a
-- poll lost per agent moved at 1,000 agents). NULL: not offered; else since when (the store's
-- clock, ms).
-- Forward-only: earlier versions are never edited.

ALTER TABLE watch_leases ADD COLUMN offered_ms BIGINT;
