-- Baton schema, version 25: on PostgreSQL the JSON columns' check answers '[]' and '{}' without
-- a subtransaction. SQLite's `json_valid` is its own built-in: nothing changes here; the
-- version moves so that both engines share one number.
SELECT 1;
