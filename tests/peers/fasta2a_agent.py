#!/usr/bin/env python3
"""A2A peer built on fasta2a (pydantic-ai's A2A server), fully offline.

Tested with fasta2a 2.1.1 + pydantic-ai-slim 2.68.0 (see fasta2a-notes.md).
Pydantic AI 2 removed `Agent.to_a2a()`; its replacement is
`fasta2a.pydantic_ai.agent_to_a2a`, whose `AgentWorker` only ever writes
submitted -> working -> completed|failed.  It can NOT produce input-required
(a tool with requires_approval=True ends the task `completed` with a
DeferredToolRequests data artifact, or `failed` without that output type).
So this script subclasses that worker to add a question/answer path:

  * text starting "ask"  -> task goes to `input-required`; the question is
                            appended to task.history as an agent message
                            (fasta2a's Storage cannot store status.message).
  * next message in the SAME contextId while a question is pending
                         -> fasta2a itself always creates a NEW task for it
                            (message.taskId is ignored and overwritten); this
                            worker completes the new task with an echo of the
                            answer.  With --close-original it also marks the
                            original task `completed` (history += answer).
  * text starting "slow" -> sleeps --slow-seconds, then runs the agent.
                            fasta2a has ONE worker loop and an unbuffered
                            broker queue: while this sleeps, every other
                            message/send blocks (HTTP reply delayed) until it ends.
  * anything else        -> a real pydantic-ai run with TestModel (no LLM):
                            completes with an artifact named "result".

Usage:
  python fasta2a_agent.py --port 18300 [--host 127.0.0.1] [--close-original]
                          [--slow-seconds 5] [--log-level warning]
  --port 0 picks a free port.  Once serving, prints `READY <base-url>` on stdout.
  Env fallbacks: FASTA2A_PORT, FASTA2A_CLOSE_ORIGINAL=1, FASTA2A_SLOW_SECONDS.
JSON-RPC endpoint: POST <base>/ ; agent card: GET <base>/.well-known/agent-card.json
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from dataclasses import dataclass, field
from functools import partial

from fasta2a.broker import InMemoryBroker
from fasta2a.pydantic_ai import AgentWorker, agent_to_a2a, worker_lifespan
from fasta2a.schema import Artifact, Message, Part, TaskSendParams
from fasta2a.storage import InMemoryStorage
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel
from serve_ready import bind, serve_ready  # tests/peers/serve_ready.py


def _text(message: Message) -> str:
    return ' '.join(p['text'] for p in message.get('parts', []) if 'text' in p).strip()


@dataclass
class AskingWorker(AgentWorker):
    """AgentWorker plus an input-required round trip keyed by contextId."""

    close_original: bool = False
    slow_seconds: float = 5.0
    # contextId -> id of the task waiting in input-required
    pending: dict[str, str] = field(default_factory=dict)

    async def run_task(self, params: TaskSendParams) -> None:
        task_id, context_id = params['id'], params['context_id']
        text = _text(params['message'])

        if context_id in self.pending:  # an answer to our question
            original = self.pending.pop(context_id)
            reply = Message(role='agent', parts=[Part(text=f'got answer: {text}')], message_id=str(uuid.uuid4()))
            await self.storage.update_task(task_id, state='working')
            await self.storage.update_task(
                task_id,
                state='completed',
                new_messages=[reply],
                new_artifacts=[Artifact(artifact_id=str(uuid.uuid4()), name='result', parts=[Part(text=text)])],
            )
            if self.close_original:
                answer = Message(role='user', parts=[Part(text=text)], message_id=str(uuid.uuid4()))
                await self.storage.update_task(original, state='completed', new_messages=[answer, reply])
                await self._publish_final_state(original)
            return

        if text.lower().startswith('ask'):
            question = Message(
                role='agent', parts=[Part(text='Which colour should it be?')], message_id=str(uuid.uuid4())
            )
            await self.storage.update_task(task_id, state='working')
            await self.storage.update_task(task_id, state='input-required', new_messages=[question])
            self.pending[context_id] = task_id
            # Streams (message/stream) do get the question as status.message.
            await self.publish_status(task_id, context_id, 'input-required', question)
            return

        if text.lower().startswith('slow'):
            await self.storage.update_task(task_id, state='working')
            await asyncio.sleep(self.slow_seconds)
            # AgentWorker insists on a `submitted` task; put it back.
            self.storage.tasks[task_id]['status']['state'] = 'submitted'  # type: ignore[attr-defined]

        await super().run_task(params)  # the stock pydantic-ai path


def build_app(base_url: str, close_original: bool, slow_seconds: float):
    agent = Agent(TestModel(), name='baton-fasta2a-peer')  # TestModel: offline, no API key
    storage, broker = InMemoryStorage(), InMemoryBroker()
    worker = AskingWorker(
        agent=agent, broker=broker, storage=storage, close_original=close_original, slow_seconds=slow_seconds
    )
    # agent_to_a2a builds the FastA2A app (card + JSON-RPC route); the lifespan
    # we hand it runs OUR worker instead of the stock AgentWorker.
    lifespan = partial(worker_lifespan, worker=worker, agent=agent)
    app = agent_to_a2a(
        agent, storage=storage, broker=broker, url=base_url + '/', name='baton-fasta2a-peer', lifespan=lifespan
    )
    return app


async def serve(args: argparse.Namespace) -> None:
    sock, base = bind(args.host, args.port, 'fasta2a_agent')
    app = build_app(base, args.close_original, args.slow_seconds)
    await serve_ready(app, sock, base, args.log_level)


def main() -> None:
    env = os.environ.get
    p = argparse.ArgumentParser()
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=int(env('FASTA2A_PORT', '18300')))
    p.add_argument('--close-original', action='store_true', default=env('FASTA2A_CLOSE_ORIGINAL') == '1')
    p.add_argument('--slow-seconds', type=float, default=float(env('FASTA2A_SLOW_SECONDS', '5')))
    p.add_argument('--log-level', default='warning')
    asyncio.run(serve(p.parse_args()))


if __name__ == '__main__':
    main()
