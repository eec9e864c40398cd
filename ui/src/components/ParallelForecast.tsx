// "Will it conflict?" on a parallel-edit item: its branches and their checkouts, and git's
// forecast for each pair of them (git merges two at a time) as they are now: merges cleanly,
// cannot tell why, or for each conflicted file each branch's lines side by side, with their
// text when the checkouts still hold them as git saw them; when git was asked; then the files
// and the branches that change each. One pair reads as a table of its two sides; several, each
// pair its line, with the table when it conflicts. Reloads when the item or its finding changes
// (git's answer updates the finding).

import { memo, useCallback, useEffect, useRef, useState } from "react";

import type { BranchPair } from "../bindings/BranchPair";
import type { ConflictText } from "../bindings/ConflictText";
import type { ConflictedFile } from "../bindings/ConflictedFile";
import type { HunkText } from "../bindings/HunkText";
import type { ParallelEditView } from "../bindings/ParallelEditView";
import { parallelEdit, toBackendError } from "../lib/backend";
import { CONFLICT_KIND_TEXT, forecastVerdict, itemVerdict, rangesText } from "../lib/parallelEdits";
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
  const { verdict, text } = itemVerdict(edit.pairs);
  const several = edit.pairs.length > 1;
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
      {edit.pairs.map((pair) => (
        <PairForecast key={`${pair.branch_a} ${pair.branch_b}`} pair={pair} edit={edit} several={several} />
      ))}
      <Files edit={edit} />
    </section>
  );
});

/** One pair's forecast: with several pairs, its line ("a with b: merges cleanly"); its two sides when it conflicts, or when it is the only pair. */
function PairForecast({ pair, edit, several }: { pair: BranchPair; edit: ParallelEditView; several: boolean }) {
  const conflicts = pair.forecast?.outcome === "conflicts" ? pair.forecast : null;
  const texts = edit.texts.find((t) => t.branch_a === pair.branch_a && t.branch_b === pair.branch_b)?.texts ?? [];
  const { verdict, text } = forecastVerdict(pair.forecast);
  const worktree = (branch: string) => edit.branches.find((b) => b.branch === branch)?.worktree ?? "";
  return (
    <div className="esc-pair" data-testid="parallel-pair" data-pair={`${pair.branch_a} ${pair.branch_b}`} data-verdict={verdict}>
      {several ? (
        <p className="esc-pair-head">
          <span className="tag tag--branch">{pair.branch_a}</span> with <span className="tag tag--branch">{pair.branch_b}</span>:{" "}
          <span className={`esc-verdict esc-verdict--${verdict}`}>{text}</span>
        </p>
      ) : null}
      {several && !conflicts ? null : (
        <table className="esc-sides">
          <thead>
            <tr>
              <th scope="col">File</th>
              <Side branch={pair.branch_a} worktree={worktree(pair.branch_a)} />
              <Side branch={pair.branch_b} worktree={worktree(pair.branch_b)} />
            </tr>
          </thead>
          <tbody>
            {conflicts?.files.map((file) => (
              <ConflictRow key={file.path} file={file} text={texts.find((t) => t.path === file.path)} />
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
      )}
    </div>
  );
}

/** The files: "Both change a, b of shop." for two branches; with more, each file and the branches that change it. */
function Files({ edit }: { edit: ParallelEditView }) {
  const repository = <span title={edit.repository}>{edit.repository_name}</span>;
  if (edit.branches.length <= 2) {
    return (
      <p className="muted small esc-parallel-files">
        Both change{" "}
        <span data-testid="parallel-files">
          {edit.files.map((f, i) => (
            <span key={f.path}>
              {i > 0 ? ", " : null}
              <code className="mono">{f.path}</code>
            </span>
          ))}
        </span>{" "}
        of {repository}.
      </p>
    );
  }
  return (
    <div className="muted small esc-parallel-files">
      {edit.branches.length} branches of {repository} change:
      <ul className="esc-parallel-file-list" data-testid="parallel-files">
        {edit.files.map((f) => (
          <li key={f.path} data-testid="parallel-file" data-path={f.path}>
            <code className="mono">{f.path}</code>{" "}
            {f.branches.map((b) => (
              <span key={b} className="tag tag--branch">
                {b}
              </span>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}

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
