// Per-agent detector windows in the in-memory fake backend (browser preview only): the same
// commands, shapes and errors as the shell's detect_windows / set_detect_windows.

import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { WindowOverrides } from "../bindings/WindowOverrides";
import type { InvokeArgs } from "./backend";
import { checkWindows, isWindowField, normalizeWindows } from "./detectWindows";

/** Seeded so the preview shows an agent with overrides (crm-sync: slow, bulk writes). */
const SEED: Record<string, WindowOverrides> = {
  "crm-sync": { stall_seconds: 45 * 60, time_budget_seconds: 6 * 60 * 60 },
};

export function createFakeWindows(agents: () => { id: number; name: string }[]) {
  const stored = new Map<number, WindowOverrides>();
  const seeded = new Set<number>();

  const agentOf = (args: InvokeArgs) => {
    const id = args.agentId as number;
    const agent = agents().find((a) => a.id === id);
    if (!agent) throw { code: "not_found", message: "no such agent", field: null } satisfies ErrorPayload;
    if (!seeded.has(id)) {
      seeded.add(id);
      const seed = SEED[agent.name];
      if (seed) stored.set(id, { ...seed });
    }
    return id;
  };

  return {
    detect_windows: (args: InvokeArgs): WindowOverrides => ({ ...(stored.get(agentOf(args)) ?? {}) }),
    set_detect_windows: (args: InvokeArgs): WindowOverrides => {
      const id = agentOf(args);
      const windows = (args.windows as WindowOverrides | null) ?? null;
      if (windows === null) {
        stored.delete(id);
        return {};
      }
      // Like serde's deny_unknown_fields: a typo must not quietly keep the default.
      const unknown = Object.keys(windows).find((k) => !isWindowField(k));
      if (unknown) throw { code: "invalid_windows", message: `unknown field \`${unknown}\``, field: null } satisfies ErrorPayload;
      const problem = checkWindows(windows);
      if (problem) throw { code: "invalid_windows", ...problem } satisfies ErrorPayload;
      const saved = normalizeWindows(windows);
      stored.set(id, saved);
      return { ...saved };
    },
  };
}
