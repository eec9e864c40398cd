// @vitest-environment node
import { describe, expect, it } from "vitest";

import { createLatest, type Outcome } from "./latest";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("createLatest", () => {
  it("runs one request at a time and sends only the latest of the asks made meanwhile", async () => {
    const sent: number[] = [];
    const waits = new Map<number, ReturnType<typeof deferred<string>>>();
    const got: [Outcome<number, string>, boolean][] = [];
    const latest = createLatest(
      (n: number) => {
        sent.push(n);
        const d = deferred<string>();
        waits.set(n, d);
        return d.promise;
      },
      (o, superseded) => got.push([o, superseded]),
    );
    latest.request(1);
    for (let i = 2; i <= 50; i += 1) latest.request(i);
    expect(sent).toEqual([1]);
    expect(latest.busy()).toBe(true);
    waits.get(1)!.resolve("one");
    await tick();
    // The first answer comes (marked superseded), and only the 50th ask is sent next.
    expect(sent).toEqual([1, 50]);
    expect(got).toEqual([[{ input: 1, ok: true, value: "one" }, true]]);
    waits.get(50)!.resolve("fifty");
    await tick();
    expect(got[1]).toEqual([{ input: 50, ok: true, value: "fifty" }, false]);
    expect(latest.busy()).toBe(false);
  });

  it("delivers errors, and nothing after close", async () => {
    const got: Outcome<number, string>[] = [];
    const d = deferred<string>();
    const latest = createLatest(
      (n: number) => (n === 1 ? Promise.reject(new Error("boom")) : d.promise),
      (o) => got.push(o),
    );
    latest.request(1);
    await tick();
    expect(got[0]).toMatchObject({ input: 1, ok: false });
    latest.request(2);
    latest.close();
    d.resolve("late");
    await tick();
    expect(got).toHaveLength(1);
    latest.request(3);
    expect(latest.busy()).toBe(false);
  });
});
