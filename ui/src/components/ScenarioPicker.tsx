// "Run a scenario": starts one detector's scripted scenario next to the fleet (its agents, rules
// and handoff schemas), so the queue can be tried without agents of one's own.

import { useEffect, useId, useState } from "react";

import type { ScenarioInfo } from "../bindings/ScenarioInfo";
import { listScenarios, startScenario, toBackendError } from "../lib/backend";

export function ScenarioPicker() {
  const [scenarios, setScenarios] = useState<ScenarioInfo[]>([]);
  const [chosen, setChosen] = useState("write-collision");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const selectId = useId();

  useEffect(() => {
    let live = true;
    listScenarios()
      .then((list) => {
        if (live) setScenarios(list);
      })
      .catch(() => {
        // No picker without the list; the queue works on.
      });
    return () => {
      live = false;
    };
  }, []);

  if (scenarios.length === 0) return null;
  const description = scenarios.find((s) => s.name === chosen)?.description ?? "";

  const run = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const agents = await startScenario(chosen);
      const names = agents.map((a) => a.name).join(", ");
      setMessage({ text: `Running ${chosen}: ${names}. Its escalation appears here in seconds.`, error: false });
    } catch (thrown) {
      setMessage({ text: `Could not start ${chosen}: ${toBackendError(thrown).message}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="scenario-picker" data-testid="scenario-picker">
      <label htmlFor={selectId} className="muted small">
        Try a scenario
      </label>
      <select
        id={selectId}
        data-testid="scenario-select"
        value={chosen}
        title={description}
        disabled={busy}
        onChange={(ev) => setChosen(ev.target.value)}
      >
        {scenarios.map((s) => (
          <option key={s.name} value={s.name} title={s.description}>
            {s.name}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="button button--small"
        data-testid="scenario-run"
        disabled={busy}
        title={description}
        onClick={() => void run()}
      >
        {busy ? "Starting…" : "Run"}
      </button>
      {message ? (
        <span
          className={message.error ? "scenario-message scenario-message--error" : "scenario-message muted small"}
          role={message.error ? "alert" : "status"}
          data-testid="scenario-message"
        >
          {message.text}
        </span>
      ) : null}
    </div>
  );
}
