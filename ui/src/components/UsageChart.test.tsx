// The chart with a stand-in uPlot (jsdom has no canvas): what it is built with, when it is
// rebuilt or only handed new data, the overlay it draws, resizing, and the render measurement.

import { render, screen, waitFor } from "@testing-library/react";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { agentSeries, series } from "../test/rateLimits";

interface FakePlot {
  opts: {
    series: unknown[];
    bands: { series: [number, number] }[];
    width: number;
    height: number;
    hooks: { draw: ((u: FakePlot) => void)[]; setCursor: ((u: FakePlot) => void)[] };
  };
  data: ArrayLike<number>[];
  width: number;
  setData: ReturnType<typeof vi.fn>;
  setSize: ReturnType<typeof vi.fn>;
  destroy: ReturnType<typeof vi.fn>;
  ctx: Record<string, unknown> & { calls: [string, unknown[]][] };
  bbox: { left: number; top: number; width: number; height: number };
  cursor: { idx: number | null };
  valToPos(v: number): number;
}

const plots = vi.hoisted(() => [] as FakePlot[]);

vi.mock("uplot", () => {
  class FakeUPlot {
    opts: FakePlot["opts"];
    data: FakePlot["data"];
    width: number;
    cursor = { idx: null as number | null };
    bbox = { left: 40, top: 0, width: 500, height: 200 };
    calls: [string, unknown[]][] = [];
    ctx: FakePlot["ctx"];
    setData = vi.fn((data: FakePlot["data"]) => {
      this.data = data;
      this.draw();
    });
    setSize = vi.fn((size: { width: number }) => {
      this.width = size.width;
    });
    destroy = vi.fn();
    constructor(opts: FakePlot["opts"], data: FakePlot["data"]) {
      this.opts = opts;
      this.data = data;
      this.width = opts.width;
      const calls = this.calls;
      this.ctx = new Proxy({ calls } as FakePlot["ctx"], {
        get(target, prop) {
          if (prop in target) return target[prop as string];
          return (...args: unknown[]) => calls.push([String(prop), args]);
        },
        set(target, prop, value) {
          target[prop as string] = value;
          return true;
        },
      });
      plots.push(this as unknown as FakePlot);
      queueMicrotask(() => this.draw());
    }
    valToPos(v: number) {
      return v;
    }
    draw() {
      for (const h of this.opts.hooks.draw) h(this as unknown as FakePlot);
    }
  }
  return { default: FakeUPlot };
});

let resize: (() => void) | null = null;
const original = HTMLCanvasElement.prototype.getContext;
const originalObserver = globalThis.ResizeObserver;
beforeAll(() => {
  // A page with a canvas: the chart builds uPlot.
  HTMLCanvasElement.prototype.getContext = (() => ({})) as unknown as HTMLCanvasElement["getContext"];
  globalThis.ResizeObserver = class {
    constructor(cb: () => void) {
      resize = cb;
    }
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
});
afterAll(() => {
  HTMLCanvasElement.prototype.getContext = original;
  globalThis.ResizeObserver = originalObserver;
});
beforeEach(() => {
  plots.length = 0;
});

const { UsageChart } = await import("./UsageChart");
const NAMES = new Map([
  [1, "Writer"],
  [2, "Editor"],
]);

describe("UsageChart with uPlot", () => {
  it("stacks the agents with bands, draws the limit and the 429s, and measures the render", async () => {
    const s = series([agentSeries(1, [100, 300, 200], [0, 2, 0]), agentSeries(2, [50, 50, 250])], { start: 0 });
    render(<UsageChart series={s} names={NAMES} />);
    await waitFor(() => expect(plots).toHaveLength(1));
    const plot = plots[0]!;
    expect(plot.opts.series).toHaveLength(3);
    expect(plot.opts.bands).toEqual([{ series: [2, 1] }]);
    expect(plot.data.map((d) => Array.from(d))).toEqual([
      [0, 60, 120],
      [100, 300, 200],
      [150, 350, 450],
    ]);
    const chart = screen.getByTestId("usage-chart");
    await waitFor(() => expect(chart.dataset.renderMs).toMatch(/^\d+(\.\d)?$/));
    expect(chart).toHaveAttribute("data-points", "6");
    expect(chart).toHaveAttribute("data-limit", "500");
    expect(chart).toHaveAttribute("data-rate-limited", "2");
    // The overlay: the labelled limit line, one marker.
    const texts = plot.ctx.calls.filter(([name]) => name === "fillText").map(([, args]) => args[0]);
    expect(texts).toEqual(["limit 500 requests/min"]);
    expect(plot.ctx.calls.filter(([name]) => name === "closePath")).toHaveLength(1);
  });

  it("hands new data of the same agents to the plot, and rebuilds it for other agents", async () => {
    const first = series([agentSeries(1, [1, 2]), agentSeries(2, [3, 4])]);
    const { rerender, unmount } = render(<UsageChart series={first} names={NAMES} />);
    await waitFor(() => expect(plots).toHaveLength(1));
    rerender(<UsageChart series={series([agentSeries(1, [5, 6]), agentSeries(2, [7, 8])])} names={NAMES} />);
    await waitFor(() => expect(plots[0]!.setData).toHaveBeenCalledTimes(1));
    expect(plots).toHaveLength(1);
    rerender(<UsageChart series={series([agentSeries(1, [5, 6]), agentSeries(3, [7, 8])])} names={NAMES} />);
    await waitFor(() => expect(plots).toHaveLength(2));
    expect(plots[0]!.destroy).toHaveBeenCalled();
    unmount();
    expect(plots[1]!.destroy).toHaveBeenCalled();
  });

  it("follows its container's width", async () => {
    render(<UsageChart series={series([agentSeries(1, [1, 2])])} names={NAMES} />);
    await waitFor(() => expect(plots).toHaveLength(1));
    expect(plots[0]!.width).toBe(320);
    Object.defineProperty(screen.getByTestId("usage-chart").querySelector(".rl-plot")!, "clientWidth", { value: 900 });
    resize?.();
    expect(plots[0]!.setSize).toHaveBeenCalledWith({ width: 900, height: 220 });
  });

  it("skips uPlot for an empty range", async () => {
    render(<UsageChart series={series([], { minutes: 60 })} names={NAMES} />);
    expect(await screen.findByText("No use recorded in this range.")).toBeInTheDocument();
    expect(screen.getByTestId("usage-chart")).toHaveAttribute("data-state", "empty");
    expect(plots).toHaveLength(0);
  });
});
