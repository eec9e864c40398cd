import { useCallback, useEffect, useState } from "react";

import { AgentForm, type AgentFormMode } from "./components/AgentForm";
import { AgentsView } from "./components/AgentsView";
import { BoardView } from "./components/BoardView";
import { FirstRun } from "./components/FirstRun";
import { Nav, type View } from "./components/Nav";
import { ClockProvider } from "./lib/clock";
import { totalCards } from "./lib/board";
import { useBatonData } from "./lib/useBatonData";

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
}

export function App() {
  const data = useBatonData();
  const { agents, board, secrets, loadError, refreshAgents, refreshTasks, retry, subscribe } = data;
  const [view, setView] = useState<View>("board");
  const [form, setForm] = useState<AgentFormMode | null>(null);

  // Keyboard shortcuts: 1 = Board, 2 = Agents (not while typing or while a dialog is open).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      if (e.key === "1") setView("board");
      else if (e.key === "2") setView("agents");
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
    main = <FirstRun onDemoStarted={afterDemo} onAddAgent={openAdd} />;
  } else if (view === "board") {
    main = <BoardView board={board} agents={agents} subscribe={subscribe} />;
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
      <div className="app">
        <Nav view={view} onNavigate={setView} agents={agents} taskCount={totalCards(board.columns)} />
        <main className="main">
          {loadError && agents !== null ? (
            <div className="banner banner--error" role="alert">
              {loadError}
            </div>
          ) : null}
          {main}
        </main>
      </div>
      {form ? (
        <AgentForm
          key={form.mode === "edit" ? `edit-${form.agent.id}` : "add"}
          {...form}
          onClose={() => setForm(null)}
          onSaved={() => {
            setForm(null);
            void refreshAgents();
          }}
        />
      ) : null}
    </ClockProvider>
  );
}
