"""FIFO message groups: one message of a group at a time, in the order received.

SQS FIFO hands out a group's messages in order and holds the group back while one of them is in
flight, but a single receive may return several messages of one group. Run concurrently they
would finish out of order, so each waits for its predecessor in the group; and when the
predecessor is coming back (retry or release) the successor is released too, so that SQS
delivers them again in their order. Messages without a group run at once.
"""

import asyncio
from collections.abc import Awaitable, Callable


class GroupSequencer:
    """Orders work within message groups; the work reports whether its message left the queue."""

    def __init__(self) -> None:
        self._tails: dict[str, asyncio.Future[bool]] = {}

    async def in_order(
        self, group: str | None, work: Callable[[], Awaitable[bool]], give_back: Callable[[], Awaitable[None]]
    ) -> None:
        """Run `work` after the group's previous message left the queue, else `give_back` this one.

        Call in arrival order: the place in the group is taken before the first await.
        """
        if group is None:
            await work()
            return
        previous = self._tails.get(group)
        mine: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._tails[group] = mine
        left_queue = False
        try:
            try:
                go_ahead = previous is None or await asyncio.shield(previous)
            except asyncio.CancelledError:  # shut down while waiting: give it back, it never started
                await give_back()
                raise
            if go_ahead:
                left_queue = await work()
            else:
                await give_back()
        finally:
            mine.set_result(left_queue)
            if self._tails.get(group) is mine:
                del self._tails[group]
