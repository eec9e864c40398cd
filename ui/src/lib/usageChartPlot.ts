// uPlot's side of the usage chart: the options (stacked areas as bands between cumulative
// series, axes in the app's colours) and the overlay drawn after the series (the dashed limit
// line with its label, a red marker on top of the stack in every minute with 429s). uPlot itself
// is loaded on first use, and only where a canvas works (not in jsdom).

import type uPlot from "uplot";

import type { Metric } from "../bindings/Metric";
import { agentColor, compactNumber, limitLabel, timeTick, type PreparedChart } from "./usageChart";

const AXIS = "#8d97a7";
const GRID = "#242b36";
const LIMIT = "#e8b04a";
const RATE_LIMITED = "#ff4d5e";
const LABEL_BG = "rgba(19, 23, 30, 0.82)";
const FONT = '11px -apple-system, BlinkMacSystemFont, "Segoe UI", sans-serif';

let canvasOk: boolean | null = null;

/** Whether this page can draw on a canvas (false in jsdom, where getContext answers null). */
export function canvasAvailable(): boolean {
  if (canvasOk === null) {
    try {
      canvasOk = typeof document !== "undefined" && document.createElement("canvas").getContext("2d") !== null;
    } catch {
      canvasOk = false;
    }
  }
  return canvasOk;
}

let uplotModule: Promise<typeof uPlot> | null = null;

/**
 * uPlot builds a number format from `navigator.language` when it loads. A POSIX locale name such
 * as "C" (WebKitGTK under LANG=C, e.g. a headless session) is not a BCP 47 tag, and that throws;
 * fall back to en-US then.
 */
export function ensureUsableLanguage(nav: Navigator = navigator): void {
  try {
    new Intl.NumberFormat(nav.language);
  } catch {
    Object.defineProperty(nav, "language", { value: "en-US", configurable: true });
  }
}

/** uPlot's constructor, loaded once. */
export function loadUPlot(): Promise<typeof uPlot> {
  uplotModule ??= (async () => {
    ensureUsableLanguage();
    return (await import("uplot")).default;
  })();
  return uplotModule;
}

/** uPlot's data: minute starts, then the cumulative layers bottom to top. */
export function chartData(p: PreparedChart): uPlot.AlignedData {
  return [p.xs, ...p.stacked];
}

/** Bands fill between each layer and the one below (uPlot series indices are 1-based). */
export function stackBands(layers: number): uPlot.Band[] {
  const bands: uPlot.Band[] = [];
  for (let k = 2; k <= layers; k++) bands.push({ series: [k, k - 1] });
  return bands;
}

export interface PlotCallbacks {
  /** The data drawn now (read on every redraw, so setData needs no new options). */
  current(): { prepared: PreparedChart; metric: Metric } | null;
  /** After each redraw. */
  onDraw(): void;
  /** The minute under the cursor, or null. */
  onHover(index: number | null): void;
}

function drawOverlay(u: uPlot, p: PreparedChart, metric: Metric) {
  const ctx = u.ctx;
  const dpr = typeof devicePixelRatio === "number" && devicePixelRatio > 0 ? devicePixelRatio : 1;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  if (p.limit !== null) {
    const y = Math.round(u.valToPos(p.limit, "y", true)) + 0.5;
    ctx.strokeStyle = LIMIT;
    ctx.lineWidth = 1.5 * dpr;
    ctx.setLineDash([6 * dpr, 4 * dpr]);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = FONT.replace("11px", `${11 * dpr}px`);
    ctx.textAlign = "right";
    // Above the line, or below it when the plot's top leaves no room; on a dark patch.
    const above = y - top > 16 * dpr;
    const label = limitLabel(p.limit, metric);
    const x = left + width - 4 * dpr;
    const textY = above ? y - 3 * dpr : y + 4 * dpr;
    const w = (ctx.measureText?.(label)?.width ?? 0) + 6 * dpr;
    ctx.fillStyle = LABEL_BG;
    ctx.fillRect(x - w + 3 * dpr, above ? textY - 13 * dpr : textY - 1 * dpr, w, 14 * dpr);
    ctx.fillStyle = LIMIT;
    ctx.textBaseline = above ? "bottom" : "top";
    ctx.fillText(label, x, textY);
  }
  if (p.markers.length > 0) {
    ctx.fillStyle = RATE_LIMITED;
    const r = 3.5 * dpr;
    ctx.beginPath();
    for (const m of p.markers) {
      const x = u.valToPos(m.t, "x", true);
      if (x < left - r || x > left + width + r) continue;
      const y = u.valToPos(m.top, "y", true) - r - 1 * dpr;
      // A small downward triangle sitting on the stack.
      ctx.moveTo(x - r, y - r);
      ctx.lineTo(x + r, y - r);
      ctx.lineTo(x, y + r * 0.6);
      ctx.closePath();
    }
    ctx.fill();
  }
  ctx.restore();
}

export function plotOptions(agentIds: readonly number[], width: number, height: number, cb: PlotCallbacks): uPlot.Options {
  const series: uPlot.Series[] = [{}];
  for (const id of agentIds) {
    const colour = agentColor(id);
    series.push({ stroke: colour, fill: `${colour}99`, width: 1, points: { show: false }, fillTo: 0 });
  }
  const axis = (extra: Partial<uPlot.Axis>): uPlot.Axis => ({
    stroke: AXIS,
    font: FONT,
    grid: { stroke: GRID, width: 1 },
    ticks: { stroke: GRID, width: 1, size: 4 },
    ...extra,
  });
  return {
    width,
    height,
    series,
    bands: stackBands(agentIds.length),
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { show: false } },
    scales: {
      x: { time: true },
      y: { range: () => [0, cb.current()?.prepared.yMax ?? 1] },
    },
    axes: [
      axis({
        space: 70,
        values: (u, splits) => {
          const span = (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0);
          return splits.map((s) => timeTick(s, span));
        },
      }),
      axis({ size: 46, values: (_u, splits) => splits.map(compactNumber) }),
    ],
    hooks: {
      draw: [
        (u) => {
          const c = cb.current();
          if (c) drawOverlay(u, c.prepared, c.metric);
          cb.onDraw();
        },
      ],
      setCursor: [
        (u) => {
          const idx = u.cursor.idx;
          cb.onHover(typeof idx === "number" && idx >= 0 ? idx : null);
        },
      ],
    },
  };
}
