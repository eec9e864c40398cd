import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import type { AgentRow } from "../bindings/AgentRow";
import type { ApiLedger } from "../bindings/ApiLedger";
import type { UsageHeatmap } from "../bindings/UsageHeatmap";
import type { UsageSeries } from "../bindings/UsageSeries";
import { setTransport } from "../lib/backend";
import { ClockProvider } from "../lib/clock";
import { apiId, quotaText, rateLimitedText } from "../lib/rateLimits";
import { prepareHeatmap } from "../lib/usageHeatmap";
import { useRateLimits } from "../lib/useRateLimits";
import { recorded, RECORDED_AT, RECORDED_COMMANDS, replay } from "../test/recorded";
import { createTestTransport, transportSubscribe, type Handler, type TestTransport } from "../test/transport";
import { RateLimitsView } from "./RateLimitsView";

// The ledger as the real engine answered it (test/recorded.ts): the demo's week of usage on
// openai and anthropic, and the rate-limit scenario pushing openai past its headers' quota.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"], now: RECORDED_AT });
});
afterEach(() => {
  vi.useRealTimers();
});

const AGENTS = recorded<AgentRow[]>("list_agents");
/** The API under pressure: the scenario's, with the headers' quota and the 429s. */
const PRESSED_API = recorded<ApiLedger[]>("rate_limits").find((l) => l.rate_limited_last_hour > 0)!.api;
/**
 * A ledger as recorded, but for the demo's other APIs as they are before their first headers
 * arrive: no limit known, so no forecast. (The demo's callers report their limits after their
 * first calls, so whether a recording has them depends on how soon it settled.)
 */
function asBeforeOtherHeaders(ledgers: ApiLedger[]): ApiLedger[] {
  return ledgers.map((l) => (l.api === PRESSED_API ? l : { ...l, quotas: [], forecasts: [] }));
}
const LEDGERS = asBeforeOtherHeaders(recorded<ApiLedger[]>("rate_limits"));
const PRESSED = LEDGERS.find((l) => l.api === PRESSED_API)!;
/** An API with no limit known. */
const UNLIMITED = LEDGERS.find((l) => l.quotas.length === 0)!;
const nameOf = (id: number) => AGENTS.find((a) => a.config.id === id)!.config.name;
const series = (metric: string, hours: number) =>
  recorded<UsageSeries>("usage_series", { api: PRESSED.api, key: PRESSED.key, metric, hours });

function Harness({ agents }: { agents: AgentRow[] }) {
  const rateLimits = useRateLimits(transportSubscribe, true);
  return (
    <ClockProvider>
      <RateLimitsView rateLimits={rateLimits} agents={agents} />
    </ClockProvider>
  );
}

/** The recorded answers behind a recording transport. */
function setup(extra: Record<string, Handler> = {}): TestTransport {
  const replayed = replay(RECORDED_COMMANDS);
  const rateLimits = replayed.rate_limits!;
  const t = createTestTransport({
    ...replayed,
    rate_limits: (args) => asBeforeOtherHeaders(rateLimits(args) as ApiLedger[]),
    ...extra,
  });
  setTransport(t);
  return t;
}

const requestsLimit = () => PRESSED.quotas.find((q) => q.metric === "requests")!.limit;
const item = (id: string) => screen.getByTestId(`api-item-${id}`);
const panel = () => screen.getByTestId("api-panel");
const count = (t: TestTransport, command: string) => t.calls.filter((c) => c.command === command).length;

describe("RateLimitsView", () => {
  it("lists the APIs with their shares, 429s and pressure, and shows the selected one's panel", async () => {
    const t = setup();
    render(<Harness agents={AGENTS} />);
    const pressed = apiId(PRESSED);
    await screen.findByTestId(`api-item-${pressed}`);
    expect(screen.getByTestId("ratelimits-view")).toBeInTheDocument();
    expect(screen.getAllByRole("option").map((o) => o.dataset.testid)).toEqual(LEDGERS.map((l) => `api-item-${apiId(l)}`));
    expect(item(pressed)).toHaveAttribute("data-pressure", "true");
    expect(within(item(pressed)).getByTestId("api-429")).toHaveTextContent(
      `${rateLimitedText(PRESSED.rate_limited_last_hour)} in the last hour`,
    );
    expect(PRESSED.rate_limited_last_hour).toBeGreaterThan(0);
    expect(within(item(apiId(UNLIMITED))).getByText("no limit known")).toBeInTheDocument();
    expect(screen.getByTestId("ratelimits-count")).toHaveTextContent(`${LEDGERS.length} APIs · 1 under pressure`);

    // The API under pressure is selected first.
    expect(item(pressed)).toHaveAttribute("aria-selected", "true");
    expect(panel()).toHaveAttribute("data-api", PRESSED.api);
    expect(within(panel()).getByTestId("pressure-reasons")).toHaveTextContent(/Under pressure: combined use at \d+% of the limit/);

    const shares = screen.getByTestId("shares");
    const requests = PRESSED.quotas.find((q) => q.metric === "requests")!;
    expect(within(shares).getByTestId("quota-description")).toHaveTextContent(`of ${quotaText(requests)}`);
    expect(quotaText(requests)).toMatch(/requests \/ min \(from headers\)$/);
    const rows = within(shares).getAllByTestId("share-row");
    expect(rows.map((r) => r.dataset.agent)).toEqual(PRESSED.shares.map((sh) => nameOf(sh.agent_id)));
    const limited = PRESSED.shares.find((sh) => sh.rate_limited > 0)!;
    const limitedRow = rows.find((r) => r.dataset.agent === nameOf(limited.agent_id))!;
    expect(limitedRow).toHaveTextContent(new RegExp(`\\d+%\\s*\\d+ requests · ${limited.rate_limited} × 429`));
    expect(within(shares).getByTestId("combined-share")).toHaveTextContent(/Combined\d+% · pressure from 80%/);

    const forecasts = within(screen.getByTestId("forecast")).getAllByTestId("forecast-item");
    expect(forecasts.map((f) => f.dataset.metric)).toEqual(PRESSED.forecasts.map((f) => f.metric));
    // Whether the recorded pace reaches the limit depends on the moment it was recorded: the
    // text says what the recorded forecast says.
    const forecastText = within(forecasts[0]!).getByTestId("forecast-text").textContent;
    if (PRESSED.forecasts[0]!.reaches_limit_at !== null) {
      expect(forecastText).toMatch(
        new RegExp(`^At this pace, combined use reaches ${requests.limit} requests/min (now|at (tomorrow )?\\d\\d:\\d\\d \\(in \\d+ min\\))\\. In that window: `),
      );
    } else {
      expect(forecastText).toMatch(/^Not within 24 h; peak \d+% at \d\d:\d\d\. At the peak: /);
    }

    // The chart: the last hour of minutes for every agent, the limit and the 429s.
    const hour = series("requests", 1);
    const chart = await screen.findByTestId("usage-chart");
    await waitFor(() => expect(chart).toHaveAttribute("data-state", "ready"));
    expect(chart).toHaveAttribute("data-points", String(hour.minutes * hour.agents.length));
    expect(chart).toHaveAttribute("data-limit", String(hour.limit_per_minute));
    const limitedMinutes = hour.agents.reduce((sum, a) => sum + a.rate_limited.reduce((x, y) => x + y, 0), 0);
    expect(limitedMinutes).toBeGreaterThan(0);
    expect(chart).toHaveAttribute("data-rate-limited", String(limitedMinutes));
    expect(screen.getAllByTestId("usage-legend-item")).toHaveLength(hour.agents.length);

    // The heat map: one row per agent, and the overlap row, highlighted where several are active.
    const heatmap = screen.getByTestId("heatmap");
    await waitFor(() => expect(within(heatmap).queryAllByTestId("heatmap-row").length).toBeGreaterThan(0));
    const asked = t.calls.find((c) => c.command === "usage_heatmap")!.args!;
    expect(asked).toMatchObject({ api: PRESSED.api, key: PRESSED.key });
    const prepared = prepareHeatmap(recorded<UsageHeatmap>("usage_heatmap", asked));
    expect(within(heatmap).getAllByTestId("heatmap-row")).toHaveLength(prepared.rows.length);
    const overlap = within(heatmap).getAllByTestId("heatmap-overlap-cell");
    expect(overlap).toHaveLength(96);
    expect(prepared.ranges.length).toBeGreaterThan(0);
    const busy = prepared.ranges[0]!.from;
    expect(Number(overlap[busy]!.getAttribute("data-count"))).toBeGreaterThanOrEqual(2);
    expect(overlap[busy]!.getAttribute("title")).toMatch(/UTC · \d+ agents active: they collide here/);
    expect(within(heatmap).getByTestId("heatmap-overlap-summary")).toHaveTextContent(/^Agents overlap \d\d:\d\d–\d\d:\d\d/);
  });

  it("switches the chart's range and metric", async () => {
    const user = userEvent.setup();
    const t = setup();
    render(<Harness agents={AGENTS} />);
    const hour = series("requests", 1);
    const chart = await screen.findByTestId("usage-chart");
    await waitFor(() => expect(chart).toHaveAttribute("data-points", String(hour.minutes * hour.agents.length)));
    const asked = () => t.calls.filter((c) => c.command === "usage_series").map((c) => c.args);
    expect(asked()[0]).toEqual({ api: PRESSED.api, key: PRESSED.key, metric: "requests", hours: 1 });

    await user.click(screen.getAllByTestId("range-button").find((b) => b.dataset.hours === "168")!);
    const week = series("requests", 168);
    expect(week.minutes).toBe(7 * 24 * 60);
    await waitFor(() => expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-points", String(week.minutes * week.agents.length)));
    expect(asked().at(-1)).toEqual({ api: PRESSED.api, key: PRESSED.key, metric: "requests", hours: 168 });

    // Tokens: the agents reported them, though the headers announced no token quota.
    expect(screen.getAllByTestId("metric-button").map((b) => b.dataset.metric)).toEqual(["requests", "tokens"]);
    await user.click(screen.getAllByTestId("range-button").find((b) => b.dataset.hours === "1")!);
    await user.click(screen.getAllByTestId("metric-button").find((b) => b.dataset.metric === "tokens")!);
    await waitFor(() => expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-metric", "tokens"));
    expect(asked().at(-1)).toEqual({ api: PRESSED.api, key: PRESSED.key, metric: "tokens", hours: 1 });
    expect(series("tokens", 1).limit_per_minute).toBeNull();
    expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-limit", "");
  });

  it("moves between APIs with j/k and the arrow keys", async () => {
    const user = userEvent.setup();
    setup();
    render(<Harness agents={AGENTS} />);
    await screen.findByTestId("api-panel");
    const ids = LEDGERS.map(apiId);
    const at = ids.indexOf(apiId(PRESSED));
    expect(panel()).toHaveAttribute("data-api", PRESSED.api);

    // j goes down the list, k up, both stopping at the ends.
    const down = ids.length - 1 - at;
    for (let i = 0; i < down + 1; i += 1) await user.keyboard("j");
    expect(panel()).toHaveAttribute("data-api", LEDGERS.at(-1)!.api);
    for (let i = 0; i < ids.length; i += 1) await user.keyboard("k");
    expect(panel()).toHaveAttribute("data-api", LEDGERS[0]!.api);
    expect(item(ids[0]!)).toHaveAttribute("aria-selected", "true");
    await user.keyboard("j");
    expect(panel()).toHaveAttribute("data-api", LEDGERS[1]!.api);

    // The API with no limit known has no forecast.
    item(apiId(UNLIMITED)).click();
    await waitFor(() => expect(panel()).toHaveAttribute("data-api", UNLIMITED.api));
    expect(screen.getByTestId("no-quota")).toBeInTheDocument();
    expect(within(screen.getByTestId("forecast")).queryAllByTestId("forecast-item")).toHaveLength(0);

    // In the list, the arrows move the selection and the focus.
    item(ids[1]!).focus();
    await user.keyboard("{ArrowUp}");
    expect(panel()).toHaveAttribute("data-api", LEDGERS[0]!.api);
    await waitFor(() => expect(item(ids[0]!)).toHaveFocus());
    await user.keyboard("{End}");
    expect(panel()).toHaveAttribute("data-api", LEDGERS.at(-1)!.api);

    // Not while typing.
    item(apiId(PRESSED)).click();
    await waitFor(() => expect(panel()).toHaveAttribute("data-api", PRESSED.api));
    await user.click(screen.getByTestId("quota-settings-toggle"));
    await user.click(screen.getByTestId("quota-limit"));
    await user.keyboard("k");
    expect(panel()).toHaveAttribute("data-api", PRESSED.api);
    expect(screen.getByTestId("quota-limit")).toHaveValue(`${requestsLimit()}k`);
  });

  it("explains how agents report their calls when no API is known yet", async () => {
    setTransport(createTestTransport({ rate_limits: () => [] }));
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
    const recordedLedger = replay(["rate_limits"]).rate_limits!;
    const t = setup({
      rate_limits: (args) => {
        if (fail) throw { code: "store", message: "database is locked", field: null };
        return recordedLedger(args);
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
    await screen.findByTestId(`api-item-${apiId(PRESSED)}`);
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
      t.emit({ type: "ingested", agent_id: 1, tasks: [], new_events: 3, new_usage: 0, elsewhere: false });
      t.emit({ type: "ingested", agent_id: 2, tasks: [], new_events: 1, new_usage: 0, elsewhere: false });
      t.emit({ type: "ingested", agent_id: 2, tasks: [], new_events: 0, new_usage: 0, elsewhere: false });
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
    expect(screen.getByTestId("quota-limit")).toHaveValue(String(requestsLimit()));
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
      api: PRESSED.api,
      key: PRESSED.key,
      metric: "requests",
      limit: 450,
      windowSeconds: 3_600,
    });
    expect(await screen.findByTestId("ratelimits-status")).toHaveTextContent(`Quota set: ${PRESSED.api} 450 requests per 3600 s.`);
    // The ledger as the engine answered after the quota was set, then after it was removed.
    await waitFor(() => expect(screen.getByTestId("quota-description")).toHaveTextContent("450 requests / h (set by you)"));
    await user.click(screen.getByTestId("quota-remove"));
    await waitFor(() =>
      expect(screen.getByTestId("quota-description")).toHaveTextContent(`${requestsLimit()} requests / min (from headers)`),
    );

    await user.clear(screen.getByTestId("pressure-share"));
    await user.type(screen.getByTestId("pressure-share"), "101{Enter}");
    expect(screen.getByText("The share must be a whole percentage from 1 to 100")).toBeInTheDocument();
    expect(count(t, "set_pressure_limits")).toBe(0);
    await user.clear(screen.getByTestId("pressure-share"));
    await user.type(screen.getByTestId("pressure-share"), "70{Enter}");
    expect(await screen.findByTestId("pressure-error")).toHaveTextContent("The forecast horizon is from 1 minute to 1 day");
    expect(t.calls.find((c) => c.command === "set_pressure_limits")?.args).toEqual({
      api: PRESSED.api,
      limits: { share_percent: 70, horizon_minutes: 30 },
    });
  });
});

describe("Rate limits in the app", () => {
  it("badges the nav with the last hour's 429s and opens with key 6", async () => {
    const user = userEvent.setup();
    setup();
    render(<App />);
    const total = LEDGERS.reduce((sum, l) => sum + l.rate_limited_last_hour, 0);
    const badge = await screen.findByTestId("nav-ratelimits-badge");
    await waitFor(() => expect(badge).toHaveTextContent(String(total)));
    expect(badge).toHaveClass("nav-badge--alert");
    expect(badge).toHaveAttribute("title", `${total} × 429 in the last hour`);
    expect(screen.getByTestId("nav-ratelimits")).toHaveAttribute("aria-keyshortcuts", "6");
    await user.keyboard("6");
    expect(await screen.findByTestId("ratelimits-view")).toBeInTheDocument();
    expect(screen.getByTestId("nav-ratelimits")).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("api-panel")).toHaveAttribute("data-api", PRESSED.api);
    expect(within(screen.getByTestId("shares")).getAllByTestId("share-row").map((r) => r.dataset.agent)).toEqual(
      PRESSED.shares.map((sh) => nameOf(sh.agent_id)),
    );
  });
});
