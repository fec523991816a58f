"""FIFO message groups: one message of a group at a time, in the order received.

SQS FIFO hands out a group's messages in order and holds the group back while one of them is in
flight, but a single receive may return several messages of one group. Run concurrently they
would finish out of order, so each waits for its predecessor in the group; and when the
predecessor is coming back (retry or release) the successor is released too, so that SQS
delivers them again in their order. Messages without a group run at once.

Only messages of one receive wait for each other: SQS hands out a group's next messages only once
the earlier ones left flight, so a later receive starts the group afresh instead of waiting behind
messages that are being given back (on AWS the release call can return before the give-back is
noted here; LocalStack even hands out a released message while the rest of its group is in flight).
"""

import asyncio
from collections.abc import Awaitable, Callable


class GroupSequencer:
    """Orders work within message groups; the work reports whether its message left the queue."""

    def __init__(self) -> None:
        self._tails: dict[str, tuple[float | None, asyncio.Future[bool]]] = {}

    async def in_order(
        self,
        group: str | None,
        work: Callable[[], Awaitable[bool]],
        give_back: Callable[[], Awaitable[None]],
        receive: float | None = None,
    ) -> None:
        """Run `work` after the group's previous message left the queue, else `give_back` this one.

        Call in arrival order: the place in the group is taken before the first await.
        `receive` identifies the receive call the message came in (its arrival time).
        """
        if group is None:
            await work()
            return
        previous_receive, previous = self._tails.get(group, (None, None))
        if previous_receive != receive:
            previous = None  # from a later receive: the earlier messages are out of flight
        mine: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._tails[group] = (receive, mine)
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
            if self._tails.get(group, (None, None))[1] is mine:
                del self._tails[group]
