import { useState, type FormEvent } from "react";

import type { HooksInstalled } from "../bindings/HooksInstalled";
import { installHooks, toBackendError, type HooksClient, type PermitModeName } from "../lib/backend";
import { CLIENT_LABEL } from "../lib/sessions";
import { FormError } from "./FormError";
import { Modal } from "./Modal";
import { ModalActions } from "./ModalActions";

const CLIENTS: HooksClient[] = ["claude-code", "codex", "copilot"];

const MODE_HINT: Record<PermitModeName, string> = {
  observe: "Record what the sessions do; never stop a write.",
  warn: "Let a conflicting write through, and put it in the queue.",
  enforce: "Refuse a write another session holds, tell the session why, and put it in the queue.",
};

/** "Watch coding sessions in a repository…": installs Baton's hooks for a coding agent there. */
export function WatchSessionsDialog({ onClose }: { onClose: () => void }) {
  const [client, setClient] = useState<HooksClient>("claude-code");
  const [project, setProject] = useState("");
  const [mode, setMode] = useState<PermitModeName>("warn");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<HooksInstalled | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!project.trim()) {
      setError("Give the repository's full path, e.g. /home/you/code/shop.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      setDone(await installHooks(client, project.trim(), mode));
    } catch (thrown) {
      setError(toBackendError(thrown).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Watch coding sessions in a repository" onClose={onClose} initialFocus="[data-autofocus]" testId="watch-sessions">
      <form onSubmit={submit}>
        <div className="modal-body">
          <p className="muted">
            Baton adds its hooks to the agent&apos;s settings in that repository, next to your own hooks (the file is
            backed up first). Every session there then shows here, and asks Baton before it writes a file another
            session is working on.
          </p>
          <div className="field">
            <label htmlFor="watch-client">Coding agent</label>
            <select
              id="watch-client"
              className="select"
              data-testid="watch-client"
              value={client}
              onChange={(e) => setClient(e.target.value as HooksClient)}
            >
              {CLIENTS.map((c) => (
                <option key={c} value={c}>
                  {CLIENT_LABEL[c]}
                </option>
              ))}
            </select>
          </div>
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
              <option value="warn">warn (default)</option>
              <option value="enforce">enforce</option>
              <option value="observe">observe</option>
            </select>
            <p id="watch-mode-hint" className="field-hint">
              {MODE_HINT[mode]}
            </p>
          </div>
          <FormError error={error} testId="watch-error" />
          {done ? (
            <div className="banner banner--ok" role="status" data-testid="watch-done">
              <p>
                {done.changed ? "Baton's hooks are in " : "Baton's hooks were already in "}
                <span className="mono">{done.file}</span>. New sessions there show on this page.
              </p>
              {done.notes.length > 0 ? (
                <ul>
                  {done.notes.map((note) => (
                    <li key={note}>{note}</li>
                  ))}
                </ul>
              ) : null}
            </div>
          ) : null}
        </div>
        <ModalActions onCancel={onClose} cancelLabel={done ? "Close" : "Cancel"} cancelTestId="watch-close">
          <button type="submit" className="button button--primary" disabled={busy} data-testid="watch-install">
            {busy ? "Installing…" : "Install hooks"}
          </button>
        </ModalActions>
      </form>
    </Modal>
  );
}
