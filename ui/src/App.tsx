import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";

import { AgentForm, type AgentFormMode } from "./components/AgentForm";
import { AgentsView } from "./components/AgentsView";
import { BoardView } from "./components/BoardView";
import { DecisionLogView } from "./components/DecisionLogView";
import { EscalationQueue } from "./components/EscalationQueue";
import { FirstRun } from "./components/FirstRun";
import { Nav, VIEWS, type Badge, type View } from "./components/Nav";
import { NotificationsDialog } from "./components/NotificationsDialog";
import { RateLimitsView } from "./components/RateLimitsView";
import { StoreBanner } from "./components/StoreBanner";
import { StoreDialog } from "./components/StoreDialog";
import { StoreTooNewDialog } from "./components/StoreTooNewDialog";
import { TimelineView } from "./components/TimelineView";
import type { StoreOverview } from "./bindings/StoreOverview";
import { usePresence } from "./lib/usePresence";
import { RightsProvider, rightsOf } from "./lib/rights";
import { onOpenEscalation, storeOverview, toBackendError } from "./lib/backend";
import { ClockProvider } from "./lib/clock";
import { totalCards } from "./lib/board";
import { agentNames } from "./lib/agents";
import { queueBadge } from "./lib/escalations";
import { rateLimitBadge } from "./lib/rateLimits";
import { useBatonData } from "./lib/useBatonData";
import { useEscalations } from "./lib/useEscalations";
import { useOwnership } from "./lib/useOwnership";
import { useRateLimits } from "./lib/useRateLimits";
import { useStoreAway } from "./lib/useStoreAway";
import { useStoreTooNew } from "./lib/useStoreTooNew";

// The map (and its graph library) loads when first opened.
const OwnershipView = lazy(() => import("./components/OwnershipView").then((m) => ({ default: m.OwnershipView })));

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

export function App() {
  const tooNew = useStoreTooNew();
  if (tooNew) return <StoreTooNewDialog facts={tooNew} />;
  return <Baton />;
}

function Baton() {
  const data = useBatonData();
  const { agents, board, secrets, loadError, refreshAgents, refreshTasks, retry, subscribe } = data;
  const ownership = useOwnership(subscribe);
  const escalations = useEscalations(subscribe);
  const { refresh: refreshEscalations } = escalations;
  const [view, setView] = useState<View>("board");
  const rateLimits = useRateLimits(subscribe, view === "ratelimits");
  const [form, setForm] = useState<AgentFormMode | null>(null);
  const [selectedEscalation, setSelectedEscalation] = useState<number | null>(null);
  // One cause, one message: while the store does not answer, its banner says so (not every
  // load that failed meanwhile), and everything loads again when it answers.
  const storeAway = useStoreAway(subscribe, () => void retry());
  const [store, setStore] = useState<StoreOverview | null>(null);
  const [storeOpen, setStoreOpen] = useState(false);
  const [notificationsOpen, setNotificationsOpen] = useState(false);
  const [presence, setPresence] = usePresence(subscribe, storeOpen);
  const rights = useMemo(() => rightsOf(presence), [presence]);

  // The store's line in the nav, read again each time its dialog opens (the size moves).
  useEffect(() => {
    let active = true;
    storeOverview().then(
      (overview) => active && setStore(overview),
      (err: unknown) => console.error(`Baton: cannot read the store's overview: ${toBackendError(err).message}`),
    );
    return () => {
      active = false;
    };
  }, [storeOpen]);

  // The shell asks to open an escalation (its notification or the tray item was clicked).
  useEffect(() => {
    let active = true;
    let off: (() => void) | null = null;
    onOpenEscalation(({ id }) => {
      if (!active) return;
      setView("escalations");
      if (id !== null) setSelectedEscalation(id);
      void refreshEscalations();
    }).then(
      (unlisten) => {
        if (active) off = unlisten;
        else unlisten();
      },
      (err: unknown) => {
        // Not fatal: the queue still works, only the notifications' links do not.
        console.error(`Baton: cannot listen to "open escalation" requests: ${toBackendError(err).message}`);
      },
    );
    return () => {
      active = false;
      off?.();
    };
  }, [refreshEscalations]);

  // The timeline opens an escalation in the queue.
  const openEscalation = useCallback((id: number) => {
    setView("escalations");
    setSelectedEscalation(id);
  }, []);

  // Keyboard shortcuts: 1–7 switch views (not while typing or while a dialog is open).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      const target = VIEWS.find((v) => v.key === e.key);
      if (target) setView(target.view);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const afterDemo = useCallback(async () => {
    await Promise.all([refreshAgents(), refreshTasks()]);
    setView("board");
  }, [refreshAgents, refreshTasks]);

  const openAdd = useCallback(() => {
    setView("agents");
    setForm({ mode: "add" });
  }, []);

  const afterRemove = useCallback(() => {
    void refreshAgents();
    void refreshTasks();
  }, [refreshAgents, refreshTasks]);

  // The decision log names the agents and APIs of budget splits (their detail only has ids).
  const escalationList = escalations.list;
  const decisionContext = useMemo(
    () => ({
      names: agentNames(agents),
      resourceOf: (id: number) => escalationList?.find((e) => e.id === id)?.resource ?? null,
    }),
    [agents, escalationList],
  );

  const conflicts = ownership.map?.conflicts.length ?? 0;
  const limited = rateLimitBadge(rateLimits.list);
  const badges: Partial<Record<View, Badge>> = {
    board: { text: totalCards(board.columns).toLocaleString() },
    agents: { text: agents ? String(agents.length) : "–" },
    ownership:
      conflicts > 0
        ? { text: String(conflicts), alert: true, title: `${conflicts} ownership conflict${conflicts === 1 ? "" : "s"}` }
        : { text: ownership.map ? String(ownership.map.rules.length) : "–", title: "rules" },
    escalations: escalations.list
      ? queueBadge(escalations.list, escalations.dueClock)
      : { text: "–", title: escalations.error ? `Could not load the escalations: ${escalations.error}` : "loading" },
    ...(limited ? { ratelimits: limited } : {}),
  };

  let main;
  if (agents === null) {
    main = loadError ? (
      <div className="view center-note">
        <p role="alert">Could not load Baton&apos;s data: {loadError}</p>
        <button type="button" className="button" onClick={() => void retry()}>
          Retry
        </button>
      </div>
    ) : (
      <div className="view center-note" role="status">
        <p className="muted">Loading…</p>
      </div>
    );
  } else if (view === "board" && agents.length === 0) {
    main = <FirstRun onDemoStarted={afterDemo} onAddAgent={openAdd} onWatching={() => setView("agents")} />;
  } else if (view === "board") {
    main = (
      <BoardView
        board={board}
        agents={agents}
        escalations={escalations.list}
        onOpenEscalation={openEscalation}
        subscribe={subscribe}
        onOpenAgents={() => setView("agents")}
      />
    );
  } else if (view === "ownership") {
    main = (
      <Suspense
        fallback={
          <div className="view center-note" role="status">
            <p className="muted">Loading the map…</p>
          </div>
        }
      >
        <OwnershipView ownership={ownership} />
      </Suspense>
    );
  } else if (view === "decisions") {
    main = <DecisionLogView subscribe={subscribe} context={decisionContext} />;
  } else if (view === "escalations") {
    main = (
      <EscalationQueue
        escalations={escalations}
        agents={agents}
        selected={selectedEscalation}
        onSelect={setSelectedEscalation}
        subscribe={subscribe}
      />
    );
  } else if (view === "ratelimits") {
    main = <RateLimitsView rateLimits={rateLimits} agents={agents} />;
  } else if (view === "timeline") {
    main = (
      <TimelineView
        agents={agents}
        subscribe={subscribe}
        onOpenEscalation={openEscalation}
        onGetStarted={() => setView("board")}
      />
    );
  } else {
    main = (
      <AgentsView
        agents={agents}
        secrets={secrets}
        onAdd={() => setForm({ mode: "add" })}
        onEdit={(agent) => setForm({ mode: "edit", agent })}
        onRemoved={afterRemove}
      />
    );
  }

  return (
    <ClockProvider>
      <RightsProvider value={rights}>
      <div className="app">
        <Nav
          view={view}
          onNavigate={setView}
          agents={agents}
          badges={badges}
          store={store}
          presence={presence}
          onOpenStore={() => setStoreOpen(true)}
          onOpenNotifications={() => setNotificationsOpen(true)}
        />
        <main className="main">
          {storeAway ? <StoreBanner away={storeAway} /> : null}
          {loadError && agents !== null && !storeAway ? (
            <div className="banner banner--error" role="alert">
              {loadError}
            </div>
          ) : null}
          {main}
        </main>
      </div>
      {notificationsOpen ? <NotificationsDialog onClose={() => setNotificationsOpen(false)} /> : null}
      {storeOpen && store ? (
        <StoreDialog overview={store} presence={presence} onPresence={setPresence} onClose={() => setStoreOpen(false)} />
      ) : null}
      {form ? (
        <AgentForm
          key={form.mode === "edit" ? `edit-${form.agent.id}` : "add"}
          {...form}
          declared={form.mode === "edit" ? (ownership.map?.agents.find((a) => a.id === form.agent.id) ?? null) : null}
          tokensInMemory={secrets?.backend === "memory"}
          onClose={() => setForm(null)}
          onSaved={() => {
            setForm(null);
            void refreshAgents();
            void ownership.refresh();
          }}
        />
      ) : null}
      </RightsProvider>
    </ClockProvider>
  );
}
