import { describe, expect, it } from "vitest";
import { isTyping } from "./typing";

describe("isTyping", () => {
  it("is true in the fields a person types in", () => {
    for (const tag of ["input", "textarea", "select"]) {
      expect(isTyping(document.createElement(tag))).toBe(true);
    }
    const editable = document.createElement("div");
    editable.contentEditable = "true";
    // jsdom has no isContentEditable (undefined there): say it as a browser would.
    Object.defineProperty(editable, "isContentEditable", { value: true });
    expect(isTyping(editable)).toBe(true);
  });

  it("is false elsewhere, and for targets that are not elements", () => {
    expect(isTyping(document.createElement("button"))).toBe(false);
    expect(isTyping(document.createElement("div"))).toBe(false);
    expect(isTyping(document.body)).toBe(false);
    expect(isTyping(window)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});
