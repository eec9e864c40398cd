import "@testing-library/jest-dom/vitest";

// jsdom has no layout: give scroll containers a size so the virtualised lists render rows.
Object.defineProperty(HTMLElement.prototype, "clientHeight", {
  configurable: true,
  get() {
    return 800;
  },
});
Object.defineProperty(HTMLElement.prototype, "clientWidth", {
  configurable: true,
  get() {
    return 320;
  },
});

// jsdom lacks ResizeObserver and DOMMatrix, which the ownership graph (@xyflow/react) uses.
class NoResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= NoResizeObserver as unknown as typeof ResizeObserver;

// jsdom has no canvas: answer null quietly (instead of its "not implemented" error), as a page
// without canvas support would. The usage chart then skips uPlot and renders its legend only.
HTMLCanvasElement.prototype.getContext = (() => null) as unknown as HTMLCanvasElement["getContext"];
