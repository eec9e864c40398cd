// Asking the backend for something that keeps changing (the scrubber's moment, the lanes on
// screen): at most one request in flight; asks made meanwhile replace each other, and only the
// latest is sent when the running one ends. Never a queue of every drag step.

export type Outcome<I, O> = { input: I; ok: true; value: O } | { input: I; ok: false; error: unknown };

export interface Latest<I> {
  /** Asks for `input`: now if idle, else after the running request (replacing any earlier ask). */
  request(input: I): void;
  /** Stops: nothing more is sent or delivered. */
  close(): void;
  /** True while a request runs. */
  busy(): boolean;
}

/**
 * `deliver` gets each answer as it comes (an older answer is never delivered after a newer one,
 * since one runs at a time); `superseded` tells it whether a newer ask is already waiting.
 */
export function createLatest<I, O>(
  load: (input: I) => Promise<O>,
  deliver: (outcome: Outcome<I, O>, superseded: boolean) => void,
): Latest<I> {
  let running = false;
  let closed = false;
  let pending: { input: I } | null = null;

  const start = (input: I) => {
    running = true;
    const settle = (outcome: Outcome<I, O>) => {
      running = false;
      if (closed) return;
      const next = pending;
      pending = null;
      deliver(outcome, next !== null);
      if (next && !closed) start(next.input);
    };
    let promise: Promise<O>;
    try {
      promise = load(input);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => settle({ input, ok: true, value }),
      (error: unknown) => settle({ input, ok: false, error }),
    );
  };

  return {
    request(input) {
      if (closed) return;
      if (running) pending = { input };
      else start(input);
    },
    close() {
      closed = true;
      pending = null;
    },
    busy: () => running,
  };
}
