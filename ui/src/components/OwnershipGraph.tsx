// The ownership map as a graph (@xyflow/react): actors on the left, resources on the right,
// an edge per rule owner, reader, follower, declaration, coding session's lease (with its age)
// and live branch edit, coloured by kind; conflicts in red with their reasons on hover. Never
// drawn smaller than its labels can be read (a large map is panned with the wheel), with a
// Find box that centres an agent or a resource. Drag a resource onto an agent to make it the owner: the agent
// under the pointer (its whole row) is the target, named below the map while dragging, and the
// drop asks before it writes (OwnershipView).

import {
  Background,
  Controls,
  getBezierPath,
  Handle,
  Panel,
  Position,
  ReactFlow,
  ReactFlowProvider,
  useNodesInitialized,
  useNodesState,
  useReactFlow,
  useStore,
  type Edge,
  type EdgeProps,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";

import { useNow } from "../lib/clock";
import { actorAtPoint } from "../lib/ownershipDrop";
import { findOnMap, layoutOwnership, READABLE_ZOOM, type Fold } from "../lib/ownershipLayout";
import type { Actor, MapEdge, OwnershipModel, Resource } from "../lib/ownershipModel";
import { leaseText } from "../lib/sessions";
import { clockTime } from "../lib/time";

export type GraphSelection = { edge: string } | { resource: string } | null;

type ActorNode = Node<{ actor: Actor; target: boolean }, "actor">;
type ResourceNode = Node<{ resource: Resource }, "resource">;
type GroupNode = Node<{ label: string }, "scope">;
type FoldNode = Node<{ fold: Fold; onOpen: (group: string) => void }, "fold">;
type AnyNode = ActorNode | ResourceNode | GroupNode | FoldNode;
type OwnershipEdge = Edge<{ edge: MapEdge }, "ownership">;

const ActorView = memo(function ActorView({ data, selected }: NodeProps<ActorNode>) {
  const { actor, target } = data;
  return (
    <div
      className={`map-actor map-actor--${actor.kind}${target ? " map-actor--target" : ""}${selected ? " is-selected" : ""}`}
      data-testid="map-actor"
      data-name={actor.name}
      title={
        actor.kind === "person"
          ? `${actor.name}: a person named by an exception rule`
          : actor.kind === "unknown"
            ? `${actor.name}: named by a rule, but no agent in Baton has this name`
            : actor.name
      }
    >
      <span className="map-actor-name">{actor.name}</span>
      {actor.kind !== "agent" ? <span className="map-actor-kind">{actor.kind}</span> : null}
      {actor.conflicts > 0 ? (
        <span className="map-count" aria-label={`${actor.conflicts} conflicts`}>
          {actor.conflicts}
        </span>
      ) : null}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const ResourceView = memo(function ResourceView({ data, selected }: NodeProps<ResourceNode>) {
  const { resource } = data;
  const conflicted = resource.conflicts.length > 0;
  return (
    <div
      className={`map-resource${conflicted ? " map-resource--conflict" : ""}${selected ? " is-selected" : ""}`}
      data-testid="map-resource"
      data-pattern={resource.pattern}
      title={conflicted ? resource.conflicts.join("\n") : `${resource.pattern}\nDrag onto an agent to make it the owner`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <span className="map-resource-pattern">{resource.pattern}</span>
    </div>
  );
});

function GroupView({ data }: NodeProps<GroupNode>) {
  return <div className="map-group">{data.label}</div>;
}

/** A large group folded into one row; its edges end here until it is opened. */
function FoldView({ data }: NodeProps<FoldNode>) {
  const { fold, onOpen } = data;
  return (
    <button
      type="button"
      className={`map-fold${fold.conflicts > 0 ? " map-resource--conflict" : ""}`}
      data-testid="map-fold"
      data-group={fold.group}
      onClick={() => onOpen(fold.group)}
      title={`Show the ${fold.count} resources of ${fold.group}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      {fold.group} — {fold.count} resources
      {fold.conflicts > 0 ? <span className="map-count">{fold.conflicts}</span> : null}
    </button>
  );
}

const OwnershipEdgeView = memo(function OwnershipEdgeView(props: EdgeProps<OwnershipEdge>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const edge = data!.edge;
  const conflict = edge.conflicts.length > 0;
  const what =
    edge.origin === "lease"
      ? `${edge.actor} holds ${edge.pattern}${edge.lease?.branch ? ` on the branch ${edge.lease.branch}` : ""} (a coding session's lease, since ${edge.lease ? clockTime(edge.lease.since) : "?"})`
      : edge.origin === "branch"
      ? `${edge.actor} changes ${edge.pattern} on the branch ${edge.branch?.name ?? "?"} (last write ${edge.branch ? clockTime(edge.branch.lastWrite) : "?"})`
      : edge.origin === "declared"
      ? `${edge.actor} declares ${edge.role} ${edge.pattern}`
      : edge.origin === "reader"
        ? `${edge.actor} reads ${edge.pattern} (data rule)`
        : edge.origin === "sequence"
          ? `${edge.actor} follows the owner on ${edge.pattern} (${edge.role} rule)`
          : `${edge.actor} owns ${edge.pattern} (${edge.role} rule)`;
  const classes = [
    "map-edge",
    `map-edge--${edge.role}`,
    `map-edge--${edge.origin}`,
    conflict ? "map-edge--conflict" : "",
    selected ? "is-selected" : "",
  ].join(" ");
  return (
    <g className={classes} data-testid="map-edge" data-conflict={conflict ? "true" : "false"}>
      <title>{conflict ? `Conflict: ${edge.conflicts.join("\n")}` : what}</title>
      <path d={path} className="map-edge-hit" />
      <path d={path} className="map-edge-line" />
      {edge.lease ? <LeaseAge x={labelX} y={labelY - 4} pattern={edge.pattern} lease={edge.lease} /> : null}
      {edge.branch ? (
        <text x={labelX} y={labelY - 4} className="map-edge-label" textAnchor="middle" data-testid="map-branch">
          {edge.branch.name}
        </text>
      ) : null}
    </g>
  );
});

/** A lease's age on its edge; only these re-render with the clock. */
function LeaseAge({ x, y, pattern, lease }: { x: number; y: number; pattern: string; lease: NonNullable<MapEdge["lease"]> }) {
  const now = useNow();
  return (
    <text x={x} y={y} className="map-edge-label" textAnchor="middle" data-testid="map-lease-age">
      {leaseText({ resource: pattern, since: lease.since, last_write_at: lease.lastWrite }, now)}
    </text>
  );
}

const NODE_TYPES = { actor: ActorView, resource: ResourceView, scope: GroupView, fold: FoldView };

/**
 * Keeps the previous object for an id while its key (what it shows) is unchanged, so an edit
 * re-renders only the nodes and edges it touched: React Flow skips elements whose object is the
 * same as before.
 */
function useStable<T>(): (id: string, key: string, make: () => T) => T {
  const cache = useRef(new Map<string, { key: string; value: T }>());
  return useCallback((id: string, key: string, make: () => T) => {
    const found = cache.current.get(id);
    if (found && found.key === key) return found.value;
    const value = make();
    cache.current.set(id, { key, value });
    return value;
  }, []);
}
const EDGE_TYPES = { ownership: OwnershipEdgeView };

type Stable = (id: string, key: string, make: () => AnyNode) => AnyNode;

function toNodes(
  model: OwnershipModel,
  selection: GraphSelection,
  stable: Stable,
  open: ReadonlySet<string>,
  onOpen: (group: string) => void,
): AnyNode[] {
  const layout = layoutOwnership(model, open);
  const selectedResource = selection && "resource" in selection ? selection.resource : null;
  return [
    ...layout.groups.map((g) =>
      stable(g.id, `${g.x},${g.y}`, (): GroupNode => ({
        id: g.id,
        type: "scope",
        position: { x: g.x, y: g.y },
        data: { label: g.item },
        draggable: false,
        selectable: false,
        focusable: false,
      })),
    ),
    ...layout.folds.map((f) =>
      stable(f.id, `${f.x},${f.y}|${f.item.count}|${f.item.conflicts}`, (): FoldNode => ({
        id: f.id,
        type: "fold",
        position: { x: f.x, y: f.y },
        data: { fold: f.item, onOpen },
        draggable: false,
        selectable: false,
      })),
    ),
    ...layout.actors.map((a) =>
      stable(a.id, `${a.x},${a.y}|${a.item.kind}|${a.item.name}|${a.item.conflicts}`, (): ActorNode => ({
        id: a.id,
        type: "actor",
        position: { x: a.x, y: a.y },
        data: { actor: a.item, target: false },
        draggable: false,
      })),
    ),
    ...layout.resources.map((r) => {
      const selected = r.id === selectedResource;
      const key = `${r.x},${r.y}|${selected}|${r.item.conflicts.join("\n")}`;
      return stable(r.id, key, (): ResourceNode => ({
        id: r.id,
        type: "resource",
        position: { x: r.x, y: r.y },
        data: { resource: r.item },
        selected,
      }));
    }),
  ];
}

interface GraphProps {
  model: OwnershipModel;
  selection: GraphSelection;
  onSelect(selection: GraphSelection): void;
  /** A resource was dropped onto an actor. */
  onDropOnActor(pattern: string, actor: Actor): void;
}

/** Where the pointer of a mouse or touch event is, on the screen. */
function pointerOf(event: MouseEvent | TouchEvent): { x: number; y: number } | null {
  if ("clientX" in event) return { x: event.clientX, y: event.clientY };
  const touch = event.changedTouches[0] ?? event.touches[0];
  return touch ? { x: touch.clientX, y: touch.clientY } : null;
}

function Graph({ model, selection, onSelect, onDropOnActor }: GraphProps) {
  const flow = useReactFlow<AnyNode, OwnershipEdge>();
  const [target, setTarget] = useState<string | null>(null);
  const [dragging, setDragging] = useState<string | null>(null);
  const stableNode = useStable<AnyNode>();
  const stableEdge = useStable<OwnershipEdge>();
  // Large groups start folded; opened ones stay open while the map is shown.
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const openGroup = useCallback((group: string) => setOpen((o) => new Set([...o, group])), []);
  const layout = useMemo(() => layoutOwnership(model, open), [model, open]);
  const initial = useMemo(
    () => toNodes(model, selection, stableNode, open, openGroup),
    [model, selection, stableNode, open, openGroup],
  );
  const [nodes, setNodes, onNodesChange] = useNodesState<AnyNode>(initial);
  useEffect(() => setNodes(initial), [initial, setNodes]);
  useEffect(
    () =>
      setNodes((current) =>
        current.map((n) =>
          n.type === "actor" && n.data.target !== (n.id === target)
            ? ({ ...n, data: { ...n.data, target: n.id === target } } as ActorNode)
            : n,
        ),
      ),
    [target, setNodes],
  );

  const selectedEdge = selection && "edge" in selection ? selection.edge : null;
  const edges = useMemo(() => {
    // An edge to a folded resource ends at its fold, once per actor, role and origin.
    const seen = new Set<string>();
    return model.edges.flatMap((e) => {
      const target = layout.foldOf.get(e.target) ?? e.target;
      const key = `${e.source}|${target}|${e.role}|${e.origin}`;
      if (target !== e.target && seen.has(key)) return [];
      seen.add(key);
      const id = target === e.target ? e.id : `e:${key}`;
      const selected = id === selectedEdge;
      return [
        stableEdge(id, `${selected}|${e.ruleId}|${target}|${e.conflicts.join("\n")}`, () => ({
          id,
          source: e.source,
          target,
          type: "ownership",
          data: { edge: e },
          selected,
          zIndex: e.conflicts.length > 0 ? 2 : e.origin === "declared" ? 0 : 1,
        })),
      ];
    });
  }, [model, layout, selectedEdge, stableEdge]);

  // The agent under the pointer (not whichever node the dragged card happens to touch).
  const actorUnder = useCallback(
    (event: MouseEvent | TouchEvent): ActorNode | null => {
      const pointer = pointerOf(event);
      if (!pointer) return null;
      const boxes = flow
        .getNodes()
        .filter((n): n is ActorNode => n.type === "actor")
        .map((node) => ({
          id: node.id,
          x: node.position.x,
          y: node.position.y,
          width: node.measured?.width ?? 150,
          height: node.measured?.height ?? 32,
          node,
        }));
      return actorAtPoint(boxes, flow.screenToFlowPosition(pointer))?.node ?? null;
    },
    [flow],
  );
  const targetName = target ? (model.actors.find((a) => a.id === target)?.name ?? null) : null;

  // At first, the whole map when it fits the panel at a readable size; else its top left, and
  // the wheel pans it (never shrunk below READABLE_ZOOM).
  const initialized = useNodesInitialized();
  const paneHeight = useStore((state) => state.height);
  const placed = useRef(false);
  useEffect(() => {
    if (placed.current || !initialized || paneHeight === 0) return;
    placed.current = true;
    if ((layoutOwnership(model).height + 120) * READABLE_ZOOM <= paneHeight) {
      void flow.fitView({ padding: 0.08, minZoom: READABLE_ZOOM, maxZoom: 1.25 });
    }
  }, [initialized, paneHeight, model, flow]);

  // Find: centre the first agent or resource whose name holds the text (Enter), and select it.
  const [query, setQuery] = useState("");
  const [missing, setMissing] = useState(false);
  const find = () => {
    // Looked for in every group; a resource in a folded group opens it first.
    const everything = new Set(model.groups.map((g) => g.group));
    const hit = findOnMap(layoutOwnership(model, everything), query);
    setMissing(hit === null && query.trim() !== "");
    if (!hit) return;
    const group = model.resources.find((r) => r.id === hit.id)?.group;
    const opened = group && layout.foldOf.has(hit.id) ? new Set([...open, group]) : open;
    if (opened !== open) setOpen(opened);
    const found = findOnMap(layoutOwnership(model, opened), query) ?? hit;
    const node = flow.getNode(found.id);
    const width = node?.measured?.width ?? 200;
    const height = node?.measured?.height ?? 32;
    void flow.setCenter(found.x + width / 2, found.y + height / 2, {
      zoom: Math.max(flow.getZoom(), READABLE_ZOOM),
      duration: 250,
    });
    if (found.kind === "resource" && node?.type === "resource") onSelect({ resource: node.data.resource.pattern });
    setNodes((current) => current.map((n) => (n.selected === (n.id === found.id) ? n : { ...n, selected: n.id === found.id })));
  };

  return (
    <ReactFlow<AnyNode, OwnershipEdge>
      nodes={nodes}
      edges={edges}
      nodeTypes={NODE_TYPES}
      edgeTypes={EDGE_TYPES}
      onNodesChange={onNodesChange}
      onNodeDragStart={(_, node) => setDragging(node.type === "resource" ? node.data.resource.pattern : null)}
      onNodeDrag={(event, node) => setTarget(node.type === "resource" ? (actorUnder(event)?.id ?? null) : null)}
      onNodeDragStop={(event, node) => {
        const actor = actorUnder(event);
        setTarget(null);
        setDragging(null);
        setNodes(initial);
        if (actor && node.type === "resource") onDropOnActor(node.data.resource.pattern, actor.data.actor);
      }}
      onNodeClick={(_, node) => {
        if (node.type === "resource") onSelect({ resource: node.data.resource.pattern });
      }}
      onEdgeClick={(_, edge) => onSelect({ edge: edge.id })}
      onPaneClick={() => onSelect(null)}
      nodesConnectable={false}
      edgesFocusable
      elementsSelectable
      onlyRenderVisibleElements
      defaultViewport={{ x: 24, y: 24, zoom: READABLE_ZOOM }}
      minZoom={READABLE_ZOOM}
      maxZoom={2}
      panOnScroll
      colorMode="dark"
      proOptions={{ hideAttribution: true }}
      deleteKeyCode={null}
    >
      {dragging ? (
        <Panel position="bottom-center">
          <div className="map-drop-hint" role="status" data-testid="map-drop-hint" data-target={targetName ?? ""}>
            {targetName ? (
              <>
                Drop to make <strong>{targetName}</strong> the owner of <span className="mono">{dragging}</span>
              </>
            ) : (
              <>Drop on an agent to make it the owner of <span className="mono">{dragging}</span></>
            )}
          </div>
        </Panel>
      ) : null}
      <Panel position="bottom-right">
        <input
          type="search"
          className="map-find"
          data-testid="map-find"
          aria-label="Find an agent or a resource on the map"
          placeholder="Find an agent or resource (Enter)"
          value={query}
          aria-invalid={missing}
          title={missing ? "Nothing on the map has this in its name" : undefined}
          onChange={(ev) => {
            setQuery(ev.target.value);
            setMissing(false);
          }}
          onKeyDown={(ev) => {
            if (ev.key === "Enter") {
              ev.preventDefault();
              find();
            } else if (ev.key === "Escape") {
              setQuery("");
              setMissing(false);
            }
          }}
        />
      </Panel>
      <Background gap={24} size={1} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}

export function OwnershipGraph(props: GraphProps) {
  return (
    <div className="map-graph" data-testid="ownership-graph">
      <ReactFlowProvider>
        <Graph {...props} />
      </ReactFlowProvider>
    </div>
  );
}
