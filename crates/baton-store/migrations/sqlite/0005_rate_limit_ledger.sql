-- The rate-limit ledger.

-- Each agent's use of each API (and key: '' for none) per minute (`minute`: seconds since the
-- epoch, a multiple of 60). Counted from `api_call` events (ev_*) and from usage reports spread
-- over the minutes of their window (rp_*); an agent that reports the same calls both ways is
-- counted once: the larger of the two.
CREATE TABLE api_minutes (
    api           TEXT    NOT NULL CHECK (length(api) > 0),
    key           TEXT    NOT NULL DEFAULT '',
    minute        INTEGER NOT NULL CHECK (minute % 60 = 0),
    agent_id      INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    ev_requests   INTEGER NOT NULL DEFAULT 0 CHECK (ev_requests >= 0),
    ev_tokens     INTEGER NOT NULL DEFAULT 0 CHECK (ev_tokens >= 0),
    ev_429        INTEGER NOT NULL DEFAULT 0 CHECK (ev_429 >= 0),
    rp_requests   INTEGER NOT NULL DEFAULT 0 CHECK (rp_requests >= 0),
    rp_tokens     INTEGER NOT NULL DEFAULT 0 CHECK (rp_tokens >= 0),
    rp_429        INTEGER NOT NULL DEFAULT 0 CHECK (rp_429 >= 0),
    -- the agent's first api_call event (and first 429) in the minute: evidence
    first_seq     INTEGER,
    first_429_seq INTEGER,
    PRIMARY KEY (api, key, minute, agent_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX api_minutes_by_agent ON api_minutes (agent_id);

-- The last limit / remaining / reset the providers' headers reported, per API, key, metric and
-- policy ('' for none).
CREATE TABLE api_limits (
    api            TEXT    NOT NULL CHECK (length(api) > 0),
    key            TEXT    NOT NULL DEFAULT '',
    metric         TEXT    NOT NULL CHECK (metric IN ('requests', 'tokens', 'input_tokens', 'output_tokens')),
    policy         TEXT    NOT NULL DEFAULT '',
    family         TEXT    NOT NULL,
    limit_value    INTEGER CHECK (limit_value >= 0),
    remaining      INTEGER CHECK (remaining >= 0),
    reset_at       TEXT,
    window_seconds INTEGER NOT NULL CHECK (window_seconds > 0),
    agent_id       INTEGER REFERENCES agents (id) ON DELETE SET NULL,
    seen_at        TEXT    NOT NULL,
    PRIMARY KEY (api, key, metric, policy)
) STRICT, WITHOUT ROWID;

-- Quotas set by the user; they win over the headers for the same API, key and metric.
CREATE TABLE api_quotas (
    api            TEXT    NOT NULL CHECK (length(api) > 0),
    key            TEXT    NOT NULL DEFAULT '',
    metric         TEXT    NOT NULL CHECK (metric IN ('requests', 'tokens', 'input_tokens', 'output_tokens')),
    limit_value    INTEGER NOT NULL CHECK (limit_value > 0),
    window_seconds INTEGER NOT NULL CHECK (window_seconds > 0),
    updated_at     TEXT    NOT NULL,
    PRIMARY KEY (api, key, metric)
) STRICT, WITHOUT ROWID;

-- When an API's use is pressure (defaults: 80 % of a limit, a forecast within 30 minutes).
CREATE TABLE api_settings (
    api              TEXT    PRIMARY KEY CHECK (length(api) > 0),
    pressure_percent INTEGER NOT NULL CHECK (pressure_percent BETWEEN 1 AND 100),
    horizon_minutes  INTEGER NOT NULL CHECK (horizon_minutes BETWEEN 1 AND 1440),
    updated_at       TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

-- Rate-limit headers that could not be used, counted per API, header and reason.
CREATE TABLE header_issues (
    api        TEXT    NOT NULL,
    header     TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    count      INTEGER NOT NULL CHECK (count > 0),
    last_value TEXT    NOT NULL,
    last_seen  TEXT    NOT NULL,
    PRIMARY KEY (api, header, reason)
) STRICT, WITHOUT ROWID;

-- The budget split a human decided for an API: each agent's share of its quotas.
CREATE TABLE api_budgets (
    api         TEXT    NOT NULL,
    key         TEXT    NOT NULL DEFAULT '',
    agent_id    INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    percent     INTEGER NOT NULL CHECK (percent BETWEEN 0 AND 100),
    decision_id INTEGER NOT NULL REFERENCES decisions (seq),
    decided_at  TEXT    NOT NULL,
    PRIMARY KEY (api, key, agent_id)
) STRICT, WITHOUT ROWID;

-- What was stored before the ledger existed counts in it: `api_call` events by minute, and usage
-- reports of up to a day spread evenly over their minutes (the remainder to the first ones).
-- The limits come with the next call's headers.
INSERT INTO api_minutes (api, key, minute, agent_id, ev_requests, ev_tokens, ev_429, first_seq,
                         first_429_seq)
SELECT json_extract(raw, '$.api'),
       coalesce(json_extract(raw, '$.key'), ''),
       CAST(strftime('%s', at) AS INTEGER) / 60 * 60,
       agent_id,
       count(*),
       sum(min(max(coalesce(json_extract(raw, '$.tokens'), 0), 0), 1000000000)),
       sum(coalesce(json_extract(raw, '$.status'), 0) = 429),
       min(seq),
       min(CASE WHEN json_extract(raw, '$.status') = 429 THEN seq END)
  FROM events
 WHERE kind = 'api_call' AND length(json_extract(raw, '$.api')) > 0
       AND strftime('%s', at) IS NOT NULL
 GROUP BY 1, 2, 3, 4;

WITH RECURSIVE
  report (agent_id, api, key, first, n, requests, tokens, rate_limited) AS (
    SELECT agent_id, api, key, CAST(strftime('%s', window_start) AS INTEGER) / 60 * 60,
           (window_seconds + 59) / 60, requests, tokens, rate_limited
      FROM usage_samples
     WHERE window_seconds <= 86400 AND strftime('%s', window_start) IS NOT NULL
  ),
  spread (agent_id, api, key, first, n, i, requests, tokens, rate_limited) AS (
    SELECT agent_id, api, key, first, n, 0, requests, tokens, rate_limited FROM report
    UNION ALL
    SELECT agent_id, api, key, first, n, i + 1, requests, tokens, rate_limited
      FROM spread WHERE i + 1 < n
  )
INSERT INTO api_minutes (api, key, minute, agent_id, rp_requests, rp_tokens, rp_429)
SELECT api, key, first + 60 * i, agent_id,
       sum(requests / n + (i < requests % n)),
       sum(tokens / n + (i < tokens % n)),
       sum(rate_limited / n + (i < rate_limited % n))
  FROM spread
 GROUP BY 1, 2, 3, 4
 ON CONFLICT (api, key, minute, agent_id) DO UPDATE SET
    rp_requests = excluded.rp_requests, rp_tokens = excluded.rp_tokens,
    rp_429 = excluded.rp_429;
