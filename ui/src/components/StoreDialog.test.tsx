import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { ChangeEvent } from "../bindings/ChangeEvent";
import { setTransport } from "../lib/backend";
import type { ChangeListener } from "../lib/useBatonData";
import { presence, storeOverview } from "../test/fixtures";
import { createTestTransport } from "../test/transport";
import { useStoreAway } from "../lib/useStoreAway";
import { StoreBanner } from "./StoreBanner";
import { StoreDialog } from "./StoreDialog";

const sqlite = storeOverview();

describe("StoreDialog", () => {
  it("says where the app stands and switches it to watching from the next start", async () => {
    const viewer = presence();
    const t = createTestTransport({
      set_watching: (args) => ({ ...viewer, watching_saved: (args as { watching: boolean | null }).watching }),
    });
    setTransport(t);
    const seen: unknown[] = [];
    render(<StoreDialog overview={sqlite} presence={viewer} onPresence={(p) => seen.push(p)} onClose={() => {}} />);
    expect(screen.getByTestId("presence-facts")).toHaveTextContent("ana on laptop-a");
    expect(screen.getByTestId("presence-does")).toHaveTextContent("Views only");
    expect(screen.getByTestId("presence-does")).toHaveTextContent("chosen for this data folder");
    // An app that only views runs no OTLP receiver.
    expect(screen.getByTestId("presence-otlp")).toHaveTextContent("no receiver in this app");
    expect(screen.getByTestId("watchers")).toHaveTextContent("build-box · live · heartbeat 800 ms ago · polls Researcher, Writer + the detectors");
    await userEvent.click(screen.getByTestId("watching-toggle"));
    expect(await screen.findByTestId("watching-chosen")).toHaveTextContent("From its next start this app watches the agents");
    // Back to the default (on): the saved choice goes.
    expect(t.calls.find((c) => c.command === "set_watching")?.args).toEqual({ watching: null });
    expect(seen).toHaveLength(1);
  });

  it("says where a watching app takes OpenTelemetry", () => {
    const watching = presence({ watching: true, otlp_listen: "127.0.0.1:4318" });
    render(<StoreDialog overview={sqlite} presence={watching} onPresence={() => {}} onClose={() => {}} />);
    expect(screen.getByTestId("presence-otlp")).toHaveTextContent("takes OTLP/HTTP on http://127.0.0.1:4318");
  });

  it("shows where the store is and connects to the one typed, its password apart", async () => {
    const t = createTestTransport({
      choose_store: () => ({ ...sqlite, engine: "postgres", location: "postgres://ana@db/baton", schema_version: 13 }),
    });
    setTransport(t);
    render(<StoreDialog overview={sqlite} onClose={() => {}} />);
    expect(screen.getByTestId("store-facts")).toHaveTextContent("SQLite, schema 13");
    expect(screen.getByTestId("store-facts")).toHaveTextContent("3 MiB (of 2 GiB), 12,000 events");
    // No machine's hooks measured their link yet: no line for them.
    expect(screen.queryByTestId("store-machines")).toBeNull();

    // A password in the URL is refused before anything is sent.
    await userEvent.type(screen.getByTestId("store-location"), "postgres://ana:s3cret@db/baton");
    await userEvent.click(screen.getByTestId("store-use"));
    expect(await screen.findByRole("alert")).toHaveTextContent("password field");
    expect(t.calls.some((c) => c.command === "choose_store")).toBe(false);

    await userEvent.clear(screen.getByTestId("store-location"));
    await userEvent.type(screen.getByTestId("store-location"), "postgres://ana@db/baton");
    await userEvent.type(screen.getByTestId("store-password"), "s3cret");
    await userEvent.click(screen.getByTestId("store-use"));
    expect(await screen.findByTestId("store-chosen")).toHaveTextContent("Connected: PostgreSQL, schema 13");
    expect(screen.getByTestId("store-chosen")).toHaveTextContent("restart Baton to switch");
    expect(t.calls.find((c) => c.command === "choose_store")?.args).toEqual({
      url: "postgres://ana@db/baton",
      password: "s3cret",
    });
  });

  it("says why the backend refused the store, on the field", async () => {
    setTransport(
      createTestTransport({
        choose_store: () => {
          throw { code: "store_unreachable", message: "db:5432 does not answer: connection refused", field: "store" };
        },
      }),
    );
    render(<StoreDialog overview={{ ...sqlite, saved_choice: true, chosen_by: "chosen for this data folder" }} onClose={() => {}} />);
    await userEvent.type(screen.getByTestId("store-location"), "/srv/baton.sqlite3");
    await userEvent.click(screen.getByTestId("store-use"));
    expect(await screen.findByRole("alert")).toHaveTextContent("connection refused");
    expect(screen.queryByTestId("store-password")).toBeNull();
    expect(screen.getByTestId("store-default")).toBeInTheDocument();
  });
});

describe("the store's banner", () => {
  it("shows while the store does not answer, goes when it does, and then reloads", () => {
    const listeners = new Set<ChangeListener>();
    const subscribe = (l: ChangeListener) => {
      listeners.add(l);
      return () => listeners.delete(l);
    };
    const send = (e: ChangeEvent) => act(() => listeners.forEach((l) => l(e)));
    let reloads = 0;
    function Shell() {
      const away = useStoreAway(subscribe, () => (reloads += 1));
      return away ? <StoreBanner away={away} /> : null;
    }
    render(<Shell />);
    expect(screen.queryByTestId("store-unreachable")).toBeNull();
    send({ type: "store", unreachable_since: new Date().toISOString(), detail: "connection refused" });
    expect(screen.getByTestId("store-unreachable")).toHaveTextContent("has not answered since");
    expect(screen.getByTestId("store-unreachable")).toHaveTextContent("connection refused");
    send({ type: "agents_changed" });
    expect(screen.getByTestId("store-unreachable")).toBeInTheDocument();
    expect(reloads).toBe(0);
    send({ type: "store", unreachable_since: null, detail: null });
    expect(screen.queryByTestId("store-unreachable")).toBeNull();
    expect(reloads).toBe(1);
  });
});

describe("StoreDialog's machines", () => {
  it("lists each machine's time for a hook call and its calls unchecked today", () => {
    setTransport(createTestTransport({}));
    const shared = storeOverview({
      engine: "postgres",
      machines: [
        { host: "laptop-a", call_ms: 31, measured_at: "2026-11-28T14:00:00Z", unchecked_today: 0 },
        { host: "devbox-b", call_ms: 412, measured_at: "2026-11-28T14:01:00Z", unchecked_today: 3 },
      ],
    });
    render(<StoreDialog overview={shared} onClose={() => {}} />);
    const lines = screen.getByTestId("store-machines").querySelectorAll("li");
    expect([...lines].map((li) => li.textContent)).toEqual([
      "laptop-a: a hook call takes 31 ms · none unchecked today",
      "devbox-b: a hook call takes 412 ms · 3 unchecked today, recorded late",
    ]);
  });
});
