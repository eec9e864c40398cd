"""Offline LangGraph graph for Baton's A2A tests (no LLM, no network).

Served by `langgraph dev` (see langgraph.json and ../langgraph-notes.md); the
dev server exposes it over A2A at /a2a/{assistant_id}.  The state is
LangGraph's MessagesState, because the A2A endpoint only accepts text parts
for graphs whose input schema has a `messages` field.

Behaviour, by the text of the last human message:
  * "ask..."  -> interrupt("Which colour should it be?"): the A2A task goes to
                 input-required.  Resuming (A2A follow-up message with the
                 same taskId+contextId, or LangGraph's own
                 POST /threads/{id}/runs with command={"resume": ...}) sleeps
                 LG_PEER_RESUME_SLEEP seconds (default 0) and then completes
                 with "got answer: <answer>".
  * "slow..." -> sleeps LG_PEER_SLOW_SECONDS (default 5) and completes.
  * anything else -> completes at once with "echo: <text>".
"""

import os
import time

from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import interrupt


def _last_text(state: MessagesState) -> str:
    content = state["messages"][-1].content if state["messages"] else ""
    if isinstance(content, list):  # content blocks -> plain text
        content = " ".join(b.get("text", "") for b in content if isinstance(b, dict))
    return str(content).strip()


def respond(state: MessagesState) -> dict:
    text = _last_text(state)
    if text.lower().startswith("ask"):
        # Pauses the run; the thread becomes "interrupted".  On resume this node
        # re-runs from the top and interrupt() returns the resume value.
        answer = interrupt("Which colour should it be?")
        time.sleep(float(os.environ.get("LG_PEER_RESUME_SLEEP", "0")))
        return {"messages": [AIMessage(content=f"got answer: {answer}")]}
    if text.lower().startswith("slow"):
        time.sleep(float(os.environ.get("LG_PEER_SLOW_SECONDS", "5")))
    return {"messages": [AIMessage(content=f"echo: {text}")]}


builder = StateGraph(MessagesState)
builder.add_node("respond", respond)
builder.add_edge(START, "respond")
graph = builder.compile()
