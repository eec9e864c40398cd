// "Watch coding sessions in a repository…": which coding agents are ticked when the dialog opens,
// what each permit mode does (one line), and what must be given before installing.

import type { HooksClient, PermitModeName } from "./backend";

export const CLIENTS: readonly HooksClient[] = ["claude-code", "codex", "copilot", "gemini", "opencode"];

/** The modes in the order offered, with the word shown for each. */
export const MODES: readonly { mode: PermitModeName; label: string }[] = [
  { mode: "warn", label: "warn (default)" },
  { mode: "enforce", label: "enforce" },
  { mode: "observe", label: "off (only record)" },
];

export const MODE_HINT: Record<PermitModeName, string> = {
  observe: "Record what the sessions do; never stop a write.",
  warn: "Let a conflicting write through, and put it in the queue.",
  enforce: "Refuse a write another session holds, tell the session why, and put it in the queue.",
};

/**
 * The clients ticked when the dialog opens: those found on this machine; Claude Code when none
 * is found (or the machine could not be asked), so one click still installs something useful.
 */
export function tickedClients(found: readonly string[] | null): HooksClient[] {
  const known = CLIENTS.filter((c) => found?.includes(c));
  return known.length > 0 ? known : ["claude-code"];
}

/** Why the dialog cannot install yet (null: it can). */
export function watchProblem(project: string, clients: readonly HooksClient[]): { field: "project" | "clients"; message: string } | null {
  const folder = project.trim();
  if (folder === "") return { field: "project", message: "Give the repository's full path, e.g. /home/you/code/shop." };
  if (!folder.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(folder)) {
    return { field: "project", message: `${folder} is not a full path: start it at / (e.g. /home/you/code/shop).` };
  }
  if (clients.length === 0) return { field: "clients", message: "Tick at least one coding agent." };
  return null;
}
