// A store a newer Baton wrote: what the app says instead of its views (it opened nothing).

import type { StoreTooNew } from "../bindings/StoreTooNew";

/** What the person can do, most likely first. */
export function tooNewSteps(facts: StoreTooNew): string[] {
  const update = `Update Baton to a version that knows schema ${facts.found}: it opens this store as it is.`;
  const owner =
    facts.store_engine === "postgres"
      ? "Or ask the store's owner which Baton the team runs: everyone on a shared store needs a Baton at least as new as the newest that opened it."
      : "Or, if another person's Baton wrote this file, ask them which version they run.";
  const other =
    "Meanwhile, to open another store: `baton store use PATH|URL` for this data folder (`baton store use --default` for its own file), then start Baton again.";
  return [update, owner, other];
}

/** "PostgreSQL" or "SQLite". */
export function engineName(facts: StoreTooNew): string {
  return facts.store_engine === "postgres" ? "PostgreSQL" : "SQLite";
}
