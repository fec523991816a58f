"""Publish phase: events/s one `sns.publish` at a time vs PublishBatch through the project's publishers.

Every method publishes the same demo events to the bench topic (so the same fan-out work happens
on the endpoint) in chunks of `depth` events; the queues are purged between chunks, untimed, so
moto never gets deep. Building the message body is timed in all three methods.

moto does per-message work for every subscribed queue, which caps what batching can save on it.
The sync methods are therefore also timed on a topic without subscriptions: that ratio is what
batching saves in the client and the protocol (closer to real SNS, where a call's round trip
dominates and fan-out happens after the call returns).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fanout.aws import sync_client
from fanout.bench.queues import purge_queues
from fanout.contract.envelope import CloudEvent
from fanout.topology import AppliedTopology
from producer.async_publisher import AsyncPublisher
from producer.demo import demo_events
from producer.entries import build_entry
from producer.publisher import Publisher

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

Events = Sequence[CloudEvent[Any]]


@dataclass(frozen=True)
class PublishFigures:
    """Seconds each method took to publish `events` events."""

    events: int
    chunk: int
    unbatched_s: float
    batched_sync_s: float
    batched_async_s: float
    bare_unbatched_s: float  # on a topic without subscriptions
    bare_batched_s: float

    def rate(self, seconds: float) -> float:
        return self.events / seconds

    @property
    def sync_ratio(self) -> float:
        return self.unbatched_s / self.batched_sync_s

    @property
    def async_ratio(self) -> float:
        return self.unbatched_s / self.batched_async_s

    @property
    def bare_ratio(self) -> float:
        return self.bare_unbatched_s / self.bare_batched_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "chunk": self.chunk,
            "unbatched": {
                "seconds": round(self.unbatched_s, 3),
                "events_per_s": round(self.rate(self.unbatched_s), 1),
            },
            "batched_sync": {
                "seconds": round(self.batched_sync_s, 3),
                "events_per_s": round(self.rate(self.batched_sync_s), 1),
            },
            "batched_async": {
                "seconds": round(self.batched_async_s, 3),
                "events_per_s": round(self.rate(self.batched_async_s), 1),
            },
            "ratio_sync": round(self.sync_ratio, 2),
            "ratio_async": round(self.async_ratio, 2),
            "no_subscriptions": {
                "unbatched_events_per_s": round(self.rate(self.bare_unbatched_s), 1),
                "batched_sync_events_per_s": round(self.rate(self.bare_batched_s), 1),
                "ratio_sync": round(self.bare_ratio, 2),
            },
        }


def _chunks(events: Events, size: int) -> list[Events]:
    return [events[start : start + size] for start in range(0, len(events), size)]


def publish_each(sns: "SNSClient", topic_arn: str, events: Events) -> None:
    """The unbatched baseline: one Publish call per event, with the publishers' body and attributes."""
    for event in events:
        entry = build_entry(event, fifo=False)
        sns.publish(TopicArn=topic_arn, Message=entry.message, MessageAttributes=entry.attributes)  # type: ignore[arg-type]


def _timed(chunks: list[Events], publish: Callable[[Events], None], purge: Callable[[], None]) -> float:
    elapsed = 0.0
    for chunk in chunks:
        started = time.perf_counter()
        publish(chunk)
        elapsed += time.perf_counter() - started
        purge()
    return elapsed


async def _timed_async(
    chunks: list[Events], publish: Callable[[Events], Awaitable[None]], purge: Callable[[], None]
) -> float:
    elapsed = 0.0
    for chunk in chunks:
        started = time.perf_counter()
        await publish(chunk)
        elapsed += time.perf_counter() - started
        await asyncio.to_thread(purge)
    return elapsed


async def _batched_async(topic_arn: str, chunks: list[Events], purge: Callable[[], None]) -> float:
    async with AsyncPublisher(topic_arn=topic_arn) as publisher:

        async def publish(events: Events) -> None:
            (await publisher.publish_many(events)).raise_for_failures()

        await publish(chunks[0][:1])  # open the connection before timing
        return await _timed_async(chunks, publish, purge)


def measure_publish(topology: AppliedTopology, count: int, chunk: int, seed: int) -> PublishFigures:
    """Publish `count` demo events with each method and time them."""
    sns, sqs = sync_client("sns"), sync_client("sqs")
    topic_arn = topology.deployed.topic_arn
    events = demo_events(count, seed=seed)
    chunks = _chunks(events, chunk)
    publisher = Publisher(topic_arn=topic_arn, sns=sns)

    def purge() -> None:
        purge_queues(sqs, topology)

    def unbatched(part: Events) -> None:
        publish_each(sns, topic_arn, part)

    def batched(part: Events) -> None:
        publisher.publish_many(part).raise_for_failures()

    unbatched(events[:1])  # open the connection before timing
    purge()
    bare_arn = sns.create_topic(Name=f"{topology.declared.prefix}-publish-only")["TopicArn"]
    bare = Publisher(topic_arn=bare_arn, sns=sns)

    def bare_unbatched(part: Events) -> None:
        publish_each(sns, bare_arn, part)

    def bare_batched(part: Events) -> None:
        bare.publish_many(part).raise_for_failures()

    def nothing_to_purge() -> None:
        return None

    return PublishFigures(
        events=count,
        chunk=chunk,
        unbatched_s=_timed(chunks, unbatched, purge),
        batched_sync_s=_timed(chunks, batched, purge),
        batched_async_s=asyncio.run(_batched_async(topic_arn, chunks, purge)),
        bare_unbatched_s=_timed(chunks, bare_unbatched, nothing_to_purge),
        bare_batched_s=_timed(chunks, bare_batched, nothing_to_purge),
    )
