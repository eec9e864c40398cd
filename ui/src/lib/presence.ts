// Where the app stands on its store, in words: who it acts as, whether it watches the agents or
// only views what others watch, and which watcher polls which agents.

import type { Presence } from "../bindings/Presence";
import type { WatcherView } from "../bindings/WatcherView";
import { humanMs } from "./time";

/** "ana on laptop-a". */
export function whoText(p: Presence): string {
  return `${p.person} on ${p.host}`;
}

/** What this app does with the store, in a few words. */
export function modeText(p: Presence): string {
  return p.watching ? "Watching the agents" : "Viewing only";
}

/** The same, in a sentence. */
export function modeSentence(watching: boolean): string {
  return watching
    ? "polls the agents, runs the detectors and delivers decisions"
    : "shows what the store's watchers and everybody else write, and decides; it polls nothing";
}

/** The watchers that hold agents now, live ones only. */
function polling(p: Presence): WatcherView[] {
  return p.watchers.filter((w) => w.live && (w.agents.length > 0 || w.detectors));
}

/** The nav's line about who polls: "Polled by build-box (3), laptop-a (2)". */
export function pollersText(p: Presence): string {
  const live = polling(p);
  if (live.length > 0) return `Polled by ${live.map((w) => `${w.name} (${w.agents.length})`).join(", ")}`;
  return p.watching ? "This app polls every agent" : "No watcher polls the agents";
}

/** One watcher: "build-box · live · heartbeat 0.8 s ago · polls Researcher, Writer + the detectors". */
export function watcherText(w: WatcherView): string {
  const state = w.left_at ? "left" : w.live ? "live" : "silent";
  const polls = w.agents.map(([, name]) => name);
  const what =
    polls.length === 0 && !w.detectors
      ? "polls nothing"
      : `polls ${polls.length > 0 ? polls.join(", ") : "no agent"}${w.detectors ? " + the detectors" : ""}`;
  return `${w.name} · ${state} · heartbeat ${humanMs(Math.max(0, w.heartbeat_age_ms))} ago · ${what}`;
}
