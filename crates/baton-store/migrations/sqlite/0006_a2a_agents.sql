-- Baton schema, version 6: agents that speak A2A.
--
-- `agents.adapter` now allows 'a2a'. SQLite cannot change a CHECK in place, and rebuilding
-- `agents` would cascade-delete everything that belongs to an agent, so the column is
-- replaced: a new column with the wider CHECK takes the values, the old one is dropped (its
-- CHECK goes with it) and the new one takes its name.
ALTER TABLE agents ADD COLUMN adapter_v6 TEXT NOT NULL DEFAULT 'baton'
    CHECK (adapter_v6 IN ('baton', 'a2a'));
UPDATE agents SET adapter_v6 = adapter;
ALTER TABLE agents DROP COLUMN adapter;
ALTER TABLE agents RENAME COLUMN adapter_v6 TO adapter;

-- What an A2A agent's card said, when Baton last read it, and what the agent turned out to
-- support. One row per A2A agent; gone with the agent.
CREATE TABLE a2a_cards (
    agent_id      INTEGER PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
    -- the card as Baton keeps it (baton-core's AgentCard, JSON)
    card          TEXT    NOT NULL CHECK (json_valid(card)),
    -- the card's ETag, sent back as If-None-Match
    etag          TEXT,
    fetched_at    TEXT    NOT NULL,
    -- NULL: not known yet; 0: ListTasks is not offered (Baton follows known tasks by GetTask)
    lists_tasks   INTEGER CHECK (lists_tasks IN (0, 1))
) STRICT;
