"""W3C trace context for events, through OpenTelemetry when `opentelemetry-api` is installed.

Without it (the `tracing` extra) every function here is a cheap no-op: no import, no span.
"""

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

try:
    from opentelemetry import context as otel_context
    from opentelemetry import propagate, trace
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    trace = None  # type: ignore[assignment]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACER_NAME = "fanout"


def current_trace_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span; empty without one or without OpenTelemetry."""
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {name: carrier[name] for name in (TRACEPARENT, TRACESTATE) if carrier.get(name)}


@contextlib.contextmanager
def consumer_span(name: str, carrier: Mapping[str, Any], attributes: Mapping[str, str]) -> Iterator[None]:
    """A CONSUMER span, child of the trace context in `carrier` (when any), around the block."""
    if trace is None:
        yield
        return
    headers = {key: value for key in (TRACEPARENT, TRACESTATE) if isinstance(value := carrier.get(key), str)}
    parent = propagate.extract(headers) if headers else otel_context.get_current()
    tracer = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(
        name, context=parent, kind=trace.SpanKind.CONSUMER, attributes=dict(attributes)
    ):
        yield
