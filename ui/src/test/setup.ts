import { afterEach } from "vitest";

import { setTransport, tauriTransport } from "../lib/backend";

// A file of pure logic runs without a DOM (`// @vitest-environment node` at its top): starting
// jsdom was most of the UI tests' time (73 files, "environment" 362 s of 421 in a `make test`).
// Testing Library and the DOM's stand-ins are loaded only where there is a DOM.
const dom = typeof document !== "undefined";
let cleanup: (() => void) | undefined;
if (dom) {
  await import("@testing-library/jest-dom/vitest");
  ({ cleanup } = await import("@testing-library/react"));
}


// After each test: unmount what it rendered, then put the app's transport back. In this order, and
// here once: vitest runs a file's afterEach hooks before this file's (last registered, first run),
// and a test file that swapped the transport back itself left a moment between its hook and the
// unmount in which a view still mounted could subscribe through the real transport, which has no
// backend under jsdom (an unhandled "unknown" error that failed CI once).
afterEach(() => {
  cleanup?.();
  setTransport(tauriTransport);
});

if (dom) {
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
}
