"""Prometheus metrics of the consumer runtime, fed by `MetricsObserver`.

The metric objects live at module level on the default registry, so any number of consumers in
one process share them (told apart by the `consumer` label) and /metrics (consumers.runtime.health)
exposes them. What became of messages is one counter with an `outcome` label (handled, duplicate,
retry, dead_lettered, released, deferred): rates and ratios come from it with PromQL.
"""

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from fanout.contract.envelope import CloudEvent

UNDECODED_EVENT_TYPE = "undecoded"  # the event_type label of a body that could not be decoded
UNPROCESSED = frozenset({Outcome.RELEASED, Outcome.DEFERRED})  # given back unprocessed

MESSAGES_RECEIVED = Counter(
    "fanout_consumer_messages_received", "Messages received from the queue.", ["consumer"]
)
EMPTY_RECEIVES = Counter(
    "fanout_consumer_empty_receives", "Receive calls that returned no message.", ["consumer"]
)
POLL_LATENCY = Histogram(
    "fanout_consumer_poll_latency_seconds",
    "Duration of one receive call, long-poll wait included.",
    ["consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
)
MESSAGES = Counter(
    "fanout_consumer_messages",
    "Messages by what became of them.",
    ["consumer", "event_type", "outcome"],
)
FAILURES = Counter(
    "fanout_consumer_failures",
    "Outcomes caused by an error (a retry or a dead-lettering), by outcome.",
    ["consumer", "event_type", "outcome"],
)
HANDLER_DURATION = Histogram(
    "fanout_consumer_handler_duration_seconds",
    "Time from the start of processing a message to its outcome (decode, claim, handler, ack).",
    ["consumer", "event_type", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
MESSAGE_AGE = Histogram(
    "fanout_consumer_message_age_seconds",
    "Time from the message's enqueue to its outcome (processing lag).",
    ["consumer", "event_type"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600),
)
IN_FLIGHT = Gauge("fanout_consumer_in_flight", "Messages being processed now.", ["consumer"])


class MetricsObserver(NullObserver):
    """A RuntimeObserver that records the runtime's events in the Prometheus metrics above."""

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        POLL_LATENCY.labels(consumer).observe(latency_s)
        if received:
            MESSAGES_RECEIVED.labels(consumer).inc(received)
        else:
            EMPTY_RECEIVES.labels(consumer).inc()

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        event_type = event.type if event is not None else UNDECODED_EVENT_TYPE
        MESSAGES.labels(consumer, event_type, outcome).inc()
        if error is not None:
            FAILURES.labels(consumer, event_type, outcome).inc()
        if outcome not in UNPROCESSED:  # neither a duration nor a lag
            HANDLER_DURATION.labels(consumer, event_type, outcome).observe(duration_s)
            MESSAGE_AGE.labels(consumer, event_type).observe(
                max(0.0, time.time() - context.sent_at.timestamp())
            )

    def on_in_flight(self, consumer: str, count: int) -> None:
        IN_FLIGHT.labels(consumer).set(count)
