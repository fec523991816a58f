"""Where an event went: found by event id or order id (subject) in the DLQs and the analytics log;
routed queues from the filter policies, handled from the consumers' processed-events stores."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fanout.dashboard.dlq import subject_of
from fanout.dashboard.settings import DashboardSettings
from fanout.dashboard.stores import StoreError, logged_events, processed_at
from fanout.topology import Topology
from fanout.topology.depth import read_depth
from monitor.dlq.messages import DeadLetter, peek
from monitor.dlq.queues import DeadLetterQueue

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass
class FoundEvent:
    """What is known of one event id."""

    event_id: str
    event_type: str | None = None
    subject: str | None = None
    time: str | None = None
    dead_letters: defaultdict[str, list[DeadLetter]] = field(default_factory=lambda: defaultdict(list))


def _dead_letters(sqs: "SQSClient", queue: DeadLetterQueue, limit: int) -> list[DeadLetter]:
    return peek(sqs, queue.dlq.url, min(read_depth(sqs, queue.dlq.url).total, limit))


async def trace(
    key: str,
    sqs: "SQSClient",
    topology: Topology,
    queues: list[DeadLetterQueue],
    settings: DashboardSettings,
) -> dict[str, Any]:
    """The trace of every event whose id or subject is `key`."""
    errors: list[str] = []
    found: dict[str, FoundEvent] = {}
    letters = await asyncio.gather(
        *(asyncio.to_thread(_dead_letters, sqs, queue, settings.browse_limit) for queue in queues)
    )
    for queue, queue_letters in zip(queues, letters, strict=True):
        for letter in queue_letters:
            subject = subject_of(letter)
            if letter.event_id is not None and key in (letter.event_id, subject):
                event = found.setdefault(letter.event_id, FoundEvent(letter.event_id))
                event.event_type, event.subject = letter.event_type, subject
                event.dead_letters[queue.consumer].append(letter)
    if settings.event_log:
        try:
            for logged in await logged_events(settings.event_log, key):
                event = found.setdefault(logged.event_id, FoundEvent(logged.event_id))
                event.event_type, event.subject, event.time = logged.event_type, logged.subject, logged.time
        except StoreError as error:
            errors.append(f"event log: {error}")
    if found:
        traced = [await _trace_event(event, topology, settings, errors) for event in found.values()]
    else:  # seen nowhere: an event id some consumer handled, or nothing
        probe = await _trace_event(FoundEvent(key), topology, settings, errors)
        traced = [probe] if any(row["handled_at"] for row in probe["consumers"]) else []
    return {"key": key, "events": traced, "errors": errors}


async def _trace_event(
    event: FoundEvent, topology: Topology, settings: DashboardSettings, errors: list[str]
) -> dict[str, Any]:
    rows = []
    for consumer in topology.consumers:
        store = settings.processed_events.get(consumer.name)
        handled_at = None
        if store:
            try:
                handled_at = await processed_at(store, consumer.name, event.event_id)
            except StoreError as error:
                errors.append(f"{consumer.name} processed events: {error}")
        routed = None if event.event_type is None else event.event_type in consumer.event_types
        rows.append(
            {
                "consumer": consumer.name,
                "routed": True if handled_at else routed,  # handled proves it was routed
                "handled_known": bool(store),
                "handled_at": handled_at,
                "dead_letters": [
                    {"message_id": letter.message_id, "reason": letter.reason, "detail": letter.detail}
                    for letter in event.dead_letters.get(consumer.name, [])
                ],
            }
        )
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "subject": event.subject,
        "time": event.time,
        "consumers": rows,
    }
