-- Baton schema, version 25: `usage_by_api_window` (api, window_start) goes. No query reads usage
-- windows by api and time any more (the rate-limit ledger keeps its own minutes), and a poll's
-- read of its windows by their key, every agent reporting the same api and window, made
-- PostgreSQL's planner pick it over the primary key and filter a thousand rows a window.
-- Forward-only: earlier versions are never edited.

DROP INDEX IF EXISTS usage_by_api_window;
