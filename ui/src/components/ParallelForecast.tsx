// "Will it conflict?" on a parallel-edit item: the two branches and their checkouts, git's
// forecast of their merge as they are now (merges cleanly, cannot tell why, or for each
// conflicted file each branch's lines side by side, with their text when the checkouts still
// hold them as git saw them) and when git was asked; then the files both branches change.
// Reloads when the item or its finding changes (git's answer updates the finding).

import { memo, useCallback, useEffect, useRef, useState } from "react";

import type { ConflictText } from "../bindings/ConflictText";
import type { ConflictedFile } from "../bindings/ConflictedFile";
import type { HunkText } from "../bindings/HunkText";
import type { ParallelEditView } from "../bindings/ParallelEditView";
import { parallelEdit, toBackendError } from "../lib/backend";
import { CONFLICT_KIND_TEXT, forecastVerdict, rangesText } from "../lib/parallelEdits";
import { agoText, dateTime } from "../lib/time";
import type { ChangeListener } from "../lib/useBatonData";

type Load = { state: "loading" } | { state: "ready"; edit: ParallelEditView | null } | { state: "error"; message: string };

const lastPart = (path: string) => path.split("/").filter(Boolean).pop() ?? path;

export const ParallelForecast = memo(function ParallelForecast({
  escalationId,
  findingId,
  now,
  subscribe,
}: {
  escalationId: number;
  findingId: number | null;
  now: number;
  subscribe(listener: ChangeListener): () => void;
}) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const generation = useRef(0);
  const alive = useRef(true);

  const fetchEdit = useCallback(() => {
    const mine = ++generation.current;
    parallelEdit(escalationId).then(
      (edit) => alive.current && mine === generation.current && setLoad({ state: "ready", edit }),
      (err: unknown) =>
        alive.current && mine === generation.current && setLoad({ state: "error", message: toBackendError(err).message }),
    );
  }, [escalationId]);

  useEffect(() => {
    alive.current = true;
    fetchEdit();
    const off = subscribe((e) => {
      const mine =
        (e.type === "escalations" && (e.changed.includes(escalationId) || e.opened.includes(escalationId))) ||
        (e.type === "findings" && findingId !== null && (e.updated.includes(findingId) || e.opened.includes(findingId)));
      if (mine) fetchEdit();
    });
    return () => {
      alive.current = false;
      off();
    };
  }, [fetchEdit, subscribe, escalationId, findingId]);

  if (load.state !== "ready" || load.edit === null) {
    return load.state === "error" ? (
      <section className="esc-parallel" aria-label="Will it conflict?" data-testid="parallel-forecast" data-state="error">
        <h3 className="esc-h">Will it conflict?</h3>
        <p className="form-error">{load.message}</p>
      </section>
    ) : null;
  }
  const edit = load.edit;
  const { verdict, text } = forecastVerdict(edit.forecast);
  const conflicts = edit.forecast?.outcome === "conflicts" ? edit.forecast : null;
  return (
    <section className="esc-parallel" aria-label="Will it conflict?" data-testid="parallel-forecast" data-verdict={verdict}>
      <div className="esc-parallel-head">
        <h3 className="esc-h">Will it conflict?</h3>
        <span className={`esc-verdict esc-verdict--${verdict}`} data-testid="parallel-verdict">
          {text}
        </span>
        <span className="spacer" />
        <span className="muted small" data-testid="parallel-checked">
          {edit.checked_at ? (
            <>
              checked by git{" "}
              <time dateTime={edit.checked_at} title={dateTime(edit.checked_at)}>
                {agoText(edit.checked_at, now)}
              </time>
            </>
          ) : (
            "git is asked once the writes pause"
          )}
        </span>
      </div>
      <table className="esc-sides">
        <thead>
          <tr>
            <th scope="col">File</th>
            <Side branch={edit.branch_a} worktree={edit.worktree_a} />
            <Side branch={edit.branch_b} worktree={edit.worktree_b} />
          </tr>
        </thead>
        <tbody>
          {conflicts?.files.map((file) => (
            <ConflictRow key={file.path} file={file} text={edit.texts.find((t) => t.path === file.path)} />
          ))}
          {conflicts && conflicts.more > 0 ? (
            <tr>
              <td colSpan={3} className="muted small">
                and {conflicts.more} more conflicted {conflicts.more === 1 ? "file" : "files"}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <p className="muted small esc-parallel-files">
        Both change{" "}
        <span data-testid="parallel-files">
          {edit.files.map((f, i) => (
            <span key={f}>
              {i > 0 ? ", " : null}
              <code className="mono">{f}</code>
            </span>
          ))}
        </span>{" "}
        of <span title={edit.repository}>{edit.repository_name}</span>.
      </p>
    </section>
  );
});

function Side({ branch, worktree }: { branch: string; worktree: string }) {
  return (
    <th scope="col">
      <span className="tag tag--branch">{branch}</span>{" "}
      <span className="muted small mono" title={worktree}>
        {lastPart(worktree)}
      </span>
    </th>
  );
}

function ConflictRow({ file, text }: { file: ConflictedFile; text: ConflictText | undefined }) {
  return (
    <tr data-testid="parallel-conflict" data-path={file.path}>
      <th scope="row">
        <code className="mono">{file.path}</code>
        <div className="muted small">{CONFLICT_KIND_TEXT[file.kind]}</div>
      </th>
      <td data-testid="parallel-side-a">
        <div>{rangesText(file.ours)}</div>
        <Hunks hunks={text?.a ?? null} />
      </td>
      <td data-testid="parallel-side-b">
        <div>{rangesText(file.theirs)}</div>
        <Hunks hunks={text?.b ?? null} />
      </td>
    </tr>
  );
}

function Hunks({ hunks }: { hunks: HunkText[] | null }) {
  if (!hunks || hunks.every((h) => h.lines.length === 0)) return null;
  return (
    <>
      {hunks.map((h) =>
        h.lines.length === 0 ? null : (
          <pre key={`${h.range.start}-${h.range.count}`} className="esc-hunk mono" data-testid="parallel-hunk">
            {h.lines.map((line, i) => (
              <span key={i} className="esc-hunk-line">
                <span className="esc-hunk-no" aria-hidden="true">
                  {h.range.start + i}
                </span>
                {line}
                {"\n"}
              </span>
            ))}
            {h.more > 0 ? <span className="muted">… {h.more} more lines</span> : null}
          </pre>
        ),
      )}
    </>
  );
}
