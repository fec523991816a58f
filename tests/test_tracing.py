"""OpenTelemetry trace context end to end: the producer writes it, the consumer's handling span is
its child (OTel SDK, in-memory exporter); without opentelemetry-api nothing is traced or imported."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.contract import CloudEvent, OrderCancelled, new_event
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology
from producer.options import PublishOptions
from producer.publisher import Publisher

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """The SDK's in-memory exporter on the global tracer provider (set once per process)."""
    memory = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


class Traced(Service):
    name = "analytics"

    def __init__(self) -> None:
        self.parents: list[Any] = []

    @handles(OrderCancelled)
    async def on_cancelled(self, event: CloudEvent[OrderCancelled], context: HandlerContext) -> None:
        self.parents.append(trace.get_current_span().get_span_context())


def cancellation() -> CloudEvent[OrderCancelled]:
    return new_event(OrderCancelled(order_id="o-1", reason="r", cancelled_at=NOW))


def settings() -> ConsumerSettings:
    return ConsumerSettings(wait_time_s=1, health_port=0)


async def test_the_handling_span_is_a_child_of_the_publishing_span(
    fanout_topology: AppliedTopology, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    event = cancellation()  # made outside any span: the publishing span's context is added
    tracer = trace.get_tracer("order-service")
    with tracer.start_as_current_span("checkout") as checkout:
        Publisher(topic_arn=fanout_topology.deployed.topic_arn, options=PublishOptions()).publish(event)
    parent = checkout.get_span_context()
    traceparent = f"00-{parent.trace_id:032x}-{parent.span_id:016x}-{parent.trace_flags:02x}"

    [message] = sync_client("sqs").receive_message(
        QueueUrl=fanout_topology.queue_url("analytics"), MessageAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    assert json.loads(message["Body"])["traceparent"] == traceparent  # CloudEvents distributed tracing
    assert message["MessageAttributes"]["traceparent"]["StringValue"] == traceparent  # W3C attribute

    service, spy = Traced(), HandlerSpy()
    queue, dlq = fanout_topology.queue_url("analytics"), fanout_topology.dlq_url("analytics")
    async with Consumer(service, queue, dlq, settings(), [spy]).running():
        await spy.wait_for(event_id=event.id, outcome="handled", timeout=15)

    spans: list[ReadableSpan] = [
        s for s in exporter.get_finished_spans() if s.name == "process order.cancelled"
    ]
    [handling] = spans
    assert handling.kind is trace.SpanKind.CONSUMER
    assert handling.parent is not None and handling.parent.span_id == parent.span_id
    assert handling.context.trace_id == parent.trace_id
    assert handling.attributes is not None and handling.attributes["cloudevents.event_id"] == event.id
    [seen] = service.parents  # the handler runs inside it
    assert seen.span_id == handling.context.span_id


async def test_a_traceparent_from_another_producer_is_continued(
    fanout_topology: AppliedTopology, exporter: InMemorySpanExporter
) -> None:
    exporter.clear()
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    event = new_event(
        OrderCancelled(order_id="o-2", reason="r", cancelled_at=NOW),
        extensions={"traceparent": traceparent, "tracestate": "vendor=1"},
    )
    sync_client("sqs").send_message(
        QueueUrl=fanout_topology.queue_url("analytics"), MessageBody=event.model_dump_json()
    )
    service, spy = Traced(), HandlerSpy()
    queue, dlq = fanout_topology.queue_url("analytics"), fanout_topology.dlq_url("analytics")
    async with Consumer(service, queue, dlq, settings(), [spy]).running():
        await spy.wait_for(event_id=event.id, outcome="handled", timeout=15)
    [handling] = [s for s in exporter.get_finished_spans() if s.name == "process order.cancelled"]
    assert f"{handling.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert handling.parent is not None and f"{handling.parent.span_id:016x}" == "b7ad6b7169203331"
    assert handling.context.trace_state.get("vendor") == "1"


WITHOUT_OTEL = """
import sys
sys.modules["opentelemetry"] = None  # as if opentelemetry-api were not installed
from datetime import UTC, datetime
from fanout import tracing
from fanout.contract import OrderCancelled, new_event
from fanout.contract.envelope import with_trace_context
data = OrderCancelled(order_id="o", reason="r", cancelled_at=datetime.now(UTC))
event = with_trace_context(new_event(data))
parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
span = tracing.consumer_span("process", ({"traceparent": parent},), dict)
with span:
    pass
print(tracing.tracing_enabled(), dict(event.extensions), type(span).__name__,
      any(name.startswith("opentelemetry") for name in sys.modules if sys.modules[name] is not None))
"""


def test_without_opentelemetry_nothing_is_traced_or_imported() -> None:
    result = subprocess.run([sys.executable, "-c", WITHOUT_OTEL], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "{}", "nullcontext", "False"]


API_ONLY = """
from opentelemetry import trace
from fanout import tracing
parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
idle = tracing.consumer_span("process", ({}, {"tracestate": "v=1"}), dict)
with tracing.consumer_span("process", ({}, {"traceparent": {"StringValue": parent}}), dict):
    seen = trace.get_current_span().get_span_context()
print(type(idle).__name__, f"{seen.trace_id:032x}", f"{seen.span_id:016x}")
"""


def test_without_a_tracer_provider_only_a_trace_context_is_continued() -> None:
    """API installed, no SDK: no span machinery without a traceparent; with one, the handler still
    runs in the incoming trace context (so what it publishes continues the trace)."""
    result = subprocess.run([sys.executable, "-c", API_ONLY], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["nullcontext", "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"]
