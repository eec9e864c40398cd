import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";

import { App } from "../App";
import type { AgentRow } from "../bindings/AgentRow";
import { setTransport, tauriTransport, type Transport } from "../lib/backend";
import { ClockProvider } from "../lib/clock";
import { createFakeRateLimits } from "../lib/fakeRateLimits";
import { createFakeTransport } from "../lib/fakeTransport";
import { useRateLimits } from "../lib/useRateLimits";
import { agentRow } from "../test/fixtures";
import { createTestTransport, transportSubscribe, type Handler, type TestTransport } from "../test/transport";
import { RateLimitsView } from "./RateLimitsView";

afterEach(() => {
  setTransport(tauriTransport);
});

const AGENTS = [agentRow(1, "Writer"), agentRow(2, "Editor")];


function Harness({ agents }: { agents: AgentRow[] }) {
  const rateLimits = useRateLimits(transportSubscribe, true);
  return (
    <ClockProvider>
      <RateLimitsView rateLimits={rateLimits} agents={agents} />
    </ClockProvider>
  );
}

/** The fake backend's ledger for Writer (1) and Editor (2), behind a recording transport. */
function setup(extra: Record<string, Handler> = {}): TestTransport {
  const fake = createFakeRateLimits(() => AGENTS.map((a) => ({ id: a.config.id, name: a.config.name })));
  const t = createTestTransport({ ...fake.handlers, ...extra });
  setTransport(t);
  return t;
}

const item = (id: string) => screen.getByTestId(`api-item-${id}`);
const panel = () => screen.getByTestId("api-panel");
const count = (t: TestTransport, command: string) => t.calls.filter((c) => c.command === command).length;

describe("RateLimitsView", () => {
  it("lists the APIs with their shares, 429s and pressure, and shows the selected one's panel", async () => {
    setup();
    render(<Harness agents={AGENTS} />);
    await screen.findByTestId("api-item-openai");
    expect(screen.getByTestId("ratelimits-view")).toBeInTheDocument();
    expect(screen.getAllByRole("option").map((o) => o.dataset.testid)).toEqual([
      "api-item-openai",
      "api-item-github/ci-bot",
      "api-item-anthropic",
    ]);
    expect(item("openai")).toHaveAttribute("data-pressure", "true");
    expect(within(item("openai")).getByTestId("api-429")).toHaveTextContent("1 × 429 in the last hour");
    expect(within(item("anthropic")).getByText("no limit known")).toBeInTheDocument();
    expect(screen.getByTestId("ratelimits-count")).toHaveTextContent("3 APIs · 1 under pressure");

    // openai is under pressure: selected first.
    expect(item("openai")).toHaveAttribute("aria-selected", "true");
    expect(panel()).toHaveAttribute("data-api", "openai");
    expect(within(panel()).getByTestId("pressure-reasons")).toHaveTextContent(/Under pressure: combined use at \d+% of the limit/);

    const shares = screen.getByTestId("shares");
    expect(within(shares).getByTestId("quota-description")).toHaveTextContent("of 500 requests / min (from headers)");
    expect(within(shares).getAllByTestId("share-row").map((r) => r.dataset.agent)).toEqual(["Writer", "Editor"]);
    expect(within(shares).getAllByTestId("share-row")[0]).toHaveTextContent(/Writer\d+%\s*\d+ requests · 1 × 429/);
    expect(within(shares).getByTestId("combined-share")).toHaveTextContent(/Combined\d+% · pressure from 80%/);
    expect(within(shares).getByTestId("quota-remaining")).toHaveTextContent(/remaining · resets/);

    const forecasts = within(screen.getByTestId("forecast")).getAllByTestId("forecast-item");
    expect(forecasts.map((f) => f.dataset.metric)).toEqual(["requests", "tokens"]);
    expect(within(forecasts[0]!).getByTestId("forecast-text").textContent).toMatch(
      /^At this pace, combined use reaches 500 requests\/min at (tomorrow )?\d\d:\d\d \(in \d+ min\)\. In that window: Writer \d+%, Editor \d+%\.$/,
    );
    expect(within(forecasts[0]!).getByTestId("forecast-basis")).toHaveTextContent("the usual use at this time of day");

    // The chart: an hour of minutes for two agents, the limit and the 429.
    const chart = await screen.findByTestId("usage-chart");
    await waitFor(() => expect(chart).toHaveAttribute("data-state", "ready"));
    expect(chart).toHaveAttribute("data-points", "120");
    expect(chart).toHaveAttribute("data-limit", "500");
    expect(chart).toHaveAttribute("data-rate-limited", "1");
    expect(screen.getAllByTestId("usage-legend-item").map((l) => l.textContent)).toHaveLength(2);

    // The heat map: one row per agent and the overlap row, highlighted where both are active.
    const heatmap = screen.getByTestId("heatmap");
    await waitFor(() => expect(within(heatmap).getAllByTestId("heatmap-row")).toHaveLength(2));
    const overlap = within(heatmap).getAllByTestId("heatmap-overlap-cell");
    expect(overlap).toHaveLength(96);
    expect(overlap[40]).toHaveAttribute("data-count", "2");
    expect(overlap[40]!.getAttribute("title")).toMatch(/10:00–10:15 UTC · 2 agents active: they collide here/);
    expect(within(heatmap).getByTestId("heatmap-overlap-summary")).toHaveTextContent("Agents overlap 09:00–11:00 and 13:00–14:00 UTC.");
  });

  it("switches the chart's range and metric", async () => {
    const user = userEvent.setup();
    const t = setup();
    render(<Harness agents={AGENTS} />);
    const chart = await screen.findByTestId("usage-chart");
    await waitFor(() => expect(chart).toHaveAttribute("data-points", "120"));
    const series = () => t.calls.filter((c) => c.command === "usage_series").map((c) => c.args);
    expect(series()[0]).toEqual({ api: "openai", key: null, metric: "requests", hours: 1 });

    await user.click(screen.getAllByTestId("range-button").find((b) => b.dataset.hours === "168")!);
    await waitFor(() => expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-points", String(7 * 24 * 60 * 2)));
    expect(series().at(-1)).toEqual({ api: "openai", key: null, metric: "requests", hours: 168 });

    expect(screen.getAllByTestId("metric-button").map((b) => b.dataset.metric)).toEqual(["requests", "tokens"]);
    await user.click(screen.getAllByTestId("metric-button").find((b) => b.dataset.metric === "tokens")!);
    await waitFor(() => expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-metric", "tokens"));
    expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-limit", "200000");
  });

  it("moves between APIs with j/k and the arrow keys", async () => {
    const user = userEvent.setup();
    setup();
    render(<Harness agents={AGENTS} />);
    await screen.findByTestId("api-panel");

    await user.keyboard("j");
    expect(item("github/ci-bot")).toHaveAttribute("aria-selected", "true");
    expect(panel()).toHaveAttribute("data-api", "github");
    await waitFor(() => expect(screen.getByTestId("header-issues")).toBeInTheDocument());
    expect(within(screen.getByTestId("header-issues")).getByTestId("header-issue")).toHaveTextContent(
      /x-ratelimit-resetnot a number of seconds or a timestamp3soon/,
    );
    await user.keyboard("j");
    expect(panel()).toHaveAttribute("data-api", "anthropic");
    expect(screen.getByTestId("no-quota")).toBeInTheDocument();
    expect(within(screen.getByTestId("forecast")).queryAllByTestId("forecast-item")).toHaveLength(0);
    await user.keyboard("j");
    expect(panel()).toHaveAttribute("data-api", "anthropic");
    await user.keyboard("k");
    expect(panel()).toHaveAttribute("data-api", "github");

    // In the list, the arrows move the selection and the focus.
    item("github/ci-bot").focus();
    await user.keyboard("{ArrowUp}");
    expect(panel()).toHaveAttribute("data-api", "openai");
    await waitFor(() => expect(item("openai")).toHaveFocus());
    await user.keyboard("{End}");
    expect(panel()).toHaveAttribute("data-api", "anthropic");

    // Not while typing.
    await user.click(screen.getByTestId("quota-settings-toggle"));
    await user.click(screen.getByTestId("quota-limit"));
    await user.keyboard("k");
    expect(panel()).toHaveAttribute("data-api", "anthropic");
    expect(screen.getByTestId("quota-limit")).toHaveValue("k");
  });

  it("explains how agents report their calls when no API is known yet", async () => {
    const fake = createFakeTransport({ empty: true, latencyMs: 0 });
    setTransport(fake);
    render(<Harness agents={[]} />);
    const empty = await screen.findByTestId("ratelimits-empty");
    expect(empty).toHaveTextContent("api_call");
    expect(empty).toHaveTextContent("rate-limit headers");
    expect(empty).toHaveTextContent("docs/protocol.md");
    expect(screen.queryByTestId("api-panel")).not.toBeInTheDocument();
  });

  it("shows a load error clearly and retries", async () => {
    const user = userEvent.setup();
    let fail = true;
    const fake = createFakeRateLimits(() => [{ id: 1, name: "Writer" }]);
    const t = setup({
      rate_limits: (args) => {
        if (fail) throw { code: "store", message: "database is locked", field: null };
        return fake.handlers.rate_limits!(args);
      },
    });
    render(<Harness agents={AGENTS} />);
    const alert = await screen.findByTestId("ratelimits-error");
    expect(alert).toHaveAttribute("role", "alert");
    expect(alert).toHaveTextContent("Could not load the rate limits: database is locked");
    expect(screen.queryByTestId("ratelimits-empty")).not.toBeInTheDocument();

    fail = false;
    const before = count(t, "rate_limits");
    await user.click(within(alert).getByRole("button", { name: "Retry" }));
    await screen.findByTestId("api-item-openai");
    expect(count(t, "rate_limits")).toBeGreaterThan(before);
    expect(screen.queryByTestId("ratelimits-error")).not.toBeInTheDocument();
  });

  it("reloads on findings at once and on ingested events at most every 2 s", async () => {
    const t = setup();
    render(<Harness agents={AGENTS} />);
    await screen.findByTestId("api-panel");
    await waitFor(() => expect(t.listenerCount()).toBeGreaterThan(0));
    const loads = count(t, "rate_limits");
    act(() => t.emit({ type: "findings", opened: [4], updated: [] }));
    await waitFor(() => expect(count(t, "rate_limits")).toBe(loads + 1));
    act(() => {
      t.emit({ type: "ingested", agent_id: 1, tasks: [], new_events: 3, new_usage: 0 });
      t.emit({ type: "ingested", agent_id: 2, tasks: [], new_events: 1, new_usage: 0 });
      t.emit({ type: "ingested", agent_id: 2, tasks: [], new_events: 0, new_usage: 0 });
    });
    await waitFor(() => expect(count(t, "rate_limits")).toBe(loads + 2), { timeout: 3_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(count(t, "rate_limits")).toBe(loads + 2);
  });

  it("validates and saves a quota and the pressure limits, showing the backend's refusals", async () => {
    const user = userEvent.setup();
    const t = setup({
      set_pressure_limits: () => {
        throw { code: "invalid_rate_limit", message: "the forecast horizon is from 1 minute to 1 day", field: null };
      },
    });
    render(<Harness agents={AGENTS} />);
    await screen.findByTestId("api-panel");
    await user.click(screen.getByTestId("quota-settings-toggle"));
    expect(screen.getByTestId("quota-limit")).toHaveValue("500");
    expect(screen.getByTestId("quota-window")).toHaveValue("60");

    await user.clear(screen.getByTestId("quota-limit"));
    await user.type(screen.getByTestId("quota-limit"), "0{Enter}");
    expect(screen.getByText("The limit must be 1 or more")).toBeInTheDocument();
    expect(screen.getByTestId("quota-limit")).toHaveAttribute("aria-invalid", "true");
    expect(count(t, "set_quota")).toBe(0);

    await user.clear(screen.getByTestId("quota-limit"));
    await user.type(screen.getByTestId("quota-limit"), "450");
    await user.click(screen.getAllByTestId("window-preset").find((b) => b.dataset.seconds === "3600")!);
    expect(screen.getByTestId("quota-window")).toHaveValue("3600");
    await user.keyboard("{Enter}");
    await user.click(screen.getByTestId("quota-save"));
    await waitFor(() => expect(count(t, "set_quota")).toBe(1));
    expect(t.calls.find((c) => c.command === "set_quota")?.args).toEqual({
      api: "openai",
      key: null,
      metric: "requests",
      limit: 450,
      windowSeconds: 3_600,
    });
    expect(await screen.findByTestId("ratelimits-status")).toHaveTextContent("Quota set: openai 450 requests per 3600 s.");
    await waitFor(() => expect(screen.getByTestId("quota-description")).toHaveTextContent("450 requests / h (set by you)"));
    await user.click(screen.getByTestId("quota-remove"));
    await waitFor(() => expect(screen.getByTestId("quota-description")).toHaveTextContent("500 requests / min (from headers)"));

    await user.clear(screen.getByTestId("pressure-share"));
    await user.type(screen.getByTestId("pressure-share"), "101{Enter}");
    expect(screen.getByText("The share must be a whole percentage from 1 to 100")).toBeInTheDocument();
    expect(count(t, "set_pressure_limits")).toBe(0);
    await user.clear(screen.getByTestId("pressure-share"));
    await user.type(screen.getByTestId("pressure-share"), "70{Enter}");
    expect(await screen.findByTestId("pressure-error")).toHaveTextContent("The forecast horizon is from 1 minute to 1 day");
    expect(t.calls.find((c) => c.command === "set_pressure_limits")?.args).toEqual({
      api: "openai",
      limits: { share_percent: 70, horizon_minutes: 30 },
    });
  });
});

describe("Rate limits in the app", () => {
  it("badges the nav with the last hour's 429s and opens with key 6", async () => {
    const user = userEvent.setup();
    const fake: Transport = createFakeTransport({ latencyMs: 0 });
    setTransport(fake);
    render(<App />);
    const badge = await screen.findByTestId("nav-ratelimits-badge");
    await waitFor(() => expect(badge).toHaveTextContent("1"));
    expect(badge).toHaveClass("nav-badge--alert");
    expect(badge).toHaveAttribute("title", "1 × 429 in the last hour");
    expect(screen.getByTestId("nav-ratelimits")).toHaveAttribute("aria-keyshortcuts", "6");
    await user.keyboard("6");
    expect(await screen.findByTestId("ratelimits-view")).toBeInTheDocument();
    expect(screen.getByTestId("nav-ratelimits")).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("api-panel")).toHaveAttribute("data-api", "openai");
    expect(within(screen.getByTestId("shares")).getAllByTestId("share-row").map((r) => r.dataset.agent)).toEqual(["writer", "editor"]);
  });
});
