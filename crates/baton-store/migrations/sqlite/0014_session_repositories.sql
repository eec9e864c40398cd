-- A session's repository by its identity, the same in every worktree and clone of it
-- (`github.com/acme/shop`, or `root:<first commit>`): its files are `repo://<identity>/<path>`.
-- Sessions from before keep their folder (repo_root) and have no identity until they call again.
ALTER TABLE sessions ADD COLUMN repository TEXT;
CREATE INDEX sessions_by_repository ON sessions (repository);
