import { useState } from "react";

import { startDemoFleet, toBackendError } from "../lib/backend";

/** Shown on first start, when no agents are configured. */
export function FirstRun({
  onDemoStarted,
  onAddAgent,
}: {
  /** Called after the demo fleet is up; resolves once the app has reloaded its data. */
  onDemoStarted: () => Promise<void>;
  onAddAgent: () => void;
}) {
  const [state, setState] = useState<"idle" | "starting" | { error: string }>("idle");

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
  return (
    <section className="view first-run" aria-labelledby="first-run-title">
      <div className="first-run-card">
        <img src="/baton.svg" alt="" className="first-run-logo" width={48} height={48} />
        <h1 id="first-run-title">Welcome to Baton</h1>
        <p>
          Baton is mission control for the AI agents you run: it polls each agent&apos;s endpoint and puts all of
          their tasks on one live board.
        </p>
        <p>
          It catches the trouble that lives between agents (two writers on one record, a handoff nobody
          picked up, a task waiting on a human) that no single agent&apos;s log shows.
        </p>
        <div className="first-run-actions">
          <button
            type="button"
            className="button button--primary button--large"
            data-testid="start-demo"
            onClick={start}
            disabled={starting}
          >
            Start demo fleet
          </button>
          <button
            type="button"
            className="button button--large"
            data-testid="add-agent"
            onClick={onAddAgent}
            disabled={starting}
          >
            Add an agent
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
    </section>
  );
}
