"""Backoff strategies: how long a failed message stays invisible before its next attempt.

`attempt` is 1 for the first delivery (SQS ApproximateReceiveCount). Every strategy caps the
delay and can add full or equal jitter; SQS limits a visibility timeout to 12 hours.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

MAX_VISIBILITY_S = 43_200


class Jitter(StrEnum):
    """`none`: exact delays; `full`: uniform in [0, d]; `equal`: uniform in [d/2, d]."""

    NONE = "none"
    FULL = "full"
    EQUAL = "equal"


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Base: subclasses give the raw delay for an attempt; cap and jitter apply to all."""

    cap_s: float = 900.0
    jitter: Jitter = Jitter.NONE

    def raw_delay(self, attempt: int) -> float:
        raise NotImplementedError

    def delay(self, attempt: int, rng: random.Random | None = None) -> int:
        """Whole seconds to wait after `attempt` failed, capped, jittered, within SQS limits."""
        return round(self.delay_s(attempt, rng))

    def delay_s(self, attempt: int, rng: random.Random | None = None) -> float:
        """The same delay in fractional seconds, for callers that sleep locally (e.g. the producer)."""
        base = min(max(self.raw_delay(max(attempt, 1)), 0.0), self.cap_s, MAX_VISIBILITY_S)
        pick = (rng or random).uniform
        match self.jitter:
            case Jitter.FULL:
                base = pick(0.0, base)
            case Jitter.EQUAL:
                base = pick(base / 2, base)
            case Jitter.NONE:
                pass
        return base


@dataclass(frozen=True, kw_only=True)
class Fixed(Backoff):
    """The same delay every time (`interval_s`: a field named `delay_s` would hide Backoff.delay_s)."""

    interval_s: float = 30.0

    def raw_delay(self, attempt: int) -> float:
        return self.interval_s


@dataclass(frozen=True, kw_only=True)
class Linear(Backoff):
    """initial + step * (attempt - 1)."""

    initial_s: float = 10.0
    step_s: float = 10.0

    def raw_delay(self, attempt: int) -> float:
        return self.initial_s + self.step_s * (attempt - 1)


@dataclass(frozen=True, kw_only=True)
class Exponential(Backoff):
    """initial * factor ** (attempt - 1)."""

    initial_s: float = 2.0
    factor: float = 2.0

    def raw_delay(self, attempt: int) -> float:
        return self.initial_s * self.factor ** (attempt - 1)


@dataclass(frozen=True, kw_only=True)
class Explicit(Backoff):
    """A list of delays, one per attempt; the last repeats (e.g. [10, 30, 60, 300])."""

    delays_s: Sequence[float] = field(default=(10.0, 30.0, 60.0, 300.0))

    def __post_init__(self) -> None:
        if not self.delays_s:
            raise ValueError("Explicit backoff needs at least one delay")

    def raw_delay(self, attempt: int) -> float:
        return self.delays_s[min(attempt, len(self.delays_s)) - 1]
