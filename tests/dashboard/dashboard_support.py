"""Dashboard test helpers: dead letters as the runtime writes them, processed events, a server thread."""

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from consumers.runtime.idempotency_stores import SqliteStore
from consumers.services.analytics.store import EventStore
from consumers.services.database import open_database
from fanout.aws import sync_client
from fanout.contract import CloudEvent, OrderShipped, new_event
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.wire import message_attributes
from fanout.dashboard.app import dashboard_app, serve_dashboard
from fanout.dashboard.settings import DashboardSettings
from fanout.topology import Topology
from fanout.topology.depth import read_depth

TOKEN = "correct-horse-battery-staple"

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end from synchronous code that already has a loop (Playwright's)."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def shipped(order_id: str) -> CloudEvent[Any]:
    return new_event(
        OrderShipped(
            order_id=order_id, carrier="dhl", tracking_number=f"t-{order_id}", shipped_at=datetime.now(UTC)
        )
    )


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def put_dead_letter(
    dlq_url: str, body: str, attributes: dict[str, Any], *, reason: str, detail: str, source_queue: str
) -> str:
    """Send one message into a DLQ with the attributes the runtime records; its SQS message id."""
    recorded = {
        DeadLetterAttribute.REASON.value: _string(reason),
        DeadLetterAttribute.DETAIL.value: _string(detail),
        DeadLetterAttribute.SOURCE_QUEUE.value: _string(source_queue),
        DeadLetterAttribute.FIRST_SEEN.value: _string("2026-01-01T00:00:00+00:00"),
        DeadLetterAttribute.RECEIVE_COUNT.value: {"DataType": "Number", "StringValue": "5"},
        DeadLetterAttribute.DEAD_LETTERED_AT.value: _string("2026-01-01T00:05:00+00:00"),
    }
    response = sync_client("sqs").send_message(
        QueueUrl=dlq_url, MessageBody=body, MessageAttributes={**attributes, **recorded}
    )
    return response["MessageId"]


def put_event_dead_letter(dlq_url: str, event: CloudEvent[Any], reason: str, source_queue: str) -> str:
    return put_dead_letter(
        dlq_url,
        event.model_dump_json(),
        dict(message_attributes(event)),
        reason=reason,
        detail=f"{reason} while handling {event.type}",
        source_queue=source_queue,
    )


def depth(queue_url: str) -> int:
    """Every message in a queue, visible or not (a page may be peeking at the same moment)."""
    return read_depth(sync_client("sqs"), queue_url).total


def visible(queue_url: str) -> int:
    attributes = sync_client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


async def record_handled(directory: Path, consumers: list[str], event: CloudEvent[Any]) -> dict[str, str]:
    """Complete the event in each consumer's own SQLite idempotency store, as the runtime does; the URLs."""
    urls = {}
    for consumer in ("email", "inventory", "analytics"):
        store = SqliteStore(directory / f"{consumer}-idempotency.sqlite3")
        await store.open()
        if consumer in consumers:
            await store.claim(consumer, event.id, lease_s=30)
            await store.complete(consumer, event.id)
        await store.close()
        urls[consumer] = f"sqlite:///{directory / f'{consumer}-idempotency.sqlite3'}"
    return urls


async def log_events(url: str, events: list[CloudEvent[Any]]) -> str:
    """Store events in the analytics database at `url`, as the analytics service does; the URL."""
    database = await open_database(url)
    try:
        store = EventStore(database)
        await store.migrate()
        await store.record(events)
    finally:
        await database.close()
    return url


class DashboardThread:
    """The dashboard served from its own thread and event loop (for the synchronous browser tests)."""

    def __init__(self, settings: DashboardSettings, topology: Topology, state_path: Path) -> None:
        self._app = dashboard_app(settings, topology, state_path)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.url = ""

    async def _serve(self) -> None:
        self._stop, self._loop = asyncio.Event(), asyncio.get_running_loop()
        async with serve_dashboard(self._app, "127.0.0.1", 0) as server:
            self.url = server.url
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> "DashboardThread":
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the dashboard did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
