import { useEffect, useRef, useState } from "react";

import { startDemoFleet, toBackendError } from "../lib/backend";
import { useRights } from "../lib/rights";
import { WatchSessionsDialog } from "./WatchSessionsDialog";

/**
 * Shown on first start, when Baton watches no agent: three doors (the demo fleet, an HTTP agent,
 * coding sessions in a repository), buttons in tab order, the first focused.
 */
export function FirstRun({
  onDemoStarted,
  onAddAgent,
  onWatching,
}: {
  /** Called after the demo fleet is up; resolves once the app has reloaded its data. */
  onDemoStarted: () => Promise<void>;
  onAddAgent: () => void;
  /** Hooks were installed in a repository: its sessions show on the Agents view as they start. */
  onWatching: () => void;
}) {
  const [state, setState] = useState<"idle" | "starting" | { error: string }>("idle");
  const [watching, setWatching] = useState(false);
  const firstDoor = useRef<HTMLButtonElement>(null);

  useEffect(() => firstDoor.current?.focus(), []);

  const start = async () => {
    setState("starting");
    try {
      await startDemoFleet();
      await onDemoStarted();
    } catch (thrown) {
      setState({ error: toBackendError(thrown).message });
    }
  };

  const starting = state === "starting";
  // A viewer role adds nothing; an app that only views runs no demo (nobody would poll it).
  const { cannotChange, cannotRunFleets } = useRights();
  return (
    <section className="view first-run" aria-labelledby="first-run-title" data-testid="first-run">
      <div className="first-run-card">
        <img src="/baton.svg" alt="" className="first-run-logo" width={48} height={48} />
        <h1 id="first-run-title">Welcome to Baton</h1>
        <p>
          Baton is mission control for the AI agents you run: the HTTP agents it polls and the coding sessions (Claude
          Code, Codex, Copilot CLI, Gemini CLI, OpenCode) it hears through their hooks, all on one live board.
        </p>
        <p>
          It catches the trouble that lives between agents (two writers on one file or record, a handoff nobody picked
          up, a task waiting on a human) that no single agent&apos;s log shows.
        </p>
        <div className="first-run-doors" role="group" aria-label="Get started">
          <button
            ref={firstDoor}
            type="button"
            className="first-run-door first-run-door--primary"
            data-testid="start-demo"
            onClick={start}
            disabled={starting || cannotRunFleets !== null}
            title={cannotRunFleets ?? undefined}
          >
            <strong>Start the demo fleet</strong>
            <span>Five simulated agents on this machine, trouble included.</span>
          </button>
          <button type="button" className="first-run-door" data-testid="add-agent" onClick={onAddAgent} disabled={starting || cannotChange !== null} title={cannotChange ?? undefined}>
            <strong>Add an HTTP agent</strong>
            <span>An agent that answers baton/1 or A2A at a URL: Baton polls it.</span>
          </button>
          <button
            type="button"
            className="first-run-door"
            data-testid="first-run-watch"
            onClick={() => setWatching(true)}
            disabled={starting || cannotChange !== null}
            title={cannotChange ?? undefined}
          >
            <strong>Watch coding sessions in a repository…</strong>
            <span>Install Baton&apos;s hooks for Claude Code, Codex, Copilot CLI, Gemini CLI or OpenCode there.</span>
          </button>
        </div>
        {starting ? (
          <div className="progress" role="status" data-testid="demo-progress">
            <span>Starting 5 simulated agents…</span>
            <div className="progress-bar" aria-hidden="true">
              <div className="progress-bar-fill" />
            </div>
          </div>
        ) : null}
        {typeof state === "object" ? (
          <p className="form-error" role="alert">
            Could not start the demo fleet: {state.error}
          </p>
        ) : null}
        <p className="muted small first-run-foot">
          The demo fleet runs on this machine only (loopback) and can be removed from the Agents view.
        </p>
      </div>
      {watching ? (
        <WatchSessionsDialog
          onClose={(installed) => {
            setWatching(false);
            if (installed) onWatching();
          }}
        />
      ) : null}
    </section>
  );
}
