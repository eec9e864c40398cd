// @vitest-environment node
import { describe, expect, it } from "vitest";

import { toDraft, tokenValue, validateAgentForm, withoutError, type AgentFormValues } from "./validation";

const ok: AgentFormValues = {
  name: "researcher",
  base_url: "http://127.0.0.1:7801",
  poll_interval_ms: "2000",
  timeout_ms: "1500",
  token: "",
};

const errs = (patch: Partial<AgentFormValues>) => validateAgentForm({ ...ok, ...patch });

describe("validateAgentForm", () => {
  it("accepts a good draft", () => {
    expect(errs({})).toEqual({});
    expect(errs({ base_url: "https://agents.example.com/researcher/" })).toEqual({});
  });

  it("name: 1 to 80 characters after trimming", () => {
    expect(errs({ name: "   " }).name).toBe("name must not be empty");
    expect(errs({ name: "Writer\u001b[2J" }).name).toBe("name must not hold control characters (tabs, line breaks, escapes)");
    expect(errs({ name: "a\tb" }).name).toBe("name must not hold control characters (tabs, line breaks, escapes)");
    expect(errs({ name: "Émile · 2" }).name).toBeUndefined();
    expect(errs({ name: "x".repeat(80) }).name).toBeUndefined();
    expect(errs({ name: "x".repeat(81) }).name).toBe("name is longer than 80 characters");
    // Characters, not UTF-16 units.
    expect(errs({ name: "🤖".repeat(80) }).name).toBeUndefined();
  });

  it("base URL: http or https with a host", () => {
    expect(errs({ base_url: "" }).base_url).toMatch(/^base URL is not a valid URL/);
    expect(errs({ base_url: "localhost" }).base_url).toMatch(/^base URL is not a valid URL/);
    expect(errs({ base_url: "ftp://example.com" }).base_url).toBe("base URL must use http or https, not ftp");
    expect(errs({ base_url: "file:///tmp/x" }).base_url).toBe("base URL must use http or https, not file");
    expect(errs({ base_url: "http://" }).base_url).toMatch(/^base URL is not a valid URL/);
    expect(errs({ base_url: "http://[::1]:7801" }).base_url).toBeUndefined();
  });

  it("base URL: no credentials, query or fragment, and a host of its own", () => {
    expect(errs({ base_url: "http://user:pw@127.0.0.1:7700" }).base_url).toMatch(/^base URL must not hold a user name or password/);
    expect(errs({ base_url: "http://127.0.0.1:7700/?x=1" }).base_url).toMatch(/^base URL must not have a query/);
    expect(errs({ base_url: "http://127.0.0.1:7700/#top" }).base_url).toMatch(/^base URL must not have a query/);
    expect(errs({ base_url: "http:///x" }).base_url).toBe("base URL is not a valid URL: no host");
  });

  it("poll interval: 250 to 3,600,000 ms, whole numbers", () => {
    expect(errs({ poll_interval_ms: "249", timeout_ms: "100" }).poll_interval_ms).toBe(
      "poll interval must be between 250 ms and 3600000 ms",
    );
    expect(errs({ poll_interval_ms: "250", timeout_ms: "100" })).toEqual({});
    expect(errs({ poll_interval_ms: "3600000" })).toEqual({});
    expect(errs({ poll_interval_ms: "3600001" }).poll_interval_ms).toMatch(/between/);
    expect(errs({ poll_interval_ms: "2.5" }).poll_interval_ms).toMatch(/whole number/);
    expect(errs({ poll_interval_ms: "" }).poll_interval_ms).toMatch(/whole number/);
  });

  it("timeout: at least 100 ms and below the interval", () => {
    expect(errs({ timeout_ms: "99" }).timeout_ms).toBe("timeout must be at least 100 ms");
    expect(errs({ timeout_ms: "2000" }).timeout_ms).toBe(
      "timeout (2000 ms) must be below the poll interval (2000 ms)",
    );
    expect(errs({ timeout_ms: "1999" }).timeout_ms).toBeUndefined();
    expect(errs({ timeout_ms: "-1" }).timeout_ms).toMatch(/whole number/);
  });

  it("reports every problem by its field at once", () => {
    const e = validateAgentForm({ name: "", base_url: "ftp://x", poll_interval_ms: "10", timeout_ms: "50", token: "" });
    expect(Object.keys(e).sort()).toEqual(["base_url", "name", "poll_interval_ms", "timeout_ms"]);
  });

  it("token: one line, surrounding spaces trimmed", () => {
    expect(errs({ token: "abc\ndef" }).token).toMatch(/one line/);
    expect(errs({ token: "  abc  " }).token).toBeUndefined();
    expect(tokenValue({ ...ok, token: "  abc " })).toBe("abc");
    expect(tokenValue({ ...ok, token: "   " })).toBeNull();
  });
});

describe("toDraft", () => {
  it("trims and converts", () => {
    expect(toDraft({ ...ok, name: " writer ", base_url: " http://h:1/ ", poll_interval_ms: "5_000", timeout_ms: " 900 " })).toEqual({
      name: "writer",
      base_url: "http://h:1/",
      poll_interval_ms: 5000,
      timeout_ms: 900,
      adapter: "baton",
    });
  });
});

describe("withoutError", () => {
  it("drops the field's error and keeps the others, leaving the original alone", () => {
    const errors: Partial<Record<"a" | "b", string>> = { a: "bad", b: "worse" };
    expect(withoutError(errors, "a")).toEqual({ b: "worse" });
    expect(errors).toEqual({ a: "bad", b: "worse" });
  });

  it("returns the same object when the field has no error", () => {
    const errors: Partial<Record<"a" | "b", string>> = { b: "worse" };
    expect(withoutError(errors, "a")).toBe(errors);
  });
});
