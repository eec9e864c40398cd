// A scriptable transport for tests: answers commands from a handler table, records every call,
// and lets the test emit change events.

import type { ChangeEvent } from "../bindings/ChangeEvent";
import { CHANGE_EVENT, type InvokeArgs, type Transport } from "../lib/backend";

export type Handler = (args: InvokeArgs) => unknown;

export interface TestTransport extends Transport {
  calls: { command: string; args: InvokeArgs | undefined }[];
  handlers: Record<string, Handler>;
  emit(e: ChangeEvent): void;
  listenerCount(): number;
}

export function createTestTransport(handlers: Record<string, Handler> = {}): TestTransport {
  const listeners = new Set<(p: unknown) => void>();
  const t: TestTransport = {
    calls: [],
    handlers,
    async invoke<T>(command: string, args?: InvokeArgs): Promise<T> {
      t.calls.push({ command, args });
      const h = t.handlers[command];
      if (!h) throw { code: "unknown_command", message: `no handler for ${command}`, field: null };
      return (await h(args ?? {})) as T;
    },
    async listen<T>(event: string, handler: (payload: T) => void) {
      if (event !== CHANGE_EVENT) throw new Error(`unexpected event ${event}`);
      const l = (p: unknown) => handler(p as T);
      listeners.add(l);
      return () => {
        listeners.delete(l);
      };
    },
    emit(e) {
      for (const l of listeners) l(e);
    },
    listenerCount: () => listeners.size,
  };
  return t;
}
