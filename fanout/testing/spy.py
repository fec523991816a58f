"""HandlerSpy: a RuntimeObserver that lets tests wait for what became of a message.

    spy = HandlerSpy()
    consumer = Consumer(service, queue_url, dlq_url, settings, observers=[spy])
    async with consumer.running():
        publish(event)
        entry = await spy.wait_for(event_id=event.id, outcome="handled", timeout=5)

`wait_for` returns a matching outcome whether it was recorded before the call or arrives during
it; on timeout it raises TimeoutError listing the outcomes seen. Safe to feed from any thread.
"""

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from fanout.contract.envelope import CloudEvent

SHOWN_IN_TIMEOUT = 20  # most recent outcomes listed in a timeout message


@dataclass(frozen=True)
class SpyRecord:
    """One outcome, as the runtime reported it."""

    consumer: str
    outcome: str
    event: CloudEvent[Any] | None  # None: the body could not be decoded
    context: HandlerContext
    duration_s: float
    error: BaseException | None

    @property
    def event_id(self) -> str | None:
        return self.event.id if self.event is not None else None

    @property
    def event_type(self) -> str | None:
        return self.event.type if self.event is not None else None

    def describe(self) -> str:
        what = f"{self.event_type} id={self.event_id}" if self.event is not None else "undecoded body"
        failure = f" ({type(self.error).__name__}: {self.error})" if self.error is not None else ""
        return f"[{self.consumer}] {self.outcome} {what} message_id={self.context.message_id}{failure}"


@dataclass(frozen=True)
class _Criteria:
    event_id: str | None
    event_type: str | None
    outcome: str | None
    consumer: str | None
    predicate: Callable[[SpyRecord], bool] | None

    def matches(self, record: SpyRecord) -> bool:
        return (
            (self.event_id is None or record.event_id == self.event_id)
            and (self.event_type is None or record.event_type == self.event_type)
            and (self.outcome is None or record.outcome == self.outcome)
            and (self.consumer is None or record.consumer == self.consumer)
            and (self.predicate is None or self.predicate(record))
        )

    def describe(self) -> str:
        named = {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "outcome": self.outcome,
            "consumer": self.consumer,
        }
        parts = [f"{name}={value!r}" for name, value in named.items() if value is not None]
        if self.predicate is not None:
            parts.append(f"predicate={getattr(self.predicate, '__name__', 'predicate')}")
        return ", ".join(parts) or "anything"


@dataclass(frozen=True, eq=False)
class _Waiter:
    criteria: _Criteria
    future: asyncio.Future[SpyRecord]
    loop: asyncio.AbstractEventLoop


def _settle(future: asyncio.Future[SpyRecord], record: SpyRecord) -> None:
    if not future.done():
        future.set_result(record)


class HandlerSpy(NullObserver):
    """Records every outcome the runtime reports; `wait_for` awaits a matching one."""

    def __init__(self) -> None:
        self._records: list[SpyRecord] = []
        self._waiters: list[_Waiter] = []
        self._lock = threading.Lock()

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        record = SpyRecord(consumer, outcome, event, context, duration_s, error)
        with self._lock:
            self._records.append(record)
            matched = [waiter for waiter in self._waiters if waiter.criteria.matches(record)]
            self._waiters = [waiter for waiter in self._waiters if waiter not in matched]
        for waiter in matched:
            waiter.loop.call_soon_threadsafe(_settle, waiter.future, record)

    @property
    def outcomes(self) -> list[SpyRecord]:
        """Every outcome so far, oldest first."""
        with self._lock:
            return list(self._records)

    def handled(self, event_type: str | None = None) -> list[SpyRecord]:
        """Outcomes `handled`, optionally only of one event type."""
        return [
            record
            for record in self.outcomes
            if record.outcome == Outcome.HANDLED and (event_type is None or record.event_type == event_type)
        ]

    async def wait_for(
        self,
        *,
        event_id: str | None = None,
        event_type: str | None = None,
        outcome: str | None = None,
        consumer: str | None = None,
        predicate: Callable[[SpyRecord], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the agreed spelling, as in asyncio.wait_for
    ) -> SpyRecord:
        """The first outcome matching every given criterion, recorded already or within `timeout` s."""
        criteria = _Criteria(event_id, event_type, outcome, consumer, predicate)
        loop = asyncio.get_running_loop()
        with self._lock:
            for record in self._records:
                if criteria.matches(record):
                    return record
            waiter = _Waiter(criteria, loop.create_future(), loop)
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter.future
        except TimeoutError:
            raise TimeoutError(self._timeout_message(criteria, timeout)) from None
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _timeout_message(self, criteria: _Criteria, timeout: float) -> str:
        seen = self.outcomes
        lines = [f"no outcome matching {criteria.describe()} within {timeout:g} s; seen {len(seen)}"]
        if len(seen) > SHOWN_IN_TIMEOUT:
            lines.append(f"  ... {len(seen) - SHOWN_IN_TIMEOUT} earlier")
        lines.extend(f"  {record.describe()}" for record in seen[-SHOWN_IN_TIMEOUT:])
        return "\n".join(lines)
