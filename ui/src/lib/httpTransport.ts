// The transport of the browser preview: the app's commands over HTTP to `baton preview` (the
// real engine and store, with the demo fleet behind them), change events as server-sent events.
// backend.ts picks it when the page does not run inside Tauri.
//
// `baton preview` serves this page itself (same origin, `/api`) at the URL it prints, which
// carries its token (`?token=…`); the token is kept in sessionStorage so a reload still works.
// Under `vite dev` the dev server proxies `/api` to the preview named by BATON_PREVIEW_URL and
// adds the token itself (ui/vite.config.ts).

import type { InvokeArgs, Transport } from "./backend";

/** The header `baton preview` reads the token from. */
export const TOKEN_HEADER = "x-baton-token";
const TOKEN_KEY = "baton-preview-token";

/** The preview's token: from the page's URL (kept for reloads), else the one kept. */
export function previewToken(url: URL, storage: Pick<Storage, "getItem" | "setItem"> | null): string | null {
  const given = url.searchParams.get("token");
  if (given) {
    storage?.setItem(TOKEN_KEY, given);
    return given;
  }
  return storage?.getItem(TOKEN_KEY) ?? null;
}

/** What a failed request says: the server's `{code, message, field}`, else its status in words. */
async function failure(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { code: response.status === 401 ? "unauthorized" : "http", message: text.trim() || `HTTP ${response.status}`, field: null };
  }
}

export interface HttpTransportOptions {
  /** Where the commands are: `/api` on the page's origin. */
  base?: string;
  /** The preview's token; null when a proxy adds it. */
  token: string | null;
  fetch?: typeof fetch;
  eventSource?: (url: string) => EventSource;
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  const base = options.base ?? "/api";
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const open = options.eventSource ?? ((url: string) => new EventSource(url));
  let source: EventSource | null = null;
  const events = () => {
    if (source === null) {
      const query = options.token === null ? "" : `?token=${encodeURIComponent(options.token)}`;
      source = open(`${base}/events${query}`);
    }
    return source;
  };

  return {
    async invoke<T>(command: string, args?: InvokeArgs): Promise<T> {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (options.token !== null) headers[TOKEN_HEADER] = options.token;
      const response = await doFetch(`${base}/invoke/${encodeURIComponent(command)}`, {
        method: "POST",
        headers,
        body: JSON.stringify(args ?? {}),
      });
      if (!response.ok) throw await failure(response);
      return (await response.json()) as T;
    },
    async listen<T>(event: string, handler: (payload: T) => void) {
      const listener = (message: Event) => {
        const data = (message as MessageEvent<string>).data;
        try {
          handler(JSON.parse(data) as T);
        } catch {
          // A payload that is not JSON is not one of ours.
        }
      };
      const from = events();
      from.addEventListener(event, listener);
      return () => from.removeEventListener(event, listener);
    },
  };
}
