// An agent served by the official A2A JavaScript SDK (@a2a-js/sdk, with express), A2A 1.0 over
// JSON-RPC and HTTP+JSON, for Baton's real-peer tests.
//
//   "ask…"   asks in words, with its options as a data part, and completes with the answer
//   "fail…"  fails, saying why
//   else     completes at once
//
// --binding jsonrpc|rest|both picks the interfaces its card offers (Baton prefers JSON-RPC).
// Prints `READY <base url>` once it serves. Run: node tests/peers/a2a_js_agent.mjs --port 0
// The SDK is found through A2A_JS_MODULES (the node_modules folder it was installed into).

import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import path from "node:path";

const modules = process.env.A2A_JS_MODULES;
if (!modules) throw new Error("A2A_JS_MODULES must name the node_modules folder of @a2a-js/sdk");
const require = createRequire(path.join(modules, "noop.js"));
const express = require("express");
const { DefaultRequestHandler, InMemoryTaskStore, AgentEvent } = require("@a2a-js/sdk/server");
const { agentCardHandler, jsonRpcHandler, restHandler, UserBuilder } = require("@a2a-js/sdk/server/express");

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const host = arg("host", "127.0.0.1");
const binding = arg("binding", "both");

const TASK_STATE = { WORKING: 2, COMPLETED: 3, FAILED: 4, INPUT_REQUIRED: 6 };
const ROLE_AGENT = 2;

const text = (value) => ({ content: { $case: "text", value }, metadata: undefined, filename: "", mediaType: "" });
const data = (value) => ({ content: { $case: "data", value }, metadata: undefined, filename: "", mediaType: "" });
const said = (message) =>
  (message?.parts ?? [])
    .map((p) => (p.content?.$case === "text" ? p.content.value : ""))
    .join(" ")
    .trim();

function agentMessage(ctx, parts) {
  return {
    messageId: randomUUID(),
    contextId: ctx.contextId,
    taskId: ctx.taskId,
    role: ROLE_AGENT,
    parts,
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

function status(ctx, state, parts) {
  return AgentEvent.statusUpdate({
    taskId: ctx.taskId,
    contextId: ctx.contextId,
    status: { state, message: parts ? agentMessage(ctx, parts) : undefined, timestamp: new Date().toISOString() },
    metadata: undefined,
  });
}

class AskingExecutor {
  async execute(ctx, bus) {
    const words = said(ctx.userMessage);
    const task = ctx.task ?? {
      id: ctx.taskId,
      contextId: ctx.contextId,
      status: { state: 1, message: undefined, timestamp: new Date().toISOString() },
      artifacts: [],
      history: [ctx.userMessage],
      metadata: {},
    };
    bus.publish(AgentEvent.task(task));
    if (ctx.task?.status?.state === TASK_STATE.INPUT_REQUIRED) {
      bus.publish(status(ctx, TASK_STATE.COMPLETED, [text(`Noted: ${words}`)]));
    } else if (words.toLowerCase().startsWith("fail")) {
      bus.publish(status(ctx, TASK_STATE.WORKING));
      bus.publish(status(ctx, TASK_STATE.FAILED, [text("the agent failed on purpose")]));
    } else if (words.toLowerCase().startsWith("ask")) {
      bus.publish(status(ctx, TASK_STATE.WORKING));
      bus.publish(
        status(ctx, TASK_STATE.INPUT_REQUIRED, [
          text("What is your favourite colour?"),
          data({ options: ["red", "green", "blue"] }),
        ]),
      );
    } else {
      bus.publish(status(ctx, TASK_STATE.COMPLETED, [text(`echo: ${words}`)]));
    }
    bus.finished();
  }

  async cancelTask() {}
}

const app = express();
const server = app.listen(Number(arg("port", "0")), host, () => {
  const base = `http://${host}:${server.address().port}`;
  const interfaces = [];
  if (binding !== "rest") interfaces.push({ url: `${base}/a2a/jsonrpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" });
  if (binding !== "jsonrpc") interfaces.push({ url: `${base}/a2a/rest`, protocolBinding: "HTTP+JSON", tenant: "", protocolVersion: "1.0" });
  const card = {
    name: "Baton JS Agent",
    description: "asks a person in words, served by @a2a-js/sdk",
    supportedInterfaces: interfaces,
    provider: undefined,
    version: "1.0.0",
    capabilities: { streaming: false, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [{ id: "ask", name: "ask", description: "asks a question", tags: ["test"], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), new AskingExecutor());
  app.use("/.well-known/agent-card.json", agentCardHandler({ agentCardProvider: handler }));
  app.use("/a2a/jsonrpc", jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  app.use("/a2a/rest", restHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  console.log(`READY ${base}`);
});
