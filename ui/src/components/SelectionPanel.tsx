// The side panel for what is selected on the map when it is not a rule: a resource (its rules
// and who declares it) or a declaration (with a shortcut to make a rule of it).

import type { OwnershipMap } from "../bindings/OwnershipMap";
import type { Rule } from "../bindings/Rule";
import type { GraphSelection } from "./OwnershipGraph";
import type { OwnershipModel, Role } from "../lib/ownershipModel";

const KIND_OF_ROLE: Partial<Record<Role, Rule["kind"]>> = { trigger: "trigger", write: "data", output: "output" };

export function SelectionPanel({
  map,
  model,
  selection,
  onOpenRule,
  onNewRule,
  onClose,
}: {
  map: OwnershipMap;
  model: OwnershipModel;
  selection: NonNullable<GraphSelection>;
  busy: boolean;
  onOpenRule(id: number): void;
  onNewRule(rule: Rule): void;
  onClose(): void;
}) {
  const edge = "edge" in selection ? model.edges.find((e) => e.id === selection.edge) : undefined;
  const pattern = "resource" in selection ? selection.resource : edge?.pattern;
  const resource = model.resources.find((r) => r.pattern === pattern);
  if (!resource) return null;
  const declared = model.edges.filter((e) => e.target === resource.id && e.origin === "declared");
  const kind = edge ? KIND_OF_ROLE[edge.role] : undefined;

  return (
    <section className="selection-panel" data-testid="selection-panel" aria-label="Selection">
      <header className="panel-head">
        <h3 className="mono">{resource.pattern}</h3>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      {edge && edge.origin === "declared" ? (
        <div className="selection-claim">
          <p>
            <strong>{edge.actor}</strong> declares {edge.role} <code>{edge.pattern}</code>.
          </p>
          {kind ? (
            <button
              type="button"
              className="button"
              data-testid="claim-make-rule"
              onClick={() => onNewRule({ kind, pattern: edge.pattern, owner: edge.actor })}
            >
              Make a rule: {edge.actor} owns it
            </button>
          ) : null}
        </div>
      ) : null}
      <h4>Rules</h4>
      {resource.rules.length === 0 ? <p className="muted">None: nobody has been given it.</p> : null}
      <ul className="plain-list">
        {resource.rules.map((id) => {
          const rule = map.rules.find((r) => r.id === id);
          if (!rule) return null;
          return (
            <li key={rule.id}>
              <button type="button" className="link-button" onClick={() => onOpenRule(rule.id)}>
                {rule.kind} → {rule.owner}
                {(rule.readers ?? []).length > 0 ? ` (read by ${(rule.readers ?? []).join(", ")})` : ""}
                {(rule.sequence ?? []).length > 0 ? ` (then ${(rule.sequence ?? []).join(", ")})` : ""}
              </button>
            </li>
          );
        })}
      </ul>
      <h4>Declared by</h4>
      {declared.length === 0 ? <p className="muted">No agent declares it.</p> : null}
      <ul className="plain-list">
        {declared.map((e) => (
          <li key={e.id} className={e.conflicts.length > 0 ? "error" : undefined} title={e.conflicts.join("\n")}>
            {e.actor}: {e.role}
          </li>
        ))}
      </ul>
      {resource.rules.length === 0 && declared.length > 0 ? (
        <button
          type="button"
          className="button"
          onClick={() =>
            onNewRule({
              kind: KIND_OF_ROLE[declared.find((e) => KIND_OF_ROLE[e.role])?.role ?? "write"] ?? "data",
              pattern: resource.pattern,
              owner: declared[0]!.actor,
            })
          }
        >
          New rule for this resource
        </button>
      ) : null}
    </section>
  );
}
