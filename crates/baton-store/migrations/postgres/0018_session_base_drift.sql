-- Baton schema, version 18: how a coding session's branch stands against its repository's
-- default branch when that moved since the branch forked (JSON of `BaseDrift`: the branch, the
-- commits it moved, whether the session's work still merges into it), checked by the engine
-- beside the hooks. NULL: not checked, or the default branch has not moved.
ALTER TABLE sessions ADD COLUMN base_drift TEXT COLLATE "C";
