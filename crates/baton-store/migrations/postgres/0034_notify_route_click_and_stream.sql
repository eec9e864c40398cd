-- Baton schema, version 34 (issue 60): a route's click URL, and how its reply stream fares.
-- `click`: the URL template a notification opens when tapped (`{item}`: the queue item's id);
-- `reply_failures`: failed attempts in a row to read the reply topic (0: reading, or never
-- tried); `reply_error`: the last failure in words and `reply_error_at` when it happened
-- (kept after the stream is read again, for the record; `reply_failures` says whether it is
-- still failing).
-- Forward-only: earlier versions are never edited.

ALTER TABLE notify_routes ADD COLUMN click TEXT COLLATE "C";
ALTER TABLE notify_routes ADD COLUMN reply_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notify_routes ADD COLUMN reply_error TEXT COLLATE "C";
ALTER TABLE notify_routes ADD COLUMN reply_error_at TEXT COLLATE "C";
