// Agent form validation, mirroring AgentDraft::problems in crates/baton-core/src/agent.rs so the
// form can flag problems before the round trip. The backend checks again and has the last word.

import type { AdapterKind } from "../bindings/AdapterKind";
import type { AgentDraft } from "../bindings/AgentDraft";

export const MAX_NAME_LEN = 80;
export const MIN_POLL_INTERVAL_MS = 250;
export const MAX_POLL_INTERVAL_MS = 3_600_000;
export const MIN_TIMEOUT_MS = 100;
export const DEFAULT_POLL_INTERVAL_MS = 2_000;
export const DEFAULT_TIMEOUT_MS = 1_500;

/** The fields of the agent form, named as the backend names them in ErrorPayload.field. */
export type AgentField = "name" | "base_url" | "poll_interval_ms" | "timeout_ms" | "token";

export const AGENT_FIELDS: readonly AgentField[] = [
  "name",
  "base_url",
  "poll_interval_ms",
  "timeout_ms",
  "token",
];

/** What the form holds: text, as typed. */
export interface AgentFormValues {
  name: string;
  base_url: string;
  poll_interval_ms: string;
  timeout_ms: string;
  token: string;
}

export type FieldErrors = Partial<Record<AgentField, string>>;

export function isAgentField(field: string | null | undefined): field is AgentField {
  return field !== null && field !== undefined && (AGENT_FIELDS as readonly string[]).includes(field);
}

/** A whole, non-negative number of milliseconds, or null. */
export function parseMs(text: string): number | null {
  const t = text.trim().replace(/[_\s]/g, "");
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

function urlProblem(raw: string): string | null {
  const text = raw.trim();
  if (text === "") return "base URL is not a valid URL: relative URL without a base";
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
  if (!scheme) return "base URL is not a valid URL: relative URL without a base";
  const name = (scheme[1] ?? "").toLowerCase();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return name === "http" || name === "https"
      ? "base URL is not a valid URL: empty host or invalid characters"
      : `base URL must use http or https, not ${name}`;
  }
  const protocol = url.protocol.replace(/:$/, "");
  if (protocol !== "http" && protocol !== "https") {
    return `base URL must use http or https, not ${protocol}`;
  }
  // `http:///x` parses with host `x`: the text itself has no host.
  if (url.hostname === "" || text.slice(name.length).startsWith(":///")) return "base URL is not a valid URL: no host";
  if (url.username !== "" || url.password !== "") {
    return 'base URL must not hold a user name or password: give the agent a token instead (kept in the OS keyring; in baton.toml, token = { env = "VAR" } or { keyring = "service/user" })';
  }
  if (url.search !== "" || url.hash !== "" || /[?#]/.test(text)) {
    return "base URL must not have a query (?…) or fragment (#…): Baton adds its paths after it";
  }
  return null;
}

/** Every problem with the form's values, keyed by field, in the Rust rules' words. */
export function validateAgentForm(values: AgentFormValues): FieldErrors {
  const errors: FieldErrors = {};
  const name = values.name.trim();
  if (name === "") {
    errors.name = "name must not be empty";
  } else if ([...name].length > MAX_NAME_LEN) {
    errors.name = `name is longer than ${MAX_NAME_LEN} characters`;
  } else if (/\p{Cc}/u.test(name)) {
    errors.name = "name must not hold control characters (tabs, line breaks, escapes)";
  }

  const url = urlProblem(values.base_url);
  if (url) errors.base_url = url;

  const interval = parseMs(values.poll_interval_ms);
  if (interval === null) {
    errors.poll_interval_ms = "poll interval must be a whole number of milliseconds";
  } else if (interval < MIN_POLL_INTERVAL_MS || interval > MAX_POLL_INTERVAL_MS) {
    errors.poll_interval_ms = `poll interval must be between ${MIN_POLL_INTERVAL_MS} ms and ${MAX_POLL_INTERVAL_MS} ms`;
  }

  const timeout = parseMs(values.timeout_ms);
  if (timeout === null) {
    errors.timeout_ms = "timeout must be a whole number of milliseconds";
  } else if (timeout < MIN_TIMEOUT_MS) {
    errors.timeout_ms = `timeout must be at least ${MIN_TIMEOUT_MS} ms`;
  } else if (interval !== null && timeout >= interval) {
    errors.timeout_ms = `timeout (${timeout} ms) must be below the poll interval (${interval} ms)`;
  }

  // Surrounding spaces (a copy-paste slip) are trimmed by tokenValue; what is left goes into an
  // HTTP header, so it must be one line of visible characters.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(values.token.trim())) {
    errors.token = "token must be one line without control characters";
  }
  return errors;
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}

/** The draft to send, from values that passed validation, speaking `adapter`. */
export function toDraft(values: AgentFormValues, adapter: AdapterKind = "baton"): AgentDraft {
  return {
    name: values.name.trim(),
    base_url: values.base_url.trim(),
    poll_interval_ms: parseMs(values.poll_interval_ms) ?? DEFAULT_POLL_INTERVAL_MS,
    timeout_ms: parseMs(values.timeout_ms) ?? DEFAULT_TIMEOUT_MS,
    adapter,
  };
}

/** The token to send: null when the field is blank. */
export function tokenValue(values: AgentFormValues): string | null {
  const t = values.token.trim();
  return t === "" ? null : t;
}

/** "name must not be empty" → "Name must not be empty". */
export function sentence(message: string): string {
  return message.length === 0 ? message : message[0]!.toUpperCase() + message.slice(1);
}

/** `errors` without `field`'s error: the same object when it has none (so React keeps its state). */
export function withoutError<K extends string>(errors: Partial<Record<K, string>>, field: K): Partial<Record<K, string>> {
  if (!(field in errors)) return errors;
  const next = { ...errors };
  delete next[field];
  return next;
}
