"""MetricsObserver and the health server, scraped over HTTP from the real aiohttp server."""

import uuid

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from consumers.runtime.errors import PermanentError, RetryableError
from consumers.runtime.health import HealthServer, serve_health
from consumers.runtime.metrics import UNDECODED_EVENT_TYPE, MetricsObserver
from consumers.runtime.observer import Outcome
from runtime_ops.support import cancelled_event, delivery

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Switch:
    """A Readiness whose answer the test sets."""

    def __init__(self) -> None:
        self.state: bool | Exception = False

    async def ready(self) -> bool:
        if isinstance(self.state, Exception):
            raise self.state
        return self.state


async def get(server: HealthServer, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"{server.url}{path}") as response:
        return response.status, await response.text()


async def scrape(server: HealthServer, consumer: str) -> Samples:
    """Samples of one consumer's series, keyed by sample name and labels (consumer label dropped)."""
    status, text = await get(server, "/metrics")
    assert status == 200
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.labels.get("consumer") == consumer:
                labels = frozenset((k, v) for k, v in sample.labels.items() if k != "consumer")
                samples[sample.name, labels] = sample.value
    return samples


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


@pytest.fixture
def consumer() -> str:
    """A consumer label of its own: the metrics live on the process-wide default registry."""
    return f"metrics-{uuid.uuid4().hex[:8]}"


async def test_metrics_count_polls_outcomes_durations_and_in_flight(consumer: str) -> None:
    observer, second_instance = MetricsObserver(), MetricsObserver()  # no duplicate registration
    cancelled_type = cancelled_event().type

    observer.on_poll(consumer, 3, 0.2)
    second_instance.on_poll(consumer, 0, 20.0)
    for _ in range(2):
        observer.on_outcome(
            consumer, Outcome.HANDLED, cancelled_event(), delivery(sent_seconds_ago=30), 0.05, None
        )
    observer.on_outcome(
        consumer, Outcome.RETRY, cancelled_event(), delivery(attempt=2), 0.5, RetryableError("smtp down")
    )
    observer.on_outcome(consumer, Outcome.DEAD_LETTERED, None, delivery(), 0.01, PermanentError("bad body"))
    observer.on_outcome(consumer, Outcome.DUPLICATE, cancelled_event(), delivery(), 0.002, None)
    observer.on_outcome(consumer, Outcome.RELEASED, None, delivery(), 0.0, None)
    observer.on_in_flight(consumer, 4)
    observer.on_in_flight(consumer, 2)

    async with serve_health(Switch(), port=0, host="127.0.0.1") as server:
        samples = await scrape(server, consumer)

    assert samples[key("fanout_consumer_messages_received_total")] == 3
    assert samples[key("fanout_consumer_empty_receives_total")] == 1
    assert samples[key("fanout_consumer_poll_latency_seconds_count")] == 2
    assert samples[key("fanout_consumer_poll_latency_seconds_sum")] == pytest.approx(20.2)
    assert samples[key("fanout_consumer_poll_latency_seconds_bucket", le="0.25")] == 1

    def messages(event_type: str, outcome: str) -> float:
        return samples[key("fanout_consumer_messages_total", event_type=event_type, outcome=outcome)]

    assert messages(cancelled_type, "handled") == 2
    assert messages(cancelled_type, "retry") == 1
    assert messages(cancelled_type, "duplicate") == 1
    assert messages(UNDECODED_EVENT_TYPE, "dead_lettered") == 1
    assert messages(UNDECODED_EVENT_TYPE, "released") == 1
    failures = {
        labels: value for (name, labels), value in samples.items() if name == "fanout_consumer_failures_total"
    }
    assert failures == {
        frozenset({("event_type", cancelled_type), ("outcome", "retry")}): 1,
        frozenset({("event_type", UNDECODED_EVENT_TYPE), ("outcome", "dead_lettered")}): 1,
    }

    handled = {"event_type": cancelled_type, "outcome": "handled"}
    assert samples[key("fanout_consumer_handler_duration_seconds_count", **handled)] == 2
    assert samples[key("fanout_consumer_handler_duration_seconds_sum", **handled)] == pytest.approx(0.1)
    assert samples[key("fanout_consumer_handler_duration_seconds_bucket", le="0.05", **handled)] == 2
    assert samples[key("fanout_consumer_handler_duration_seconds_bucket", le="0.025", **handled)] == 0
    released = key(
        "fanout_consumer_handler_duration_seconds_count", event_type=UNDECODED_EVENT_TYPE, outcome="released"
    )
    assert released not in samples  # given back unprocessed: no duration

    age = {"event_type": cancelled_type}
    # handled twice, retried, duplicate: every outcome but the release
    assert samples[key("fanout_consumer_message_age_seconds_count", **age)] == 4
    assert samples[key("fanout_consumer_message_age_seconds_bucket", le="10.0", **age)] == 2  # the fresh ones
    assert samples[key("fanout_consumer_message_age_seconds_bucket", le="60.0", **age)] == 4

    assert samples[key("fanout_consumer_in_flight")] == 2


async def test_healthz_is_live_and_readyz_follows_readiness() -> None:
    switch = Switch()
    async with serve_health(switch, port=0, host="127.0.0.1") as server:
        assert server.port > 0
        assert await get(server, "/healthz") == (200, "ok\n")
        assert (await get(server, "/readyz"))[0] == 503
        switch.state = True
        assert await get(server, "/readyz") == (200, "ready\n")
        switch.state = ConnectionError("endpoint unreachable")
        assert await get(server, "/readyz") == (503, "not ready: endpoint unreachable\n")
        status, _ = await get(server, "/metrics")
        assert status == 200

    with pytest.raises(aiohttp.ClientConnectionError):
        await get(server, "/healthz")  # stopped with the block
