// Baton's plugin for OpenCode, written by `baton hooks install opencode` (installing again
// replaces this file; `baton hooks uninstall opencode` removes it). It hands each call below to
// Baton's hook command as JSON on stdin, one call after another, and refuses a tool call when
// the command says so (exit code 2, the reason on stderr): the model reads the reason as the
// tool's error. Anything else lets OpenCode go on, as without Baton.
import { spawn } from "node:child_process";

const COMMAND = __BATON_COMMAND__;
const TIMEOUT_MS = __BATON_TIMEOUT_MS__;
// The bus events Baton records: a session starts, waits for the person, ends its turn, ends;
// and a model response once it is finished (its tokens: the session's usage).
const EVENTS = new Set(["session.created", "session.idle", "session.deleted", "permission.asked"]);

function finishedResponse(event) {
  const info = event?.properties?.info;
  return event?.type === "message.updated" && info?.role === "assistant" && !!info?.time?.completed;
}

function run(payload) {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn("/bin/sh", ["-c", COMMAND], { stdio: ["pipe", "pipe", "pipe"] });
    } catch (err) {
      resolve({ code: 1, stderr: String(err) });
      return;
    }
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", () => {});
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ code: 1, stderr: String(err) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(payload));
  });
}

export const BatonHooks = async ({ directory }) => {
  // One call at a time, in the order OpenCode made them (a write is recorded before its turn ends).
  let last = Promise.resolve();
  const call = (payload) => {
    const next = last.then(() => run({ directory, ...payload }));
    last = next.catch(() => {});
    return next;
  };
  return {
    "chat.message": async (input, output) => {
      await call({ hook: "chat.message", input, output });
    },
    "tool.execute.before": async (input, output) => {
      const answer = await call({ hook: "tool.execute.before", input, output });
      if (answer.code === 2) throw new Error(answer.stderr.trim());
    },
    "tool.execute.after": async (input, output) => {
      await call({ hook: "tool.execute.after", input, output: { title: output?.title } });
    },
    event: async ({ event }) => {
      if (EVENTS.has(event?.type) || finishedResponse(event)) await call({ hook: "event", event });
    },
  };
};
