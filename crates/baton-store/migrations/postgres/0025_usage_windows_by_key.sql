-- Baton schema, version 25: see the SQLite migration of the same number. A poll reads its
-- usage windows by their key (agent, api, key, window start); with this index on (api,
-- window_start) beside the primary key, the planner estimated one row for either and took the
-- narrower one, then filtered out every other agent's window of that api and minute (a
-- thousand rows a window at 1,000 agents, 6 ms a group's read instead of 0.3).
-- Forward-only: earlier versions are never edited.

DROP INDEX IF EXISTS usage_by_api_window;
