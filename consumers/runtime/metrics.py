"""Prometheus metrics of the consumer runtime, fed by `MetricsObserver`.

The metric objects live at module level on the default registry, so any number of consumers in
one process share them (told apart by the `consumer` label) and /metrics (consumers.runtime.health)
exposes them. What became of messages is one counter with an `outcome` label (handled, duplicate,
retry, dead_lettered, released): rates and ratios come from it with PromQL.
"""

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from fanout.contract.envelope import CloudEvent

UNDECODED_EVENT_TYPE = "undecoded"  # the event_type label of a body that could not be decoded

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


class _Children:
    """The labelled children one (consumer, event type, outcome) records into, looked up once."""

    def __init__(self, consumer: str, event_type: str, outcome: str) -> None:
        self.messages = MESSAGES.labels(consumer, event_type, outcome)
        self.failures = FAILURES.labels(consumer, event_type, outcome)
        self.duration = HANDLER_DURATION.labels(consumer, event_type, outcome)
        self.age = MESSAGE_AGE.labels(consumer, event_type)


class _PollChildren:
    def __init__(self, consumer: str) -> None:
        self.latency = POLL_LATENCY.labels(consumer)
        self.received = MESSAGES_RECEIVED.labels(consumer)
        self.empty = EMPTY_RECEIVES.labels(consumer)
        self.in_flight = IN_FLIGHT.labels(consumer)


class MetricsObserver(NullObserver):
    """A RuntimeObserver that records the runtime's events in the Prometheus metrics above.

    Label children are bound once per label combination (`labels()` costs a lock and a lookup,
    per call, on the hot path).
    """

    def __init__(self) -> None:
        self._outcomes: dict[tuple[str, str, str], _Children] = {}
        self._polls: dict[str, _PollChildren] = {}

    def _poll_children(self, consumer: str) -> _PollChildren:
        children = self._polls.get(consumer)
        if children is None:
            children = self._polls[consumer] = _PollChildren(consumer)
        return children

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        children = self._poll_children(consumer)
        children.latency.observe(latency_s)
        if received:
            children.received.inc(received)
        else:
            children.empty.inc()

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
        key = (consumer, event_type, outcome)
        children = self._outcomes.get(key)
        if children is None:
            children = self._outcomes[key] = _Children(*key)
        children.messages.inc()
        if error is not None:
            children.failures.inc()
        if outcome != Outcome.RELEASED:  # given back unprocessed: neither a duration nor a lag
            children.duration.observe(duration_s)
            children.age.observe(max(0.0, time.time() - context.sent_at.timestamp()))

    def on_in_flight(self, consumer: str, count: int) -> None:
        self._poll_children(consumer).in_flight.set(count)
