import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { setTransport } from "./lib/backend";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/board.css";
import "./styles/agents.css";
import "./styles/forms.css";
import "./styles/decisions.css";
import "./styles/ownership.css";
import "./styles/ratelimits.css";
import "./styles/usage.css";
import "./styles/timeline.css";
import "./styles/ratelimits-forms.css";
import "./styles/pipelines.css";

/**
 * Outside Tauri there is no backend. In development (or with `?fake` in the URL) the UI runs
 * on an in-memory fake so it can be looked at in a plain browser; inside Tauri, never.
 */
function wantsFake(params: URLSearchParams): boolean {
  if (window.__TAURI_INTERNALS__) return false;
  return import.meta.env.DEV || params.has("fake");
}

async function boot() {
  const root = document.getElementById("root");
  if (!root) throw new Error("#root is missing from index.html");
  const params = new URLSearchParams(window.location.search);
  if (wantsFake(params)) {
    const { createFakeTransport } = await import("./lib/fakeTransport");
    setTransport(
      createFakeTransport({
        empty: params.has("empty"),
        secretsWarning: params.has("nokeyring"),
        live: !params.has("still"),
        tasksPerAgent: Number(params.get("tasks")) || undefined,
        escalationBurst: params.has("burst"),
      }),
    );
  } else if (!window.__TAURI_INTERNALS__) {
    root.textContent = "Baton's interface runs inside the Baton desktop app (or add ?fake for a preview).";
    return;
  }
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void boot();
