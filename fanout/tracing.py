"""W3C trace context for events, through OpenTelemetry when `opentelemetry-api` is installed.

Without it (the `tracing` extra) every function here is a cheap no-op: nothing imported, no span.
"""

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

try:
    from opentelemetry import propagate, trace
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    trace = None  # type: ignore[assignment]

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACER_NAME = "fanout"
_NO_SPAN = contextlib.nullcontext()
# A proxy until an SDK provider is set, then that provider's tracer: fetched once, not per message.
_TRACER = trace.get_tracer(TRACER_NAME) if trace is not None else None
_PROVIDER_SET = False  # see _provider_set


def tracing_enabled() -> bool:
    """Whether opentelemetry-api is installed."""
    return trace is not None


def current_trace_context() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span; empty without one or without OpenTelemetry."""
    if trace is None or not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {name: carrier[name] for name in (TRACEPARENT, TRACESTATE) if carrier.get(name)}


def consumer_span(
    name: str, carriers: tuple[Mapping[str, Any], ...], attributes: Callable[[], Mapping[str, str]]
) -> AbstractContextManager[object]:
    """A CONSUMER span around the block, child of the first carrier's trace context (the event's
    CloudEvents extensions, then its message attributes); a shared no-op without OpenTelemetry.

    Without a tracer provider (only the API installed) and without a trace context to continue,
    the span would record nothing and change no context: the shared no-op is used instead, and
    `attributes` (called only for a real span) is never built.
    """
    if _TRACER is None:
        return _NO_SPAN
    headers = _trace_headers(carriers)
    if TRACEPARENT not in headers and not _provider_set():
        return _NO_SPAN
    return _consumer_span(_TRACER, name, headers, attributes())


def _provider_set() -> bool:
    """Whether a tracer provider (an SDK's, or any other than the API's proxy and no-op) is set.

    A provider can be set once per process and never unset, so a True answer is remembered.
    """
    global _PROVIDER_SET
    if not _PROVIDER_SET:
        provider = trace.get_tracer_provider()
        _PROVIDER_SET = not isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
    return _PROVIDER_SET


def _trace_headers(carriers: tuple[Mapping[str, Any], ...]) -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the first carrier that has a `traceparent`."""
    headers: dict[str, str] = {}
    for carrier in carriers:
        if TRACEPARENT not in carrier:
            continue
        headers = {
            key: text for key in (TRACEPARENT, TRACESTATE) if isinstance(text := _text(carrier.get(key)), str)
        }
        if TRACEPARENT in headers:
            break
    return headers


@contextlib.contextmanager
def _consumer_span(
    tracer: "trace.Tracer", name: str, headers: dict[str, str], attributes: Mapping[str, str]
) -> Iterator[object]:
    parent = propagate.extract(headers) if TRACEPARENT in headers else None
    with tracer.start_as_current_span(
        name, context=parent, kind=trace.SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


def _text(value: Any) -> str | None:
    """A string carrier value, or an SQS message attribute's StringValue."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("StringValue"), str):
        return str(value["StringValue"])
    return None
