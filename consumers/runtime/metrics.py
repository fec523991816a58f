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


class _Bound:
    """A metric's label children, bound once per label values (`labels()` takes a lock per call).

    A child is made the first time its labels are recorded, so no empty series appear.
    """

    def __init__(self, metric: Any) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *labels: str) -> Any:
        child = self._children.get(labels)
        if child is None:
            child = self._children[labels] = self._metric.labels(*labels)
        return child


class _OutcomeSeries:
    """The children one outcome of one event type records into, bound together on first use."""

    def __init__(self, consumer: str, event_type: str, outcome: str) -> None:
        self.labels = (consumer, event_type, outcome)
        self.messages = MESSAGES.labels(consumer, event_type, outcome)
        self.failures: Any = None  # bound at the first failure: no series of zero failures
        self.timed = outcome not in UNPROCESSED  # neither a duration nor a lag otherwise
        if self.timed:
            self.duration = HANDLER_DURATION.labels(consumer, event_type, outcome)
            self.age = MESSAGE_AGE.labels(consumer, event_type)


class MetricsObserver(NullObserver):
    """A RuntimeObserver that records the runtime's events in the Prometheus metrics above.

    Per message it does one dictionary lookup for its label children; the in-flight gauge reads
    the last count at scrape time instead of being set twice per message.
    """

    def __init__(self) -> None:
        self._poll_latency = _Bound(POLL_LATENCY)
        self._received = _Bound(MESSAGES_RECEIVED)
        self._empty = _Bound(EMPTY_RECEIVES)
        self._series: dict[tuple[str, str, str], _OutcomeSeries] = {}
        self._in_flight: dict[str, int] = {}

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        self._poll_latency(consumer).observe(latency_s)
        if received:
            self._received(consumer).inc(received)
        else:
            self._empty(consumer).inc()

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        key = (consumer, event.type if event is not None else UNDECODED_EVENT_TYPE, outcome)
        series = self._series.get(key)
        if series is None:  # a child is made when its labels are first recorded: no empty series
            series = self._series[key] = _OutcomeSeries(*key)
        series.messages.inc()
        if error is not None:
            if series.failures is None:
                series.failures = FAILURES.labels(*series.labels)
            series.failures.inc()
        if series.timed:
            series.duration.observe(duration_s)
            series.age.observe(max(0.0, time.time() - context.sent_at.timestamp()))

    def on_in_flight(self, consumer: str, count: int) -> None:
        if consumer not in self._in_flight:
            IN_FLIGHT.labels(consumer).set_function(lambda: self._in_flight[consumer])
        self._in_flight[consumer] = count
