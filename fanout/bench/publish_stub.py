"""Publishing on the stub endpoint with a round-trip latency injected: what batching saves a client.

Four methods, every one timed `rounds` times (interleaved, alternating order), on the stub
answering each call after `latency_ms` (like a real SNS round trip):

- unbatched: one `sns.publish` per event (boto3), with the publishers' body and attributes;
- batched sync: `Publisher.publish_many` (boto3, PublishBatch of 10, one call at a time);
- batched async: `AsyncPublisher(concurrent_batches=1)` (aiobotocore, one call at a time);
- batched async, concurrent: `AsyncPublisher()` (its default number of batches in flight).

The unbatched method publishes a tenth of the events (at 20 ms a call it is slow); rates are per
second, so the ratios compare like with like. Building each message body is timed in all four.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fanout.aws import sync_client
from fanout.bench.samples import Spread, interleaved, ratios, spread
from fanout.bench.stub import ACCOUNT, REGION
from fanout.contract.envelope import CloudEvent
from producer.async_publisher import DEFAULT_CONCURRENT_BATCHES, AsyncPublisher
from producer.demo import demo_events
from producer.entries import build_entry
from producer.publisher import Publisher

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

METHODS = ("unbatched", "batched_sync", "batched_async", "batched_async_concurrent")
UNBATCHED_SHARE = 10  # the unbatched method publishes events / this
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:bench-orders"

Events = Sequence[CloudEvent[Any]]


def publish_each(sns: "SNSClient", topic_arn: str, events: Events) -> None:
    """The unbatched baseline: one Publish call per event, with the publishers' body and attributes."""
    for event in events:
        entry = build_entry(event, fifo=False)
        sns.publish(TopicArn=topic_arn, Message=entry.message, MessageAttributes=entry.attributes)  # type: ignore[arg-type]


async def _async_publish(events: Events, concurrent_batches: int) -> float:
    async with AsyncPublisher(topic_arn=TOPIC_ARN, concurrent_batches=concurrent_batches) as publisher:
        (await publisher.publish_many(events[:1])).raise_for_failures()  # connect before timing
        started = time.perf_counter()
        (await publisher.publish_many(events)).raise_for_failures()
        return time.perf_counter() - started


def _timed(publish: Callable[[], object]) -> float:
    started = time.perf_counter()
    publish()
    return time.perf_counter() - started


@dataclass
class PublishOnStub:
    """Events per second of each method, one sample per round."""

    latency_ms: float
    events: int
    rounds: int
    concurrent_batches: int = DEFAULT_CONCURRENT_BATCHES
    rates: dict[str, list[float]] = field(default_factory=lambda: {method: [] for method in METHODS})

    def rate(self, method: str) -> Spread:
        return spread(self.rates[method])

    def ratio(self, method: str) -> Spread:
        """Events/s of `method` ÷ unbatched events/s, round by round."""
        return ratios(self.rates[method], self.rates["unbatched"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "events": self.events,
            "unbatched_events": max(1, self.events // UNBATCHED_SHARE),
            "rounds": self.rounds,
            "concurrent_batches": self.concurrent_batches,
            "methods": {
                method: {
                    "events_per_s": self.rate(method).as_dict(1),
                    "ratio_to_unbatched": self.ratio(method).as_dict(2),
                }
                for method in METHODS
            },
        }


def measure_publish_on_stub(
    latency_ms: float, events_count: int, rounds: int, seed: int, progress: Callable[[str], None]
) -> PublishOnStub:
    """Publish with each method `rounds` times; AWS_ENDPOINT_URL must name the stub (at that latency)."""
    events = demo_events(events_count, seed=seed)
    few = events[: max(1, events_count // UNBATCHED_SHARE)]
    sns = sync_client("sns")
    publisher = Publisher(topic_arn=TOPIC_ARN, sns=sns)
    publish_each(sns, TOPIC_ARN, few[:1])  # connect before timing
    figures = PublishOnStub(latency_ms, events_count, rounds)
    runs: dict[str, Callable[[], float]] = {
        "unbatched": lambda: _timed(lambda: publish_each(sns, TOPIC_ARN, few)),
        "batched_sync": lambda: _timed(lambda: publisher.publish_many(events).raise_for_failures()),
        "batched_async": lambda: asyncio.run(_async_publish(events, 1)),
        "batched_async_concurrent": lambda: asyncio.run(_async_publish(events, figures.concurrent_batches)),
    }
    for number, method in interleaved(list(METHODS), rounds):
        progress(
            f"publish on the stub ({latency_ms:g} ms per call): {method}, round {number + 1} of {rounds}"
        )
        count = len(few) if method == "unbatched" else len(events)
        figures.rates[method].append(count / runs[method]())
    return figures
