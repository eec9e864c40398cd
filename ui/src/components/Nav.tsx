import type { AgentRow } from "../bindings/AgentRow";
import type { Presence } from "../bindings/Presence";
import type { StoreOverview } from "../bindings/StoreOverview";
import { modeText, pollersText, whoText } from "../lib/presence";
import { storeLines } from "../lib/store";

export type View = "board" | "agents" | "ownership" | "decisions" | "escalations" | "ratelimits" | "timeline";

export const VIEWS: { view: View; label: string; key: string; testId: string }[] = [
  { view: "board", label: "Board", key: "1", testId: "nav-board" },
  { view: "agents", label: "Agents", key: "2", testId: "nav-agents" },
  { view: "ownership", label: "Ownership", key: "3", testId: "nav-ownership" },
  { view: "decisions", label: "Decisions", key: "4", testId: "nav-decisions" },
  { view: "escalations", label: "Escalations", key: "5", testId: "nav-escalations" },
  { view: "ratelimits", label: "Rate limits", key: "6", testId: "nav-ratelimits" },
  { view: "timeline", label: "Timeline", key: "7", testId: "nav-timeline" },
];

/** What a nav item's badge shows; `alert` draws it in the conflict colour. */
export interface Badge {
  text: string;
  alert?: boolean;
  title?: string;
}

export function Nav({
  view,
  onNavigate,
  agents,
  badges,
  store = null,
  presence = null,
  onOpenStore,
  onOpenNotifications,
}: {
  view: View;
  onNavigate: (view: View) => void;
  agents: AgentRow[] | null;
  badges: Partial<Record<View, Badge>>;
  /** The store the app runs on (null while loading), opened by clicking its line. */
  store?: StoreOverview | null;
  /** Who the app acts as, whether it watches or only views, who polls (null while loading). */
  presence?: Presence | null;
  onOpenStore?: () => void;
  /** Opens Settings → Notifications (the routes to the person's phone). */
  onOpenNotifications?: () => void;
}) {
  // Coding sessions are heard, not polled: counted apart from the agents' health.
  const polled = agents?.filter((a) => !a.session && !a.subagent) ?? [];
  const sessions = (agents?.length ?? 0) - polled.length;
  const up = polled.filter((a) => a.health.reachability === "up").length;
  const down = polled.filter((a) => a.health.reachability === "down").length;
  return (
    <nav className="nav" aria-label="Main">
      <div className="brand">
        <img src="/baton.svg" alt="" width={22} height={22} />
        <span>Baton</span>
      </div>
      <ul className="nav-list">
        {VIEWS.map((item) => (
          <li key={item.view}>
            <button
              type="button"
              className={`nav-item${view === item.view ? " nav-item--active" : ""}`}
              aria-current={view === item.view ? "page" : undefined}
              data-testid={item.testId}
              onClick={() => onNavigate(item.view)}
              aria-keyshortcuts={item.key}
            >
              <span className="nav-label">{item.label}</span>
              <span
                className={`nav-badge${badges[item.view]?.alert ? " nav-badge--alert" : ""}`}
                title={badges[item.view]?.title}
                data-testid={`${item.testId}-badge`}
              >
                {badges[item.view]?.text ?? ""}
              </span>
              <kbd className="nav-kbd" aria-hidden="true">
                {item.key}
              </kbd>
            </button>
          </li>
        ))}
      </ul>
      <div className="nav-foot">
        {agents && agents.length > 0 ? (
          <div className="fleet" aria-label="Fleet health">
            {polled.length > 0 ? (
              <span className="fleet-item">
                <span className="dot dot--up" aria-hidden="true" /> {up} up
              </span>
            ) : null}
            {down > 0 ? (
              <span className="fleet-item">
                <span className="dot dot--down" aria-hidden="true" /> {down} down
              </span>
            ) : null}
            {sessions > 0 ? (
              <span className="fleet-item" data-testid="fleet-sessions">
                {sessions} coding session{sessions === 1 ? "" : "s"}
              </span>
            ) : null}
          </div>
        ) : null}
        {store && onOpenStore ? (
          <button
            type="button"
            className="store-line"
            title={`Store: ${store.location} (${store.chosen_by})`}
            onClick={onOpenStore}
            data-testid="store-line"
          >
            <span className="store-line-engine">{storeLines(store).engine}</span>
            <span className="store-line-detail">{storeLines(store).detail}</span>
            {presence ? (
              <span className="presence" data-testid="presence">
                <span className="presence-who" data-testid="presence-who">
                  {whoText(presence)}
                </span>
                <span className={`presence-mode${presence.watching ? "" : " presence-mode--viewer"}`} data-testid="presence-mode">
                  {modeText(presence)}
                </span>
                {presence.cannot_change ? (
                  <span className="presence-role" data-testid="presence-role" title={presence.cannot_change}>
                    A viewer: decides nothing
                  </span>
                ) : null}
                <span className="presence-pollers" data-testid="presence-pollers">
                  {pollersText(presence)}
                </span>
              </span>
            ) : null}
          </button>
        ) : null}
        {/* Last in the foot: it stays put while the store line and the fleet above it load. */}
        {onOpenNotifications ? (
          <button
            type="button"
            className="button button--ghost nav-notifications"
            title="Routes to your phone (ntfy) and elsewhere: approve or reject from anywhere"
            onClick={onOpenNotifications}
            data-testid="notifications-open"
          >
            Notifications
          </button>
        ) : null}
      </div>
    </nav>
  );
}
