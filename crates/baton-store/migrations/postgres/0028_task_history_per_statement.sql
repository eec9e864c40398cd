-- Baton schema, version 28: a task's history is recorded once per statement, not once per row.
-- A poll writes a group's tasks in one INSERT … ON CONFLICT; with a row trigger each task cost a
-- call of the trigger function and a one-row insert into task_history (44 of the 120 µs a task
-- upsert took on the server at 1,000 busy agents, docs/performance.md 2026-11-27). Statement
-- triggers with transition tables record the same rows in one INSERT … SELECT per statement.
-- What is recorded does not change: every inserted task, and every updated task whose title,
-- state, state_since, depends_on, detail, detail_text or updated_at changed (as the row trigger's
-- WHEN did).
-- SQLite keeps its row trigger (it has no transition tables; its migration of this number is
-- empty).
-- Forward-only: earlier versions are never edited.

DROP TRIGGER task_history_insert ON tasks;
DROP TRIGGER task_history_update ON tasks;
DROP FUNCTION task_history_record();

CREATE FUNCTION task_history_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_history (agent_id, task_id, recorded_at, title, state, state_since,
                              depends_on, detail, detail_text)
    SELECT agent_id, task_id, updated_at, title, state, state_since, depends_on, detail,
           detail_text
    FROM tasks_inserted;
    RETURN NULL;
END $$;

CREATE FUNCTION task_history_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_history (agent_id, task_id, recorded_at, title, state, state_since,
                              depends_on, detail, detail_text)
    SELECT n.agent_id, n.task_id, n.updated_at, n.title, n.state, n.state_since, n.depends_on,
           n.detail, n.detail_text
    FROM tasks_after n
    JOIN tasks_before o ON o.agent_id = n.agent_id AND o.task_id = n.task_id
    WHERE (o.title, o.state, o.state_since, o.depends_on, o.detail, o.detail_text, o.updated_at)
          IS DISTINCT FROM
          (n.title, n.state, n.state_since, n.depends_on, n.detail, n.detail_text, n.updated_at);
    RETURN NULL;
END $$;

CREATE TRIGGER task_history_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS tasks_inserted
    FOR EACH STATEMENT EXECUTE FUNCTION task_history_inserted();
CREATE TRIGGER task_history_update AFTER UPDATE ON tasks
    REFERENCING OLD TABLE AS tasks_before NEW TABLE AS tasks_after
    FOR EACH STATEMENT EXECUTE FUNCTION task_history_updated();
