// The app's live data: agents, board, secrets status. Loaded once, then kept current from
// change events only (no polling). Refetches happen on agents_changed, after the user's own
// actions, and (throttled) on ingested for the agents' task counts and remote info.

import { useCallback, useEffect, useReducer, useRef, useState } from "react";

import type { AgentRow } from "../bindings/AgentRow";
import type { ChangeEvent } from "../bindings/ChangeEvent";
import type { SecretsStatus } from "../bindings/SecretsStatus";
import { mergeAgentRows, patchHealth, patchHealths } from "./agents";
import { listAgents, listTasks, onChange, secretsStatus, toBackendError } from "./backend";
import { boardReducer, emptyBoard, type BoardState } from "./board";

/** Minimum gap between list_agents refetches caused by ingested events. */
export const AGENTS_REFRESH_THROTTLE_MS = 1_000;

export type ChangeListener = (e: ChangeEvent) => void;

export interface BatonData {
  /** null until the first load finishes. */
  agents: AgentRow[] | null;
  board: BoardState;
  secrets: SecretsStatus | null;
  /** Why the first load (or the event subscription) failed. */
  loadError: string | null;
  refreshAgents(): Promise<void>;
  refreshTasks(): Promise<void>;
  /** After a failed load: clear the error and load everything again. */
  retry(): Promise<void>;
  /** Listen to change events after the app has applied them (e.g. the task drawer). */
  subscribe(listener: ChangeListener): () => void;
}

/**
 * A stable function that runs `task`; a call while one run is in flight schedules exactly one
 * more run after it (so a burst of change events costs at most two fetches).
 */
function useCoalesced(task: () => Promise<void>): () => Promise<void> {
  const state = useRef<{ running: Promise<void> | null; again: boolean }>({ running: null, again: false });
  const latest = useRef(task);
  useEffect(() => {
    latest.current = task;
  });
  return useCallback(() => {
    const s = state.current;
    if (s.running) {
      s.again = true;
      return s.running;
    }
    s.running = (async () => {
      try {
        do {
          s.again = false;
          await latest.current();
        } while (s.again);
      } finally {
        s.running = null;
      }
    })();
    return s.running;
  }, []);
}

export function useBatonData(): BatonData {
  const [agents, setAgents] = useState<AgentRow[] | null>(null);
  const [board, dispatch] = useReducer(boardReducer, emptyBoard);
  const [secrets, setSecrets] = useState<SecretsStatus | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const listeners = useRef(new Set<ChangeListener>());
  const alive = useRef(true);
  /** Ingested events that arrive while list_tasks is in flight, replayed after its answer. */
  const taskReplay = useRef<ChangeEvent[] | null>(null);
  const throttle = useRef<number | null>(null);
  const agentsRef = useRef<AgentRow[] | null>(null);
  useEffect(() => {
    agentsRef.current = agents;
  }, [agents]);

  const refreshAgents = useCoalesced(async () => {
    try {
      const rows = await listAgents();
      if (alive.current) setAgents((current) => mergeAgentRows(rows, current));
    } catch (err) {
      if (alive.current) setLoadError(toBackendError(err).message);
    }
  });

  const refreshTasks = useCoalesced(async () => {
    taskReplay.current = [];
    try {
      const cards = await listTasks(null);
      if (!alive.current) return;
      dispatch({ type: "load", cards });
      for (const event of taskReplay.current ?? []) dispatch({ type: "change", event });
    } catch (err) {
      if (alive.current) setLoadError(toBackendError(err).message);
    } finally {
      taskReplay.current = null;
    }
  });

  const subscribe = useCallback((listener: ChangeListener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);

  useEffect(() => {
    alive.current = true;
    let active = true;
    let unlisten: (() => void) | null = null;
    let buffer: ChangeEvent[] | null = [];

    const scheduleAgentsRefresh = () => {
      if (throttle.current !== null) return;
      throttle.current = window.setTimeout(() => {
        throttle.current = null;
        void refreshAgents();
      }, AGENTS_REFRESH_THROTTLE_MS);
    };

    const apply = (e: ChangeEvent) => {
      switch (e.type) {
        case "ingested":
          dispatch({ type: "change", event: e });
          taskReplay.current?.push(e);
          scheduleAgentsRefresh();
          break;
        case "health": {
          const known = agentsRef.current?.some((r) => r.config.id === e.agent_id) ?? false;
          if (known) {
            setAgents((rows) => (rows ? (patchHealth(rows, e.agent_id, e.health) ?? rows) : rows));
          } else {
            void refreshAgents();
          }
          break;
        }
        case "healths": {
          // The quiet polls' flush: every agent in it should be listed already.
          const known = agentsRef.current !== null && patchHealths(agentsRef.current, e.healths) !== null;
          if (known) {
            setAgents((rows) => (rows ? (patchHealths(rows, e.healths) ?? rows) : rows));
          } else {
            void refreshAgents();
          }
          break;
        }
        case "agents_changed":
          void refreshAgents();
          void refreshTasks();
          break;
        case "sessions_heard":
          // Their cards came as "ingested"; their rows (prompt, last tool, leases) follow.
          scheduleAgentsRefresh();
          break;
      }
      for (const listener of listeners.current) listener(e);
    };

    const handle = (e: ChangeEvent) => {
      if (!active) return;
      if (buffer) buffer.push(e);
      else apply(e);
    };

    void (async () => {
      // Subscribe first, then load: events that arrive meanwhile are buffered and replayed on
      // top of the loaded state (the board ignores cards older than the ones it holds).
      try {
        const off = await onChange(handle);
        if (!active) {
          off();
          return;
        }
        unlisten = off;
      } catch (err) {
        if (!active) return;
        setLoadError(`Live updates are off: ${toBackendError(err).message}`);
      }
      try {
        const [rows, cards, status] = await Promise.all([
          listAgents(),
          listTasks(null),
          secretsStatus().catch(() => null),
        ]);
        if (!active) return;
        agentsRef.current = rows;
        setAgents(rows);
        dispatch({ type: "load", cards });
        setSecrets(status);
      } catch (err) {
        if (!active) return;
        setLoadError(toBackendError(err).message);
      }
      const pending = buffer ?? [];
      buffer = null;
      pending.forEach(apply);
    })();

    return () => {
      active = false;
      alive.current = false;
      unlisten?.();
      if (throttle.current !== null) {
        window.clearTimeout(throttle.current);
        throttle.current = null;
      }
    };
  }, [refreshAgents, refreshTasks]);

  const retry = useCallback(async () => {
    setLoadError(null);
    await Promise.all([
      refreshAgents(),
      refreshTasks(),
      secretsStatus().then(
        (status) => alive.current && setSecrets(status),
        () => {},
      ),
    ]);
  }, [refreshAgents, refreshTasks]);

  return { agents, board, secrets, loadError, refreshAgents, refreshTasks, retry, subscribe };
}
