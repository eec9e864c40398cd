// @vitest-environment node
import { describe, expect, it } from "vitest";

import type { StoreOverview } from "../bindings/StoreOverview";
import { storeOverview } from "../test/fixtures";
import { bytesText, machineLinkText, storeInputProblem, storeLabel, storeWhere, unreachableText } from "./store";

const overview = (over: Partial<StoreOverview>) => storeOverview({ bytes: 44_040_192, ...over });

describe("the store's name in the nav", () => {
  it("is the engine and the size for SQLite, the host and database for PostgreSQL", () => {
    expect(storeLabel(overview({}))).toBe("SQLite · 42 MiB");
    expect(storeLabel(overview({ engine: "postgres", location: "postgres://ana@db.example.org:5432/baton?sslmode=verify-full" }))).toBe(
      "PostgreSQL · db.example.org:5432/baton",
    );
    expect(storeWhere("postgresql:///baton?host=/run/postgresql")).toBe("local socket/baton");
    expect(storeWhere("/tmp/x/baton.sqlite3")).toBe("baton.sqlite3");
  });

  it("says sizes as people read them", () => {
    expect(bytesText(512)).toBe("512 B");
    expect(bytesText(1536)).toBe("1.5 KiB");
    expect(bytesText(2 * 1024 ** 3)).toBe("2 GiB");
    expect(bytesText(150 * 1024 ** 2 + 1)).toBe("150 MiB");
  });
});

describe("the unreachable banner", () => {
  it("says since when, for how long, why, and that nothing is lost", () => {
    const since = "2026-11-25T14:02:00Z";
    const text = unreachableText(since, "connection refused", Date.parse(since) + 95_000);
    expect(text).toContain("has not answered since");
    expect(text).toContain("(1m35s)");
    expect(text).toContain(": connection refused.");
    expect(text).toContain("nothing is lost");
    expect(unreachableText("garbage", null, 0)).toContain("since garbage.");
  });
});

describe("a store typed into the dialog", () => {
  it("takes a postgres:// URL with a database and no password, or a full path", () => {
    expect(storeInputProblem("postgres://ana@db.example.org/baton")).toBeNull();
    expect(storeInputProblem("postgresql://db/baton?sslmode=require")).toBeNull();
    expect(storeInputProblem("/srv/baton/baton.sqlite3")).toBeNull();
  });

  it("refuses a password in the URL, a URL without a database, other schemes, junk", () => {
    expect(storeInputProblem("postgres://ana:s3cret@db/baton")).toMatch(/password field/);
    expect(storeInputProblem("postgres://ana@db/baton?password=x")).toMatch(/password field/);
    expect(storeInputProblem("postgres://ana@db")).toMatch(/database/);
    expect(storeInputProblem("postgres://ana@db/")).toMatch(/database/);
    expect(storeInputProblem("mysql://db/baton")).toMatch(/Only postgres/);
    expect(storeInputProblem("baton.sqlite3")).toMatch(/full path/);
    expect(storeInputProblem("   ")).toMatch(/Type a/);
  });
});

describe("machineLinkText", () => {
  it("says each machine's time for a hook call and its calls unchecked today", () => {
    const link = { host: "laptop-a", call_ms: 31, measured_at: "2026-11-28T14:00:00Z", unchecked_today: 0 };
    expect(machineLinkText(link)).toBe("laptop-a: a hook call takes 31 ms · none unchecked today");
    expect(machineLinkText({ ...link, host: "devbox-b", call_ms: null, unchecked_today: 1200 })).toBe(
      "devbox-b: no hook call measured yet · 1,200 unchecked today, recorded late",
    );
  });
});
