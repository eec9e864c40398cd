-- Baton schema, version 23 (issue 34): coding sessions of Gemini CLI and OpenCode, besides
-- Claude Code, Codex and Copilot CLI: the sessions' client check takes the two more names.
-- Forward-only: earlier versions are never edited.

ALTER TABLE sessions DROP CONSTRAINT sessions_client_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_client_check
    CHECK (client IN ('claude-code', 'codex', 'copilot', 'gemini', 'opencode'));
