"""Idempotency: an event id processed once is not processed again.

The runtime claims an event id before calling a handler and completes the claim after success;
a failed handler releases it. A claim is a lease, so a crashed consumer's claim expires and the
redelivered message is processed. Two copies in flight at once: the second finds a live claim
and is retried later, never run concurrently.
"""

from enum import StrEnum
from typing import Protocol


class ClaimResult(StrEnum):
    ACQUIRED = "acquired"  # go ahead
    DONE = "done"  # already processed: skip and delete the message
    BUSY = "busy"  # another consumer holds a live claim: retry later


class IdempotencyStore(Protocol):
    """Where claims and completions are kept (SQLite by default, PostgreSQL for fleets)."""

    async def claim(self, consumer: str, event_id: str, lease_s: float) -> ClaimResult: ...

    async def complete(self, consumer: str, event_id: str) -> None: ...

    async def release(self, consumer: str, event_id: str) -> None: ...

    async def close(self) -> None: ...
