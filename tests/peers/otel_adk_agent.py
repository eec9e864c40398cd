"""A Google ADK agent that exports its OpenTelemetry spans over OTLP/HTTP, for Baton's real-peer
tests (issue 61).

An `LlmAgent` with one tool (`get_weather`) on a stand-in model (offline, no API key): the model
asks for the tool on the first turn of a run and answers in words once the tool's response is
in, reporting token usage as a real model does (120 in, 30 out per call). The tool fails for
"Atlantis", which fails the run.

The spans are ADK's own (`invoke_agent`, `call_llm`, `execute_tool`), through the OpenTelemetry
SDK: `--encoding protobuf` exports with the SDK's OTLP/HTTP exporter
(`opentelemetry-exporter-otlp-proto-http`); `--encoding json` posts the same export requests
in OTLP's JSON encoding (the SDK's own encoder, then JSON as the OTLP specification writes it:
hex ids, integer enums), since the SDK's JSON exporter is not released for this SDK version.

    python tests/peers/otel_adk_agent.py --endpoint http://127.0.0.1:4318 --encoding json \
        --run "weather in Paris" --run "weather in Atlantis"

Prints `RAN <text>` or `FAILED <text>: <error>` per run, then `FLUSHED` once every span is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import urllib.request
from typing import AsyncGenerator, Sequence

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

USAGE = {"prompt_token_count": 120, "candidates_token_count": 30, "total_token_count": 150}


class JsonSpanExporter(SpanExporter):
    """Posts spans to `/v1/traces` in OTLP's JSON encoding."""

    def __init__(self, endpoint: str) -> None:
        self.url = endpoint.rstrip("/") + "/v1/traces"

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        from google.protobuf import json_format
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        request = json_format.MessageToDict(encode_spans(spans), use_integers_for_enums=True)
        for resource_spans in request.get("resourceSpans", []):
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    for key in ("traceId", "spanId", "parentSpanId"):
                        if key in span:
                            span[key] = base64.b64decode(span[key]).hex()
                    for link in span.get("links", []):
                        for key in ("traceId", "spanId"):
                            if key in link:
                                link[key] = base64.b64decode(link[key]).hex()
        body = json.dumps(request).encode()
        sent = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(sent, timeout=10) as answer:
            return SpanExportResult.SUCCESS if answer.status == 200 else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        pass


def tracing(endpoint: str, encoding: str) -> TracerProvider:
    provider = TracerProvider(resource=Resource.create({"service.name": "adk-otel-peer"}))
    if encoding == "json":
        exporter: SpanExporter = JsonSpanExporter(endpoint)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider


def agent():
    from google.adk.agents import LlmAgent
    from google.adk.models.base_llm import BaseLlm
    from google.adk.models.llm_request import LlmRequest
    from google.adk.models.llm_response import LlmResponse
    from google.genai import types

    class StandInModel(BaseLlm):
        """Asks for the weather tool, then answers with what it said."""

        async def generate_content_async(
            self, llm_request: LlmRequest, stream: bool = False
        ) -> AsyncGenerator[LlmResponse, None]:
            last = llm_request.contents[-1] if llm_request.contents else None
            parts = (last.parts or []) if last else []
            responded = [p.function_response for p in parts if p.function_response]
            usage = types.GenerateContentResponseUsageMetadata(**USAGE)
            if responded:
                words = f"The weather: {responded[0].response}"
                content = types.Content(role="model", parts=[types.Part(text=words)])
            else:
                said = " ".join(p.text for p in parts if p.text)
                city = said.rsplit(" ", 1)[-1] if said else "Paris"
                call = types.FunctionCall(name="get_weather", args={"city": city})
                content = types.Content(role="model", parts=[types.Part(function_call=call)])
            yield LlmResponse(content=content, usage_metadata=usage)

    def get_weather(city: str) -> dict:
        """The weather in a city."""
        if city == "Atlantis":
            raise ValueError(f"no such city: {city}")
        return {"city": city, "sky": "clear"}

    return LlmAgent(
        name="weather_agent",
        model=StandInModel(model="stand-in-model"),
        instruction="Answer questions about the weather.",
        tools=[get_weather],
    )


async def run_all(texts: list[str]) -> None:
    from google.adk.runners import InMemoryRunner
    from google.genai import types

    runner = InMemoryRunner(agent=agent(), app_name="otel-peer")
    for text in texts:
        session = await runner.session_service.create_session(app_name="otel-peer", user_id="ana")
        message = types.Content(role="user", parts=[types.Part(text=text)])
        try:
            async for _ in runner.run_async(user_id="ana", session_id=session.id, new_message=message):
                pass
            print(f"RAN {text}", flush=True)
        except Exception as err:  # the failing tool fails the run
            print(f"FAILED {text}: {err}", flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--encoding", choices=["protobuf", "json"], default="protobuf")
    p.add_argument("--run", action="append", default=[])
    args = p.parse_args()
    provider = tracing(args.endpoint, args.encoding)
    asyncio.run(run_all(args.run or ["weather in Paris"]))
    provider.force_flush()
    provider.shutdown()
    print("FLUSHED", flush=True)


if __name__ == "__main__":
    main()
