// @vitest-environment node
import { describe, expect, it } from "vitest";
import { nameKey, sameName } from "./names";

describe("sameName", () => {
  it("compares by Unicode case, trimmed, as the store does", () => {
    expect(sameName("Ärzte-Bot", "ärzte-bot")).toBe(true);
    expect(sameName(" ÄRZTE-BOT ", "ärzte-bot")).toBe(true);
    expect(sameName("İstanbul", "İSTANBUL")).toBe(true);
    expect(nameKey("İstanbul")).toBe(nameKey("İSTANBUL"));
  });

  it("keeps different names apart", () => {
    expect(sameName("Ärzte-Bot", "Arzte-Bot")).toBe(false);
    expect(sameName("İstanbul", "Istanbul")).toBe(false);
    expect(sameName("Writer", "Writer2")).toBe(false);
  });
});
