-- Baton schema, version 29: each task keeps the digest of the text its agent last reported it
-- in (as the poll that stored it read it, `baton_core::protocol::KnownTasks`). A watcher that
-- takes an agent over reads these and reads the agent's first answer against them, as if it
-- had stored the last answer itself: an unchanged task is neither parsed nor compared with its
-- row. NULL when the row was not written by a poll that knew the text (a coding session's
-- task, an A2A task followed, a row from before this version): such a task is compared as
-- before.
-- Forward-only: earlier versions are never edited.

ALTER TABLE tasks ADD COLUMN reported_digest INTEGER;
