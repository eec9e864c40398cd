// The ownership map as a matrix, for when the graph gets dense: a row per resource, a column per
// actor, each cell the roles that actor has on that resource. Rows are virtualised.

import { useVirtualizer } from "@tanstack/react-virtual";
import { useMemo, useRef } from "react";

import type { GraphSelection } from "./OwnershipGraph";
import type { Actor, MapEdge, OwnershipModel, Role } from "../lib/ownershipModel";

const LETTER: Record<Role, string> = { trigger: "T", write: "W", read: "R", output: "O", exception: "E" };
const ROW_HEIGHT = 30;

/**
 * A cell's label: owned roles in capitals, followers with →, declarations in lower case, a
 * coding session's lease as L.
 */
export function cellLabel(edges: MapEdge[]): string {
  return edges
    .map((e) => {
      const letter = LETTER[e.role];
      if (e.origin === "declared") return letter.toLowerCase();
      if (e.origin === "sequence") return `→${letter}`;
      if (e.origin === "lease") return "L";
      if (e.origin === "branch") return `⑂${e.branch?.name ?? ""}`;
      return letter;
    })
    .join(" ");
}

export function OwnershipMatrix({
  model,
  selection,
  onSelect,
}: {
  model: OwnershipModel;
  selection: GraphSelection;
  onSelect(selection: GraphSelection): void;
}) {
  const cells = useMemo(() => {
    const byCell = new Map<string, MapEdge[]>();
    for (const e of model.edges) {
      const key = `${e.target}|${e.source}`;
      const list = byCell.get(key);
      if (list) list.push(e);
      else byCell.set(key, [e]);
    }
    return byCell;
  }, [model]);
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is not compiler-safe.
  const rows = useVirtualizer({
    count: model.resources.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: { width: 800, height: 600 },
  });
  const selectedResource = selection && "resource" in selection ? selection.resource : null;
  const selectedEdge = selection && "edge" in selection ? selection.edge : null;

  const cell = (resourceId: string, actor: Actor) => {
    const edges = cells.get(`${resourceId}|${actor.id}`) ?? [];
    if (edges.length === 0) return <td key={actor.id} className="matrix-cell" />;
    const conflicts = edges.flatMap((e) => e.conflicts);
    const primary = edges.find((e) => e.origin !== "declared") ?? edges[0]!;
    return (
      <td
        key={actor.id}
        className={`matrix-cell matrix-cell--filled${conflicts.length > 0 ? " matrix-cell--conflict" : ""}${
          edges.some((e) => e.id === selectedEdge) ? " is-selected" : ""
        }`}
        data-testid="matrix-cell"
        data-conflict={conflicts.length > 0 ? "true" : "false"}
      >
        <button
          type="button"
          className="matrix-cell-button"
          title={conflicts.length > 0 ? conflicts.join("\n") : edges.map((e) => `${e.actor}: ${e.origin} ${e.role}`).join("\n")}
          onClick={() => onSelect({ edge: primary.id })}
        >
          {cellLabel(edges)}
        </button>
      </td>
    );
  };

  return (
    <div className="matrix" data-testid="ownership-matrix">
      <p className="matrix-legend muted">
        T trigger · W write · R read · O output · E exception · capitals: rule · lower case: declared · → follows in a
        sequence · L a coding session&apos;s lease
      </p>
      <div className="matrix-scroll" ref={scroller}>
        <table className="matrix-table">
          <thead>
            <tr>
              <th className="matrix-corner">Resource</th>
              {model.actors.map((a) => (
                <th key={a.id} className={`matrix-actor matrix-actor--${a.kind}`} title={a.name}>
                  <span>{a.name}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.getVirtualItems().length > 0 && rows.getVirtualItems()[0]!.start > 0 ? (
              <tr style={{ height: rows.getVirtualItems()[0]!.start }} aria-hidden="true" />
            ) : null}
            {rows.getVirtualItems().map((row) => {
              const resource = model.resources[row.index]!;
              return (
                <tr
                  key={resource.id}
                  className={`matrix-row${resource.conflicts.length > 0 ? " matrix-row--conflict" : ""}${
                    resource.pattern === selectedResource ? " is-selected" : ""
                  }`}
                  style={{ height: ROW_HEIGHT }}
                  data-testid="matrix-row"
                  data-pattern={resource.pattern}
                >
                  <th scope="row" className="matrix-resource">
                    <button type="button" onClick={() => onSelect({ resource: resource.pattern })} title={resource.pattern}>
                      {resource.pattern}
                    </button>
                  </th>
                  {model.actors.map((a) => cell(resource.id, a))}
                </tr>
              );
            })}
            <tr
              style={{
                height: Math.max(0, rows.getTotalSize() - (rows.getVirtualItems().at(-1)?.end ?? 0)),
              }}
              aria-hidden="true"
            />
          </tbody>
        </table>
      </div>
    </div>
  );
}
