import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { ChainCheck } from "../bindings/ChainCheck";
import type { DecisionEntry } from "../bindings/DecisionEntry";
import { setTransport } from "../lib/backend";
import { decision, health } from "../test/fixtures";
import { createTestTransport, transportSubscribe, type Handler, type TestTransport } from "../test/transport";
import { DecisionLogView } from "./DecisionLogView";

const declares = (d: Partial<Record<"triggers" | "reads" | "writes" | "outputs", string[]>>) => ({
  triggers: [],
  reads: [],
  writes: [],
  outputs: [],
  ...d,
});

const LOG: DecisionEntry[] = [
  decision(1, "rule.add", "rule:1", { before: null, after: { kind: "data", pattern: "crm://contacts/*#status", owner: "Writer" } }),
  decision(2, "declares.set", "agent:2", {
    agent: "Writer",
    before: null,
    after: declares({ writes: ["crm://a"], reads: ["crm://b"] }),
  }),
  decision(3, "approve", "escalation:7", { via: { kind: "ntfy", route: "phone" } }, {
    who: "bob",
    host: "devbox-b",
    reason: "looks right",
    place: "via ntfy",
  }),
];

function setup(handlers: Record<string, Handler>): TestTransport {
  const t = createTestTransport(handlers);
  setTransport(t);
  return t;
}

const rows = () => screen.queryAllByTestId("decision-row");
const seqs = () => rows().map((r) => Number(r.dataset.seq));
const count = (t: TestTransport, command: string) => t.calls.filter((c) => c.command === command).length;

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("DecisionLogView", () => {
  it("lists the entries newest first with their descriptions", async () => {
    const t = setup({
      decision_log: () => LOG,
      verify_decisions: (): ChainCheck => ({ status: "ok", entries: 3 }),
    });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(t.calls.find((c) => c.command === "decision_log")?.args).toEqual({ subjectPrefix: null });
    expect(screen.getByRole("heading", { name: "Decision log" })).toBeInTheDocument();
    expect(screen.getByTestId("decision-count")).toHaveTextContent("3 decisions");
    expect(seqs()).toEqual([3, 2, 1]);
    expect(rows().map((r) => [r.dataset.action, r.dataset.subject])).toEqual([
      ["approve", "escalation:7"],
      ["declares.set", "agent:2"],
      ["rule.add", "rule:1"],
    ]);
    const descriptions = rows().map((r) => within(r).getByTestId("decision-description").textContent);
    expect(descriptions).toEqual([
      "Approved escalation 7 — looks right",
      "Writer declares writes crm://a, reads crm://b",
      "data rule crm://contacts/*#status → Writer",
    ]);

    const newest = rows()[0]!;
    expect(newest).toHaveTextContent("bob");
    // Who, and from which machine; an entry from before Baton recorded machines names none.
    expect(within(newest).getByTestId("decision-host")).toHaveTextContent("on devbox-b");
    expect(within(newest).getByTitle("bob on devbox-b via ntfy")).toBeInTheDocument();
    expect(within(rows()[1]!).queryByTestId("decision-host")).toBeNull();
    // Where it was decided: an answer from the phone says its route's kind; others nothing.
    expect(within(newest).getByTestId("decision-place")).toHaveTextContent("via ntfy");
    expect(within(rows()[1]!).queryByTestId("decision-place")).toBeNull();
    expect(within(newest).getByTestId("decision-action")).toHaveClass("action-chip--approve");
    expect(within(rows()[1]!).getByTestId("decision-action")).toHaveClass("action-chip--declares");
    expect(within(rows()[2]!).getByTestId("decision-action")).toHaveClass("action-chip--rule");
    const hash = within(newest).getByTitle(LOG[2]!.hash);
    expect(hash).toHaveTextContent(/^00000003$/);
    expect(within(newest).getByTitle(LOG[2]!.at)).toBeInTheDocument();
  });

  it("shows the empty state", async () => {
    setup({ decision_log: () => [], verify_decisions: (): ChainCheck => ({ status: "ok", entries: 0 }) });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    expect(await screen.findByTestId("decision-empty")).toHaveTextContent(
      "No decisions yet. Rule changes, declarations and approvals appear here.",
    );
    expect(screen.getByTestId("decision-count")).toHaveTextContent("0 decisions");
  });

  it("narrows the list with the filter; / focuses it and Escape clears it", async () => {
    const user = userEvent.setup();
    setup({ decision_log: () => LOG, verify_decisions: (): ChainCheck => ({ status: "ok", entries: 3 }) });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    await waitFor(() => expect(rows()).toHaveLength(3));

    const filter = screen.getByTestId("decision-filter");
    await user.keyboard("/");
    expect(filter).toHaveFocus();
    expect(filter).toHaveValue("");

    await user.keyboard("WRITER");
    expect(seqs()).toEqual([2, 1]);
    expect(screen.getByTestId("decision-count")).toHaveTextContent("2 of 3 decisions");

    await user.clear(filter);
    await user.type(filter, "bob");
    expect(seqs()).toEqual([3]);

    await user.clear(filter);
    await user.type(filter, "devbox");
    expect(seqs()).toEqual([3]);

    await user.clear(filter);
    await user.type(filter, "nothing-like-this");
    expect(rows()).toHaveLength(0);
    expect(screen.getByTestId("decision-no-match")).toHaveTextContent("No decisions match “nothing-like-this”.");

    await user.keyboard("{Escape}");
    expect(filter).toHaveValue("");
    expect(seqs()).toEqual([3, 2, 1]);
  });

  it("verifies the chain on mount and on click: intact, then broken", async () => {
    const user = userEvent.setup();
    let answer = deferred<ChainCheck>();
    const t = setup({ decision_log: () => LOG, verify_decisions: () => answer.promise });
    render(<DecisionLogView subscribe={transportSubscribe} />);

    const status = screen.getByTestId("chain-status");
    expect(status).toHaveTextContent("Verifying…");
    expect(screen.getByTestId("verify-chain")).toBeDisabled();
    await act(async () => answer.resolve({ status: "ok", entries: 3 }));
    expect(status).toHaveTextContent("Chain intact · 3 entries");
    expect(status).toHaveClass("chain-status--ok");
    expect(status).not.toHaveAttribute("role", "alert");
    expect(count(t, "verify_decisions")).toBe(1);

    answer = deferred<ChainCheck>();
    await user.click(screen.getByTestId("verify-chain"));
    expect(screen.getByTestId("chain-status")).toHaveTextContent("Verifying…");
    await act(async () => answer.resolve({ status: "broken", seq: 2, reason: "hash does not match its content" }));
    const broken = screen.getByTestId("chain-status");
    expect(broken).toHaveTextContent("Chain broken at entry 2: hash does not match its content");
    expect(broken).toHaveClass("chain-status--broken");
    expect(broken).toHaveAttribute("role", "alert");
    expect(count(t, "verify_decisions")).toBe(2);
  });

  it("says when verification itself fails", async () => {
    setup({
      decision_log: () => LOG,
      verify_decisions: () => {
        throw { code: "store", message: "database is locked", field: null };
      },
    });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    await waitFor(() => expect(screen.getByTestId("chain-status")).toHaveTextContent("Could not verify the chain: database is locked"));
    expect(screen.getByTestId("chain-status")).toHaveAttribute("role", "alert");
    expect(screen.getByTestId("verify-chain")).toBeEnabled();
  });

  it("reloads on declarations_changed and agents_changed, not on other events", async () => {
    let log = LOG.slice(0, 2);
    const t = setup({ decision_log: () => log, verify_decisions: (): ChainCheck => ({ status: "ok", entries: 2 }) });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    await waitFor(() => expect(seqs()).toEqual([2, 1]));
    await waitFor(() => expect(t.listenerCount()).toBe(1));
    expect(count(t, "decision_log")).toBe(1);

    act(() => t.emit({ type: "ingested", agent_id: 1, tasks: [], new_events: 1, new_usage: 0, elsewhere: false }));
    act(() => t.emit({ type: "health", agent_id: 1, health: health() }));
    expect(count(t, "decision_log")).toBe(1);

    log = [
      ...LOG.slice(0, 2),
      decision(3, "declares.set", "agent:2", {
        agent: "Writer",
        before: declares({ writes: ["crm://a"], reads: ["crm://b"] }),
        after: declares({ reads: ["crm://b", "crm://a"] }),
      }),
    ];
    act(() => t.emit({ type: "declarations_changed", agent_id: 2 }));
    await waitFor(() => expect(seqs()).toEqual([3, 2, 1]));
    expect(within(rows()[0]!).getByTestId("decision-description")).toHaveTextContent(
      "Writer no longer writes crm://a; now reads crm://a",
    );

    log = [...log, decision(4, "declares.clear", "agent:2", { agent: "Writer", before: declares({}), after: null })];
    act(() => t.emit({ type: "agents_changed" }));
    await waitFor(() => expect(seqs()).toEqual([4, 3, 2, 1]));
    expect(within(rows()[0]!).getByTestId("decision-description")).toHaveTextContent(
      "Writer: back to the agent's own declaration",
    );
    expect(count(t, "decision_log")).toBe(3);
  });

  it("shows a load error with Retry", async () => {
    const user = userEvent.setup();
    let fail = true;
    setup({
      decision_log: () => {
        if (fail) throw { code: "store", message: "disk I/O error", field: null };
        return LOG;
      },
      verify_decisions: (): ChainCheck => ({ status: "ok", entries: 3 }),
    });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    const banner = await screen.findByTestId("decision-load-error");
    expect(banner).toHaveClass("banner", "banner--error");
    expect(banner).toHaveAttribute("role", "alert");
    expect(banner).toHaveTextContent("disk I/O error");
    expect(rows()).toHaveLength(0);

    fail = false;
    await user.click(within(banner).getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(rows()).toHaveLength(3));
    expect(screen.queryByTestId("decision-load-error")).not.toBeInTheDocument();
  });

  it("moves the selection with j/k and the arrow keys", async () => {
    const user = userEvent.setup();
    setup({ decision_log: () => LOG, verify_decisions: (): ChainCheck => ({ status: "ok", entries: 3 }) });
    render(<DecisionLogView subscribe={transportSubscribe} />);
    await waitFor(() => expect(rows()).toHaveLength(3));
    const list = screen.getByTestId("decision-list");
    const selectedSeq = () => rows().find((r) => r.getAttribute("aria-selected") === "true")?.dataset.seq;

    list.focus();
    expect(selectedSeq()).toBeUndefined();
    await user.keyboard("j");
    expect(selectedSeq()).toBe("3");
    expect(list).toHaveAttribute("aria-activedescendant", "decision-3");
    await user.keyboard("jj");
    expect(selectedSeq()).toBe("1");
    await user.keyboard("j");
    expect(selectedSeq()).toBe("1");
    await user.keyboard("k");
    expect(selectedSeq()).toBe("2");
    await user.keyboard("{ArrowUp}");
    expect(selectedSeq()).toBe("3");
    await user.keyboard("{End}");
    expect(selectedSeq()).toBe("1");
    await user.keyboard("{Escape}");
    expect(selectedSeq()).toBeUndefined();

    await user.click(rows()[1]!);
    expect(selectedSeq()).toBe("2");
    expect(list).toHaveFocus();
    // "/" from the list goes to the filter.
    await user.keyboard("/");
    expect(screen.getByTestId("decision-filter")).toHaveFocus();
  });
});
