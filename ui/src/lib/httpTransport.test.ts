// @vitest-environment node
import { describe, expect, it } from "vitest";

import { CHANGE_EVENT, toBackendError } from "./backend";
import { createHttpTransport, previewToken, TOKEN_HEADER } from "./httpTransport";

function memory(): Pick<Storage, "getItem" | "setItem"> & { kept: Map<string, string> } {
  const kept = new Map<string, string>();
  return { kept, getItem: (k) => kept.get(k) ?? null, setItem: (k, v) => void kept.set(k, v) };
}

describe("previewToken", () => {
  it("takes the page's token and keeps it for a reload without one", () => {
    const storage = memory();
    expect(previewToken(new URL("http://127.0.0.1:5/?token=abc"), storage)).toBe("abc");
    expect(previewToken(new URL("http://127.0.0.1:5/"), storage)).toBe("abc");
    expect(previewToken(new URL("http://127.0.0.1:5/"), memory())).toBeNull();
    expect(previewToken(new URL("http://127.0.0.1:5/?token=new"), storage)).toBe("new");
    expect(previewToken(new URL("http://127.0.0.1:5/"), null)).toBeNull();
  });
});

describe("the HTTP transport", () => {
  it("posts the arguments with the token, and answers the JSON", async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const t = createHttpTransport({
      token: "tok",
      fetch: async (url, init) => {
        sent.push({ url: String(url), init: init! });
        return new Response(JSON.stringify([{ id: 1 }]), { status: 200 });
      },
    });
    await expect(t.invoke("list_tasks", { agentId: null })).resolves.toEqual([{ id: 1 }]);
    expect(sent[0]!.url).toBe("/api/invoke/list_tasks");
    expect(sent[0]!.init.method).toBe("POST");
    expect((sent[0]!.init.headers as Record<string, string>)[TOKEN_HEADER]).toBe("tok");
    expect(sent[0]!.init.body).toBe('{"agentId":null}');
    await t.invoke("list_agents");
    expect(sent[1]!.init.body).toBe("{}");
  });

  it("throws the server's error payload, or the status in words", async () => {
    const answer = (status: number, body: string) =>
      createHttpTransport({ token: null, fetch: async () => new Response(body, { status }) });
    const payload = { code: "not_found", message: "no agent 9", field: null };
    const thrown = await answer(404, JSON.stringify(payload)).invoke("remove_agent", { id: 9 }).catch((e: unknown) => e);
    expect(toBackendError(thrown)).toMatchObject(payload);
    const plain = await answer(502, "Bad Gateway").invoke("list_agents").catch((e: unknown) => e);
    expect(toBackendError(plain)).toMatchObject({ code: "http", message: "Bad Gateway" });
    const locked = await answer(401, "").invoke("list_agents").catch((e: unknown) => e);
    expect(toBackendError(locked)).toMatchObject({ code: "unauthorized", message: "HTTP 401" });
  });

  it("listens on one event stream with the token, parses payloads, and unsubscribes", async () => {
    const opened: string[] = [];
    const target = new EventTarget();
    const t = createHttpTransport({
      token: "a b",
      fetch: async () => new Response("null"),
      eventSource: (url) => {
        opened.push(url);
        return target as EventSource;
      },
    });
    const got: unknown[] = [];
    const off = await t.listen(CHANGE_EVENT, (p) => got.push(p));
    await t.listen("baton://open-escalation", () => {});
    expect(opened).toEqual(["/api/events?token=a%20b"]);
    target.dispatchEvent(new MessageEvent(CHANGE_EVENT, { data: '{"type":"agents_changed"}' }));
    target.dispatchEvent(new MessageEvent(CHANGE_EVENT, { data: "not json" }));
    off();
    target.dispatchEvent(new MessageEvent(CHANGE_EVENT, { data: '{"type":"agents_changed"}' }));
    expect(got).toEqual([{ type: "agents_changed" }]);
  });
});
