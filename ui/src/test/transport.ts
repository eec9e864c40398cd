// A scriptable transport for tests: answers commands from a handler table, records every call,
// and lets the test emit change events (and the shell's other events).

import type { ChangeEvent } from "../bindings/ChangeEvent";
import { CHANGE_EVENT, OPEN_ESCALATION_EVENT, onChange, type InvokeArgs, type Transport } from "../lib/backend";
import type { ChangeListener } from "../lib/useBatonData";

export type Handler = (args: InvokeArgs) => unknown;

/** The events a test may listen to and emit. */
const KNOWN_EVENTS = [CHANGE_EVENT, OPEN_ESCALATION_EVENT];

export interface TestTransport extends Transport {
  calls: { command: string; args: InvokeArgs | undefined }[];
  handlers: Record<string, Handler>;
  /** Emits a change event (CHANGE_EVENT). */
  emit(e: ChangeEvent): void;
  /** Emits any other event the shell sends, e.g. OPEN_ESCALATION_EVENT. */
  emitEvent(event: string, payload: unknown): void;
  /** How many listen to change events. */
  listenerCount(event?: string): number;
}

export function createTestTransport(handlers: Record<string, Handler> = {}): TestTransport {
  const listeners = new Map<string, Set<(p: unknown) => void>>(KNOWN_EVENTS.map((e) => [e, new Set()]));
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
      const set = listeners.get(event);
      if (!set) throw new Error(`unexpected event ${event}`);
      const l = (p: unknown) => handler(p as T);
      set.add(l);
      return () => {
        set.delete(l);
      };
    },
    emit(e) {
      t.emitEvent(CHANGE_EVENT, e);
    },
    emitEvent(event, payload) {
      for (const l of listeners.get(event) ?? []) l(payload);
    },
    listenerCount: (event = CHANGE_EVENT) => listeners.get(event)?.size ?? 0,
  };
  return t;
}

/** A `subscribe` fed by the transport's change events, as the app's would be. */
export function transportSubscribe(listener: ChangeListener): () => void {
  let off: (() => void) | null = null;
  let gone = false;
  void onChange(listener).then((unlisten) => {
    if (gone) unlisten();
    else off = unlisten;
  });
  return () => {
    gone = true;
    off?.();
  };
}
