"""What both idempotency stores share: claim tokens, the clock, and the retention purge.

A row per (consumer, event id) in the `processed_events` table: a claim holds a random token
and a lease expiry; completion stamps `completed_at`. Each dialect module supplies the SQL.
"""

import asyncio
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from consumers.runtime.idempotency import ClaimResult
from fanout.errors import FanoutError

# SQS keeps a message (and a DLQ keeps it, counted from the original enqueue) for at most
# 14 days, so a redriven copy can arrive that late: remember completions at least that long.
DEFAULT_RETENTION_S = 14 * 24 * 3600
PURGE_INTERVAL_S = 3600.0

Clock = Callable[[], float]


class StoreUnavailable(FanoutError):
    """The store's database cannot be opened (unreachable server, unwritable file, bad credentials)."""


ConnectionT = TypeVar("ConnectionT")


@dataclass(frozen=True)
class ClaimRow:
    """The row as it stands after a claim attempt."""

    token: str | None
    completed: bool


class LeaseStore(ABC, Generic[ConnectionT]):
    """An IdempotencyStore over one SQL connection (or pool), opened on first use.

    Times are epoch seconds from `clock` (the consumer host's clock: leases are tens of seconds,
    NTP skew is milliseconds). Completed rows older than `retention_s` are purged at most once
    per hour, on a claim.
    """

    def __init__(self, *, retention_s: float, clock: Clock) -> None:
        self._retention_s = retention_s
        self._clock = clock
        self._tokens: dict[tuple[str, str], str] = {}
        self._next_purge_at = 0.0
        self._connection: ConnectionT | None = None
        self._open_lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect and create the table if needed; call at startup to fail fast (else lazy)."""
        await self._connected()

    async def claim(self, consumer: str, event_id: str, lease_s: float) -> ClaimResult:
        """Atomically take the event for `lease_s` seconds unless it is done or held by a live lease."""
        connection = await self._connected()
        now = self._clock()
        if now >= self._next_purge_at:
            self._next_purge_at = now + PURGE_INTERVAL_S
            await self._delete_older_than(connection, now - self._retention_s)
        token = uuid.uuid4().hex
        row = await self._upsert_claim(connection, consumer, event_id, token, now, now + lease_s)
        if row.completed:
            return ClaimResult.DONE
        if row.token != token:
            return ClaimResult.BUSY
        self._tokens[consumer, event_id] = token
        return ClaimResult.ACQUIRED

    async def complete(self, consumer: str, event_id: str) -> None:
        """Mark the event processed (also when this store's lease had lapsed: the work was done)."""
        self._tokens.pop((consumer, event_id), None)
        await self._mark_completed(await self._connected(), consumer, event_id, self._clock())

    async def release(self, consumer: str, event_id: str) -> None:
        """Give up this store's claim so a retry can take it; a claim since taken by another stays."""
        token = self._tokens.pop((consumer, event_id), None)
        if token is not None:
            await self._delete_claim(await self._connected(), consumer, event_id, token)

    async def purge(self) -> int:
        """Delete rows older than the retention now; returns how many went."""
        return await self._delete_older_than(await self._connected(), self._clock() - self._retention_s)

    async def close(self) -> None:
        """Close the connection; the store can be opened again."""
        async with self._open_lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await self._disconnect(connection)

    async def _connected(self) -> ConnectionT:
        async with self._open_lock:
            if self._connection is None:
                self._connection = await self._connect()
            return self._connection

    @abstractmethod
    async def _connect(self) -> ConnectionT: ...

    @abstractmethod
    async def _disconnect(self, connection: ConnectionT) -> None: ...

    @abstractmethod
    async def _upsert_claim(
        self,
        connection: ConnectionT,
        consumer: str,
        event_id: str,
        token: str,
        now: float,
        lease_until: float,
    ) -> ClaimRow: ...

    @abstractmethod
    async def _mark_completed(
        self, connection: ConnectionT, consumer: str, event_id: str, now: float
    ) -> None: ...

    @abstractmethod
    async def _delete_claim(
        self, connection: ConnectionT, consumer: str, event_id: str, token: str
    ) -> None: ...

    @abstractmethod
    async def _delete_older_than(self, connection: ConnectionT, cutoff: float) -> int: ...
