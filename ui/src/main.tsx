import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { connectBackend } from "./lib/backend";
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

async function boot() {
  const root = document.getElementById("root");
  if (!root) throw new Error("#root is missing from index.html");
  if (!connectBackend(window)) {
    root.textContent =
      "Baton's interface runs inside the Baton desktop app, or in a browser with `baton preview` (open the URL it prints).";
    return;
  }
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void boot();
