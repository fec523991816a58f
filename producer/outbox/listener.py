"""PostgreSQL LISTEN: the relay wakes as soon as a transaction that staged rows commits."""

import time
from collections.abc import Callable
from typing import Any

import psycopg

from producer.outbox.schema import CHANNEL

CHECK_STOP_S = 0.5


class Listener:
    """An autocommit connection listening on the outbox channel."""

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._connection = connection

    @classmethod
    async def open(cls, conninfo: str) -> "Listener":
        connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True, connect_timeout=10)
        await connection.execute(f"LISTEN {CHANNEL}")
        return cls(connection)

    async def wait(self, timeout_s: float, stopping: Callable[[], bool]) -> bool:
        """True once a notification arrives; False after `timeout_s` or when `stopping()` turns true.

        Notifications already queued are taken too: one wake-up serves every commit before it.
        """
        deadline = time.monotonic() + timeout_s
        woken = False
        while not woken and not stopping() and (left := deadline - time.monotonic()) > 0:
            async for _ in self._connection.notifies(timeout=min(left, CHECK_STOP_S), stop_after=1):
                woken = True
        if woken:
            async for _ in self._connection.notifies(timeout=0):
                pass
        return woken

    async def close(self) -> None:
        await self._connection.close()
