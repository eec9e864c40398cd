// "Watch coding sessions in a repository…" (from the welcome screen and the Agents view):
// the repository's folder, the coding agents whose hooks to install there (those found on this
// machine ticked), and the permit mode explained in one line.

import { useEffect, useState, type FormEvent } from "react";

import type { HooksInstalled } from "../bindings/HooksInstalled";
import { codingClients, installHooks, toBackendError, type HooksClient, type PermitModeName } from "../lib/backend";
import { CLIENT_LABEL } from "../lib/sessions";
import { CLIENTS, MODE_HINT, MODES, tickedClients, watchProblem } from "../lib/watchSessions";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";

type Installed = { client: HooksClient; report: HooksInstalled };

/**
 * Installs Baton's hooks for the ticked coding agents in a repository. `onClose(installed)`:
 * whether hooks are in place for at least one agent.
 */
export function WatchSessionsDialog({ onClose }: { onClose: (installed: boolean) => void }) {
  const [found, setFound] = useState<HooksClient[] | null>(null);
  const [clients, setClients] = useState<HooksClient[] | null>(null);
  const [project, setProject] = useState("");
  const [mode, setMode] = useState<PermitModeName>("warn");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Installed[]>([]);

  // Which agents this machine has: ticked unless the person already chose.
  useEffect(() => {
    let live = true;
    codingClients().then(
      (list) => {
        if (!live) return;
        setFound(list);
        setClients((chosen) => chosen ?? tickedClients(list));
      },
      () => live && setClients((chosen) => chosen ?? tickedClients(null)),
    );
    return () => {
      live = false;
    };
  }, []);

  const ticked = clients ?? tickedClients(found);
  const toggle = (client: HooksClient, on: boolean) =>
    setClients(CLIENTS.filter((c) => (c === client ? on : ticked.includes(c))));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problem = watchProblem(project, ticked);
    if (problem) {
      setError(problem.message);
      return;
    }
    setBusy(true);
    setError(null);
    const reports: Installed[] = [];
    try {
      for (const client of ticked) reports.push({ client, report: await installHooks(client, project.trim(), mode) });
    } catch (thrown) {
      setError(toBackendError(thrown).message);
    } finally {
      setDone(reports);
      setBusy(false);
    }
  };

  const close = () => onClose(done.length > 0);
  return (
    <Modal title="Watch coding sessions in a repository" onClose={close} initialFocus="[data-autofocus]" testId="watch-sessions">
      <form onSubmit={submit}>
        <div className="modal-body">
          <p className="muted">
            Baton adds its hooks to each agent&apos;s settings in that repository, next to your own hooks (the file is
            backed up first). Every session there then shows on the Agents view, and asks Baton before it writes a file
            another session is working on.
          </p>
          <div className="field">
            <label htmlFor="watch-project">Repository folder</label>
            <input
              id="watch-project"
              data-testid="watch-project"
              data-autofocus
              value={project}
              placeholder="/home/you/code/shop"
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => setProject(e.target.value)}
            />
          </div>
          <fieldset className="watch-clients" data-testid="watch-clients">
            <legend>Coding agents</legend>
            {CLIENTS.map((c) => (
              <label key={c} className="checkbox">
                <input
                  type="checkbox"
                  data-testid="watch-client"
                  data-client={c}
                  checked={ticked.includes(c)}
                  onChange={(e) => toggle(c, e.target.checked)}
                />
                {CLIENT_LABEL[c]}
                {found?.includes(c) ? <span className="muted small">found on this machine</span> : null}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="watch-mode">When two sessions want one file</label>
            <select
              id="watch-mode"
              className="select"
              data-testid="watch-mode"
              value={mode}
              aria-describedby="watch-mode-hint"
              onChange={(e) => setMode(e.target.value as PermitModeName)}
            >
              {MODES.map((m) => (
                <option key={m.mode} value={m.mode}>
                  {m.label}
                </option>
              ))}
            </select>
            <p id="watch-mode-hint" className="field-hint" data-testid="watch-mode-hint">
              {MODE_HINT[mode]}
            </p>
          </div>
          <FormError error={error} testId="watch-error" />
          {done.length > 0 ? (
            <div className="banner banner--ok" role="status" data-testid="watch-done">
              {done.map(({ client, report }) => (
                <div key={client}>
                  <p>
                    {CLIENT_LABEL[client]}: {report.changed ? "Baton's hooks are in " : "Baton's hooks were already in "}
                    <span className="mono">{report.file}</span>.
                  </p>
                  {report.notes.length > 0 ? (
                    <ul>
                      {report.notes.map((note) => (
                        <li key={note}>{note}</li>
                      ))}
                    </ul>
                  ) : null}
                </div>
              ))}
              <p>New sessions there show on the Agents view as they start.</p>
            </div>
          ) : null}
        </div>
        <ModalActions onCancel={close} cancelLabel={done.length > 0 ? "Close" : "Cancel"} cancelTestId="watch-close">
          <button type="submit" className="button button--primary" disabled={busy} data-testid="watch-install">
            {busy ? "Installing…" : "Install hooks"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
