-- Baton schema, version 29: each task keeps the digest of the text its agent last reported it
-- in (as the poll that wrote the row read it, `baton_core::protocol::KnownTasks`). A poller's
-- first write (it just started, or took the agent over from another watcher) asks which of the
-- tasks it sends are stored as reported: a task whose text's digest is the stored one is
-- settled without its row being read, and only the others are compared field by field. NULL
-- when the row was not written from a text (a coding session's task, an A2A task followed, a
-- row from before this version): such a task is compared as before.
-- Forward-only: earlier versions are never edited.

ALTER TABLE tasks ADD COLUMN reported_digest BIGINT;
