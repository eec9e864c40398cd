// Baton's plugin for OpenCode, written by `baton hooks install opencode` (installing again
// replaces this file; `baton hooks uninstall opencode` removes it). It hands each call below to
// Baton's hook command as JSON on stdin, one call after another, and refuses a tool call when
// the command says so (exit code 2, the reason on stderr): the model reads the reason as the
// tool's error. Anything else lets OpenCode go on, as without Baton.
import { spawn } from "node:child_process";

const COMMAND = __BATON_COMMAND__;
const TIMEOUT_MS = __BATON_TIMEOUT_MS__;
// The bus events Baton records: a session starts, waits for the person, ends its turn, ends.
const EVENTS = new Set(["session.created", "session.idle", "session.deleted", "permission.asked"]);
// Finished model responses (their tokens: the session's usage) wait here for the session's next
// call, which carries them: no call of their own.
const MAX_WAITING = 200;

function finishedResponse(event) {
  const info = event?.properties?.info;
  return event?.type === "message.updated" && info?.role === "assistant" && !!info?.time?.completed;
}

function sessionOf(payload) {
  return payload.input?.sessionID ?? payload.event?.properties?.sessionID ?? payload.event?.properties?.info?.id;
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
  let finished = [];
  const call = (payload) => {
    const session = sessionOf(payload);
    const responses = finished.filter((info) => info.sessionID === session);
    if (responses.length > 0) {
      finished = finished.filter((info) => info.sessionID !== session);
      payload = { ...payload, responses };
    }
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
      if (finishedResponse(event)) {
        finished.push(event.properties.info);
        if (finished.length > MAX_WAITING) finished.shift();
      } else if (EVENTS.has(event?.type)) {
        await call({ hook: "event", event });
      }
    },
  };
};
