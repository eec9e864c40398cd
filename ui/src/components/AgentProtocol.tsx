// The agent form's protocol: Test connection (which also detects whether the agent speaks baton/1
// or A2A), its result, and the Protocol field that shows what was detected and lets a person
// override it.

import { useState } from "react";

import type { AdapterKind } from "../bindings/AdapterKind";
import type { AgentDraft } from "../bindings/AgentDraft";
import type { ConnectionReport } from "../bindings/ConnectionReport";
import {
  ADAPTER_LABEL,
  ADAPTERS,
  choiceHint,
  detectedText,
  isAdapter,
  urlKey,
  type AdapterChoice,
} from "../lib/adapters";
import { testConnection, toBackendError } from "../lib/backend";

export type TestState =
  | { state: "idle" }
  /** `detecting`: run by saving a new agent, to learn its protocol. */
  | { state: "running"; detecting: boolean }
  /** `url`: the tested base URL (a urlKey). */
  | { state: "done"; report: ConnectionReport; url: string }
  | { state: "error"; message: string };

/** Test connection's state and the protocol the form will save. */
export function useConnectionTest(initial: () => AdapterChoice) {
  const [test, setTest] = useState<TestState>({ state: "idle" });
  const [choice, setChoice] = useState<AdapterChoice>(initial);

  /** Tests the draft once; the protocol that answered becomes the form's. Null when it threw. */
  const run = async (
    draft: AgentDraft,
    token: string | null,
    storedFor: number | null,
    detecting: boolean,
  ): Promise<ConnectionReport | null> => {
    setTest({ state: "running", detecting });
    const url = urlKey(draft.base_url);
    try {
      const report = await testConnection(draft, token, storedFor);
      setTest({ state: "done", report, url });
      const adapter = report.ok ? report.adapter : null;
      if (adapter) setChoice({ adapter, source: "detected", url });
      return report;
    } catch (thrown) {
      setTest({ state: "error", message: toBackendError(thrown).message });
      return null;
    }
  };

  /** Whether the protocol of `url` is known: tested successfully, or chosen by hand. */
  const settled = (url: string): boolean =>
    choice.source === "manual" ||
    (test.state === "done" && test.report.ok && !!test.report.adapter && test.url === urlKey(url));

  return {
    test,
    choice,
    choose: (adapter: AdapterKind) => setChoice({ adapter, source: "manual" }),
    run,
    settled,
  };
}

/** The Protocol select: what was detected (or saved), which a person may override. */
export function ProtocolField({
  id,
  choice,
  url,
  adding,
  disabled,
  onChoose,
}: {
  id: string;
  choice: AdapterChoice;
  url: string;
  adding: boolean;
  disabled?: boolean;
  onChoose: (adapter: AdapterKind) => void;
}) {
  const hintId = `${id}-hint`;
  return (
    <div className="field field--protocol">
      <label htmlFor={id}>Protocol</label>
      <select
        id={id}
        className="select"
        data-testid="agent-protocol"
        data-source={choice.source}
        value={choice.adapter}
        disabled={disabled}
        aria-describedby={hintId}
        onChange={(e) => {
          if (isAdapter(e.target.value)) onChoose(e.target.value);
        }}
      >
        {ADAPTERS.map((a) => (
          <option key={a} value={a}>
            {ADAPTER_LABEL[a]}
          </option>
        ))}
      </select>
      <p className="field-hint" id={hintId} data-testid="agent-protocol-hint">
        {choiceHint(choice, url, adding)}
      </p>
    </div>
  );
}

export function TestResult({ test }: { test: TestState }) {
  if (test.state === "idle") return null;
  if (test.state === "running") {
    return (
      <div className="test-result test-result--running" role="status" data-testid="agent-test-result">
        {test.detecting ? "Detecting protocol…" : "Polling the endpoint once…"}
      </div>
    );
  }
  if (test.state === "error") {
    return (
      <div className="test-result test-result--fail" role="status" data-testid="agent-test-result">
        <strong>Failed</strong> {test.message}
      </div>
    );
  }
  const { report } = test;
  const detected = detectedText(report);
  return (
    <div
      className={`test-result ${report.ok ? "test-result--ok" : "test-result--fail"}`}
      role="status"
      data-testid="agent-test-result"
    >
      <strong>{report.ok ? "Connected" : "Failed"}</strong> {report.message}
      {detected ? (
        <div className="test-detected" data-testid="agent-detected" data-adapter={report.adapter}>
          {detected}
        </div>
      ) : null}
    </div>
  );
}
