"""Delayed delivery, the producer's half: a delay becomes the envelope's `notbefore` time.

SNS has no per-message delay; consumers defer a message until its `notbefore` has passed
(consumers.runtime.delay). A delay longer than every consumer's queue can honour is refused here,
before anything is sent (Topology.longest_delay_s).
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from fanout.contract.envelope import CloudEvent
from fanout.errors import FanoutError

Delay = timedelta | float
"""A timedelta, or seconds."""

DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")
UNIT_SECONDS = (86_400, 3600, 60, 1)


class InvalidDelay(FanoutError):
    """A delay that cannot be honoured (negative, or longer than the consumers' queues allow)."""


def parse_delay(text: str) -> timedelta:
    """`90`, `90s`, `5m`, `1h30m`, `2d` ... as a timedelta; InvalidDelay otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    match = DURATION.fullmatch(text)
    if not text or match is None:
        raise InvalidDelay(f"delay {text!r} is not a duration like 90s, 5m, 1h30m or 2d")
    seconds = sum(float(part) * unit for part, unit in zip(match.groups(), UNIT_SECONDS, strict=True) if part)
    return timedelta(seconds=seconds)


def delay_seconds(delay: Delay) -> float:
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


def with_delay(
    events: Iterable[CloudEvent[Any]], delay: Delay, *, longest_s: int, now: datetime | None = None
) -> list[CloudEvent[Any]]:
    """The events with `notbefore` = now + delay (a zero delay changes nothing)."""
    seconds = delay_seconds(delay)
    if seconds < 0:
        raise InvalidDelay(f"delay must not be negative, not {seconds:g} s")
    if seconds > longest_s:
        raise InvalidDelay(
            f"delay of {seconds:g} s exceeds the longest the consumers' queues honour ({longest_s} s: "
            "each 12 h of delay spends one receive of maxReceiveCount); nothing was published"
        )
    if seconds == 0:
        return list(events)
    due = (now or datetime.now(UTC)) + timedelta(seconds=seconds)
    return [event.model_copy(update={"notbefore": due}) for event in events]
