// The ownership map view: the graph (or the matrix), the side panel with the exact rule text,
// and the conflicts with their resolutions. Edits go to the backend one at a time and come back
// as the new, re-linted map; Ctrl+Z / Ctrl+Shift+Z undo and redo them.

import { useCallback, useEffect, useMemo, useState } from "react";

import type { Rule } from "../bindings/Rule";
import { buildOwnershipModel, ruleForDrop, type Actor } from "../lib/ownershipModel";
import { plainRule } from "../lib/ruleHistory";
import type { Ownership } from "../lib/useOwnership";
import { useRuleEdits } from "../lib/useRuleEdits";
import { ConflictList } from "./ConflictList";
import { DropConfirm, type DropChange } from "./DropConfirm";
import { OwnershipGraph, type GraphSelection } from "./OwnershipGraph";
import { OwnershipMatrix } from "./OwnershipMatrix";
import { RulePanel } from "./RulePanel";
import { SelectionPanel } from "./SelectionPanel";
import { isTyping } from "../lib/typing";
import { useRights } from "../lib/rights";

type Panel = { type: "rule"; id: number } | { type: "new"; rule: Rule } | null;


const BLANK: Rule = { kind: "data", pattern: "", owner: "" };

export function OwnershipView({ ownership }: { ownership: Ownership }) {
  const { map } = ownership;
  const edits = useRuleEdits(ownership);
  const [mode, setMode] = useState<"graph" | "matrix">("graph");
  const [selection, setSelection] = useState<GraphSelection>(null);
  const [panel, setPanel] = useState<Panel>(null);
  const [dropped, setDropped] = useState<DropChange | null>(null);
  const model = useMemo(() => (map ? buildOwnershipModel(map) : null), [map]);
  const { undo, redo } = edits;
  // A viewer role changes nothing: every edit disabled, the reason on hover.
  const { cannotChange } = useRights();

  const select = useCallback(
    (next: GraphSelection) => {
      setSelection(next);
      if (next && "edge" in next && model && map) {
        const edge = model.edges.find((e) => e.id === next.edge);
        const rule = edge?.ruleId != null ? map.rules.find((r) => r.id === edge.ruleId) : undefined;
        setPanel(rule ? { type: "rule", id: rule.id } : null);
      } else {
        setPanel(null);
      }
    },
    [model, map],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTyping(e.target) || document.querySelector('[aria-modal="true"]')) return;
      const mod = e.ctrlKey || e.metaKey;
      if (mod && cannotChange !== null) return;
      if (mod && e.key.toLowerCase() === "z") {
        e.preventDefault();
        void (e.shiftKey ? redo() : undo());
      } else if (mod && e.key.toLowerCase() === "y") {
        e.preventDefault();
        void redo();
      } else if (!mod && !e.altKey) {
        if (e.key === "n" && cannotChange === null) setPanel({ type: "new", rule: BLANK });
        else if (e.key === "g") setMode("graph");
        else if (e.key === "m") setMode("matrix");
        else if (e.key === "Escape") {
          setPanel(null);
          setSelection(null);
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo, cannotChange]);

  if (!map || !model) {
    return (
      <div className="view center-note" role="status">
        {ownership.error ? (
          <>
            <p role="alert">Could not load the ownership map: {ownership.error}</p>
            <button type="button" className="button" onClick={() => void ownership.refresh()}>
              Retry
            </button>
          </>
        ) : (
          <p className="muted">Loading…</p>
        )}
      </div>
    );
  }

  const dropOn = (pattern: string, actor: Actor) => {
    const change = ruleForDrop(map, pattern, actor.name);
    if (!change) return;
    if ("ambiguous" in change) {
      setSelection({ resource: pattern });
      setPanel(null);
      return;
    }
    // Nothing is written before the person has seen the rule and its overlaps.
    setDropped(change);
  };

  const writeDropped = (change: DropChange) => {
    setDropped(null);
    const before = change.id === null ? null : map.rules.find((r) => r.id === change.id);
    void edits.edit(before ? { id: before.id, rule: plainRule(before) } : null, change.rule);
  };

  const stored = panel?.type === "rule" ? map.rules.find((r) => r.id === panel.id) : undefined;
  const past = edits.history.past.at(-1);
  const next = edits.history.future[0];
  const actorNames = model.actors.map((a) => a.name);

  return (
    <div className="view ownership" data-testid="ownership-view" data-rules={map.rules.length}>
      <header className="view-header ownership-head">
        <h1>Ownership</h1>
        <span className="view-sub">
          {map.rules.length} rule{map.rules.length === 1 ? "" : "s"} · {model.resources.length} resources ·{" "}
          {map.agents.length} agents
        </span>
        <span className="spacer" />
        <div className="segmented" role="tablist" aria-label="Map layout">
          <button type="button" role="tab" aria-selected={mode === "graph"} data-testid="map-tab-graph" onClick={() => setMode("graph")} aria-keyshortcuts="g">
            Graph
          </button>
          <button type="button" role="tab" aria-selected={mode === "matrix"} data-testid="map-tab-matrix" onClick={() => setMode("matrix")} aria-keyshortcuts="m">
            Matrix
          </button>
        </div>
        <div className="ownership-actions">
          <button type="button" className="button" data-testid="undo" disabled={!past || edits.busy || cannotChange !== null} title={cannotChange ?? (past ? `Undo ${past.label} (Ctrl+Z)` : "Nothing to undo")} onClick={() => void undo()}>
            Undo
          </button>
          <button type="button" className="button" data-testid="redo" disabled={!next || edits.busy || cannotChange !== null} title={cannotChange ?? (next ? `Redo ${next.label} (Ctrl+Shift+Z)` : "Nothing to redo")} onClick={() => void redo()}>
            Redo
          </button>
          <button type="button" className="button button--primary" data-testid="new-rule" aria-keyshortcuts="n" disabled={cannotChange !== null} title={cannotChange ?? undefined} onClick={() => setPanel({ type: "new", rule: BLANK })}>
            New rule
          </button>
        </div>
      </header>
      <ul className="map-legend" aria-label="Legend">
        <li className="legend legend--trigger">trigger</li>
        <li className="legend legend--write">write</li>
        <li className="legend legend--read">read</li>
        <li className="legend legend--output">output</li>
        <li className="legend legend--exception">exception</li>
        <li className="legend legend--declared">declared</li>
        <li className="legend legend--lease" title="A coding session holds the file it is writing">
          lease
        </li>
        <li className="legend legend--branch" title="A live coding session changes the repository's file on its branch">
          branch edit
        </li>
        <li className="legend legend--conflict">conflict</li>
      </ul>
      {edits.error ? (
        <div className="banner banner--error" role="alert">
          {edits.error}
          <button type="button" className="link-button" onClick={edits.dismiss}>
            Dismiss
          </button>
        </div>
      ) : null}
      {edits.notice ? (
        <div className="banner banner--ok" role="status" data-testid="map-notice">
          {edits.notice.join(" · ")}
          <button type="button" className="link-button" onClick={edits.dismiss}>
            Dismiss
          </button>
        </div>
      ) : null}
      <div className="ownership-body">
        <div className="ownership-canvas">
          {model.actors.length === 0 && model.resources.length === 0 ? (
            <div className="center-note">
              <p className="muted">
                No rules and no declarations yet. Add a rule, import a <code>baton.toml</code> with <code>baton import</code>,
                or let agents declare what they touch (<code>agent.declares</code>).
              </p>
            </div>
          ) : mode === "graph" ? (
            <OwnershipGraph model={model} selection={selection} onSelect={select} onDropOnActor={dropOn} />
          ) : (
            <OwnershipMatrix model={model} selection={selection} onSelect={select} />
          )}
        </div>
        <aside className="ownership-side">
          {panel?.type === "new" ? (
            <RulePanel
              key="new"
              id={null}
              rule={panel.rule}
              actors={actorNames}
              busy={edits.busy}
              error={null}
              onSave={(rule) => void edits.edit(null, rule).then((ok) => ok && setPanel(null))}
              onDelete={() => {}}
              onClose={() => setPanel(null)}
            />
          ) : stored ? (
            <RulePanel
              key={`${stored.id}:${stored.updated_at}`}
              id={stored.id}
              rule={plainRule(stored)}
              actors={actorNames}
              busy={edits.busy}
              error={null}
              onSave={(rule) => void edits.edit({ id: stored.id, rule: plainRule(stored) }, rule)}
              onDelete={() =>
                void edits.edit({ id: stored.id, rule: plainRule(stored) }, null).then((ok) => {
                  if (ok) {
                    setPanel(null);
                    setSelection(null);
                  }
                })
              }
              onClose={() => setPanel(null)}
            />
          ) : selection ? (
            <SelectionPanel
              map={map}
              model={model}
              selection={selection}
              busy={edits.busy}
              onOpenRule={(id) => setPanel({ type: "rule", id })}
              onNewRule={(rule) => setPanel({ type: "new", rule })}
              onClose={() => setSelection(null)}
            />
          ) : null}
          <ConflictList
            conflicts={map.conflicts}
            rules={map.rules}
            busy={edits.busy}
            onResolve={(dispute, resolution) => void edits.resolve(dispute, resolution)}
            onOpenRule={(id) => setPanel({ type: "rule", id })}
          />
        </aside>
      </div>
      {dropped ? <DropConfirm map={map} change={dropped} onWrite={writeDropped} onCancel={() => setDropped(null)} /> : null}
    </div>
  );
}
