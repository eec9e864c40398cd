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
