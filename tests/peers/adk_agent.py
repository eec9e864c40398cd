"""A Google ADK agent served with ADK's own `to_a2a` helper, for Baton's real-peer tests.

A custom agent with no model (offline, no API key): it asks a person the way ADK agents do,
through a *long-running function call* (`ask_human`), which ADK's A2A executor turns into an
`input-required` task whose status message holds one data part (`adk_type: function_call`,
`adk_is_long_running: true`) and no text. The answer must come back as a `function_response`
data part for that call (same id and name); a plain text answer leaves the task waiting.

    "ask…"   asks "Which city?" (with `fields: ["city", "date"]` when it says "form")
    "fail…"  fails
    else     answers at once

Prints `READY <base url>` once it serves. Run: python tests/peers/adk_agent.py --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from typing import AsyncGenerator

from google.adk.a2a.utils.agent_to_a2a import to_a2a
from google.adk.agents import BaseAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.events import Event
from google.genai import types
from serve_ready import bind, serve_ready  # tests/peers/serve_ready.py

ASK = "ask_human"


def said(ctx: InvocationContext) -> tuple[str, dict | None]:
    """The user's text, and the response to our ask if the message carries one."""
    content = ctx.user_content
    text, response = "", None
    for part in (content.parts or []) if content else []:
        if part.text:
            text += part.text
        if part.function_response and part.function_response.name == ASK:
            response = dict(part.function_response.response or {})
    return text.strip(), response


class AskingAgent(BaseAgent):
    async def _run_async_impl(self, ctx: InvocationContext) -> AsyncGenerator[Event, None]:
        text, response = said(ctx)

        def reply(words: str) -> Event:
            return Event(
                author=self.name,
                invocation_id=ctx.invocation_id,
                content=types.Content(role="model", parts=[types.Part(text=words)]),
            )

        if response is not None:
            if response.get("approved") is False:
                yield reply(f"Not going: {response.get('note') or 'rejected'}")
                return
            answer = response.get("response") or response.get("city") or response.get("note")
            extra = f" on {response['date']}" if response.get("date") else ""
            yield reply(f"Booked a trip to {answer}{extra}.")
            return
        if text.lower().startswith("fail"):
            raise RuntimeError("the agent failed on purpose")
        if text.lower().startswith("ask"):
            args: dict = {"question": "Which city?", "reason": "to book the trip"}
            if "form" in text.lower():
                args = {"question": "Where and when?", "fields": ["city", "date"]}
            call = types.FunctionCall(id=f"call-{uuid.uuid4().hex[:12]}", name=ASK, args=args)
            yield Event(
                author=self.name,
                invocation_id=ctx.invocation_id,
                content=types.Content(role="model", parts=[types.Part(function_call=call)]),
                long_running_tool_ids={call.id},
            )
            return
        yield reply(f"echo: {text}")


async def serve(args: argparse.Namespace) -> None:
    sock, base = bind(args.host, args.port, 'adk_agent')
    agent = AskingAgent(name="adk_peer", description="asks a person through a long-running call")
    port = int(base.rsplit(":", 1)[1])
    await serve_ready(to_a2a(agent, host=args.host, port=port), sock, base, args.log_level)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log-level", default="warning")
    asyncio.run(serve(p.parse_args()))


if __name__ == "__main__":
    main()
