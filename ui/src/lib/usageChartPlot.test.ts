// @vitest-environment node
import { describe, expect, it } from "vitest";

import { ensureUsableLanguage } from "./usageChartPlot";

describe("the language uPlot formats numbers with", () => {
  it("falls back to en-US for a POSIX locale name such as C", () => {
    const nav = { language: "C" } as unknown as Navigator;
    ensureUsableLanguage(nav);
    expect(nav.language).toBe("en-US");
  });

  it("keeps a real language tag", () => {
    const nav = { language: "de-DE" } as unknown as Navigator;
    ensureUsableLanguage(nav);
    expect(nav.language).toBe("de-DE");
  });
});
