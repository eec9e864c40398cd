#!/usr/bin/env python3
"""Tiny A2A echo agent built on the official `a2a-sdk` (tested with 1.3.0).

Behaviour (by the text of the incoming user message):
  * "ask..."  -> task goes to TASK_STATE_INPUT_REQUIRED with a status message
                 asking a question; the next message on the same taskId
                 (and contextId) completes it, echoing the answer.
  * "slow..." -> task stays TASK_STATE_WORKING for --slow-seconds (default 5 s)
                 and then completes.
  * anything else -> completes at once, echoing the text (as an artifact and
                 as the final status message).

Usage:
  python echo_agent.py --port 18200 --binding both [--compat03] [--host 127.0.0.1]

  --binding jsonrpc : JSON-RPC 2.0 endpoint at POST /   (A2A 1.0 method names)
  --binding rest    : HTTP+JSON endpoints at /message:send, /tasks/{id}, /tasks ...
  --binding both    : JSON-RPC at POST /a2a/jsonrpc, HTTP+JSON under /a2a/rest
  --compat03        : also accept A2A 0.3 requests (message/send, tasks/get on
                      JSON-RPC; /v1/... paths on REST) and advertise 0.3
                      interfaces in the card (adds url/preferredTransport/...)
  --no-list-tasks   : ListTasks answers UnsupportedOperation (-32004 / HTTP 400)
  --only03          : like --compat03, but the card advertises only the 0.3
                      interfaces (a client must speak 0.3: no ListTasks)
  --port 0          : pick a free port; the real one is printed in the READY line.

Readiness: once uvicorn is accepting connections the process prints exactly one
line `READY <base-url>` to stdout (flushed).  Alternatively poll
GET /.well-known/agent-card.json until it answers 200.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from starlette.applications import Starlette

from a2a.helpers import (
    new_task_from_user_message,
    new_text_artifact,
    new_text_message,
)
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import (
    create_agent_card_routes,
    create_jsonrpc_routes,
    create_rest_routes,
)
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.utils.errors import UnsupportedOperationError
from a2a.types.a2a_pb2 import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    TaskState,
)
from serve_ready import bind, serve_ready  # tests/peers/serve_ready.py


class EchoExecutor(AgentExecutor):
    def __init__(self, slow_seconds: float) -> None:
        self.slow_seconds = slow_seconds

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        text = context.get_user_input()
        task = context.current_task
        if task is None:
            # First message of a task: the agent must publish the Task itself
            # before any TaskStatusUpdateEvent.
            task = new_task_from_user_message(context.message)
            # The helper leaves status.timestamp unset; without one the task is
            # dropped by ListTasks(statusTimestampAfter=...) and sorts last.
            task.status.timestamp.GetCurrentTime()
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)

        def agent_msg(s: str):
            return new_text_message(s, context_id=task.context_id, task_id=task.id)

        # Follow-up to a task that was waiting for input: finish it.
        if task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED:
            await updater.add_artifact([*agent_msg(f'answer: {text}').parts], name='answer')
            await updater.complete(agent_msg(f'thanks, you said: {text}'))
            return

        if text.startswith('ask'):
            await updater.requires_input(agent_msg('What is your favourite colour?'))
            return  # yield control; execute() is called again on the follow-up

        if text.startswith('slow'):
            await updater.start_work(agent_msg('working on it...'))
            await asyncio.sleep(self.slow_seconds)

        await updater.add_artifact(new_text_artifact('echo', text).parts, name='echo')
        await updater.complete(agent_msg(f'echo: {text}'))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is not None:
            await TaskUpdater(event_queue, task.id, task.context_id).cancel()


class NoListTaskStore(InMemoryTaskStore):
    """Simulates an agent without ListTasks (JSON-RPC -32004 / HTTP 400 UNSUPPORTED_OPERATION)."""

    async def list(self, params, context):
        raise UnsupportedOperationError(message='ListTasks is not supported by this agent')


def build_card(base: str, binding: str, compat03: bool, only03: bool = False) -> AgentCard:
    if binding == 'both':
        ifaces = [('JSONRPC', f'{base}/a2a/jsonrpc'), ('HTTP+JSON', f'{base}/a2a/rest')]
    elif binding == 'jsonrpc':
        ifaces = [('JSONRPC', f'{base}/')]
    else:
        ifaces = [('HTTP+JSON', base)]
    versions = ['0.3'] if only03 else ['1.0'] + (['0.3'] if compat03 else [])
    return AgentCard(
        name='Baton Echo Agent',
        description='Echoes text; "ask..." asks a question first; "slow..." takes a while.',
        version='0.1.0',
        supported_interfaces=[
            AgentInterface(url=url, protocol_binding=b, protocol_version=v)
            for v in versions
            for (b, url) in ifaces
        ],
        capabilities=AgentCapabilities(streaming=True, push_notifications=False),
        default_input_modes=['text/plain'],
        default_output_modes=['text/plain'],
        skills=[
            AgentSkill(
                id='echo',
                name='Echo',
                description='Repeats the input text.',
                tags=['echo', 'test'],
                examples=['hello', 'ask me something', 'slow hello'],
            )
        ],
    )


def build_app(card: AgentCard, binding: str, compat03: bool, slow: float, no_list: bool) -> Starlette:
    handler = DefaultRequestHandler(
        agent_executor=EchoExecutor(slow),
        task_store=NoListTaskStore() if no_list else InMemoryTaskStore(),
        agent_card=card,
    )
    routes = list(create_agent_card_routes(card))  # first: REST has a /{tenant} catch-all Mount
    if binding == 'jsonrpc':
        routes += create_jsonrpc_routes(handler, rpc_url='/', enable_v0_3_compat=compat03)
    elif binding == 'rest':
        routes += create_rest_routes(handler, enable_v0_3_compat=compat03)
    else:
        routes += create_jsonrpc_routes(handler, rpc_url='/a2a/jsonrpc', enable_v0_3_compat=compat03)
        routes += create_rest_routes(handler, enable_v0_3_compat=compat03, path_prefix='/a2a/rest')

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        await handler.aclose()  # drain running tasks on shutdown

    return Starlette(routes=routes, lifespan=lifespan)


async def serve(args: argparse.Namespace) -> None:
    sock, base = bind(args.host, args.port, 'echo_agent')
    compat03 = args.compat03 or args.only03
    card = build_card(base, args.binding, compat03, args.only03)
    app = build_app(card, args.binding, compat03, args.slow_seconds, args.no_list_tasks)
    await serve_ready(app, sock, base, args.log_level)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=18200)
    p.add_argument('--binding', choices=['jsonrpc', 'rest', 'both'], default='both')
    p.add_argument('--compat03', action='store_true')
    p.add_argument('--only03', action='store_true', help='advertise only the 0.3 interfaces')
    p.add_argument('--slow-seconds', type=float, default=5.0)
    p.add_argument('--no-list-tasks', action='store_true', help='make ListTasks fail with UnsupportedOperation')
    p.add_argument('--log-level', default='warning')
    asyncio.run(serve(p.parse_args()))


if __name__ == '__main__':
    sys.exit(main())
