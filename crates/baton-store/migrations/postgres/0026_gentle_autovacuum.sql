-- Baton schema, version 26: autovacuum passes over the tables that grow and churn with every
-- poll at a gentler pace. With PostgreSQL's default (a 2 ms pause per 200 cost units) its
-- once-a-minute pass over these tables runs flat out for several seconds, and by the time
-- they hold a few hundred thousand rows (1,000 busy agents, eight minutes) that pass takes a
-- core from the backends holding the store's write lock: the other writers queue behind it
-- and polls come late (docs/performance.md, 2026-11-27). A 10 ms pause spreads the same work
-- over a longer pass. `agents` and the one-row heads stay at the server's pace: they are small
-- and rewritten all the time, and their vacuums cost nothing.
-- The server's own settings still apply to every other table (docs/team.md).
-- Forward-only: earlier versions are never edited.

ALTER TABLE tasks SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE task_history SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE events SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE event_minutes SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE agent_history SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE agent_days SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE findings SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE escalations SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE changes SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE api_minutes SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE api_costs SET (autovacuum_vacuum_cost_delay = 10);
ALTER TABLE usage_samples SET (autovacuum_vacuum_cost_delay = 10);
