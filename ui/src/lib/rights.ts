// What the person may do on the store, from where the app stands (Presence): a viewer role
// changes nothing (decisions, grants, the map, agents, settings), and an app that only views
// runs no demo fleet or scenario. Components read `useRights()`; what the person may not do is
// shown disabled with the reason on hover, or, for the fleets, not offered at all.

import { createContext, useContext } from "react";

import type { Presence } from "../bindings/Presence";

export interface Rights {
  /** Why nothing may be changed on the store; null: it may. */
  cannotChange: string | null;
  /** Why no demo fleet or scenario is offered; null: they are. */
  cannotRunFleets: string | null;
}

/** Everything offered: where nothing says otherwise, and for the moment before the app knows
 * where it stands (the backend refuses, in words, what the person may not do). */
export const ANYTHING: Rights = { cannotChange: null, cannotRunFleets: null };

export function rightsOf(p: Presence | null): Rights {
  if (!p) return ANYTHING;
  return { cannotChange: p.cannot_change, cannotRunFleets: p.cannot_run_fleets };
}

const RightsContext = createContext<Rights>(ANYTHING);

export const RightsProvider = RightsContext.Provider;

export function useRights(): Rights {
  return useContext(RightsContext);
}

/** A control that changes the store: disabled, with the reason on hover, when it may not. */
export function mayChange(rights: Rights): { disabled?: boolean; title?: string } {
  return rights.cannotChange === null ? {} : { disabled: true, title: rights.cannotChange };
}
