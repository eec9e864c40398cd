// Answers of the real engine, recorded by `baton preview --record src/test/recorded` (`make
// recordings`): the demo fleet (with a week of usage and three coding sessions in two worktrees of one repository) and the
// rate-limit-pressure scenario. Tests replay them instead of making data up; a Rust test
// (crates/baton-cli/tests/cli/preview.rs) checks that every file still reads as its command's
// answer type. Never edit the files by hand: record them again.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { ErrorPayload } from "../bindings/ErrorPayload";
import type { InvokeArgs } from "../lib/backend";
import type { Handler } from "./transport";

/** One recorded call: its arguments, and its answer or its error; `after`: the change it followed. */
export interface RecordedCall {
  args: InvokeArgs;
  answer?: unknown;
  error?: ErrorPayload;
  after?: { command: string; args: InvokeArgs };
}

function read(file: string): unknown {
  // Vitest runs in ui/ (npm --prefix ui test).
  return JSON.parse(readFileSync(join(process.cwd(), "src/test/recorded", file), "utf8"));
}

const cache = new Map<string, RecordedCall[]>();

/** Every recorded call of `command`, in the order made. */
export function recordedCalls(command: string): RecordedCall[] {
  let calls = cache.get(command);
  if (!calls) {
    calls = read(`${command}.json`) as RecordedCall[];
    cache.set(command, calls);
  }
  return calls;
}

/** When the answers were recorded (ms): tests that judge "now" set the clock to it. */
export const RECORDED_AT = Date.parse((read("recorded.json") as { recorded_at: string }).recorded_at);

/** The same JSON whatever the order of an object's keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

const same = (a: unknown, b: unknown) => canonical(a ?? {}) === canonical(b ?? {});

/** The recorded answer of `command` with `args` (before any change). Throws when none was recorded. */
export function recorded<T>(command: string, args: InvokeArgs = {}): T {
  const call = recordedCalls(command).find((c) => !c.after && same(c.args, args));
  if (!call || !("answer" in call)) throw new Error(`no answer of ${command} ${canonical(args)} was recorded`);
  return call.answer as T;
}

/**
 * Handlers that answer `commands` as the engine did: the call with the same arguments; after a
 * change that was recorded too (say set_quota), the answers recorded after it. A call that was
 * not recorded fails with `not_recorded`.
 */
export function replay(commands: readonly string[]): Record<string, Handler> {
  let lastChange: { command: string; args: InvokeArgs } | null = null;
  const changes = new Set(["set_quota", "remove_quota"]);
  const handlers: Record<string, Handler> = {};
  for (const command of commands) {
    handlers[command] = (args) => {
      const calls = recordedCalls(command).filter((c) => same(c.args, args));
      const call =
        calls.find((c) => c.after && lastChange && c.after.command === lastChange.command && same(c.after.args, lastChange.args)) ??
        calls.find((c) => !c.after);
      if (!call) throw { code: "not_recorded", message: `no answer of ${command} ${canonical(args)} was recorded`, field: null };
      if (changes.has(command)) lastChange = { command, args };
      if (call.error) throw call.error;
      return structuredClone(call.answer);
    };
  }
  return handlers;
}

/** Every command with recorded answers. */
export const RECORDED_COMMANDS = [
  "list_agents",
  "list_tasks",
  "rate_limits",
  "usage_series",
  "usage_heatmap",
  "escalations",
  "parallel_edit",
  "ownership_map",
  "readiness",
  "agent_costs",
  "prices",
  "scenarios",
  "secrets_status",
  "test_connection",
  "set_quota",
  "remove_quota",
] as const;
