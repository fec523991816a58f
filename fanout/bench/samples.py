"""Repeated measurements: interleaved rounds in alternating order, reported as median and spread."""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def interleaved(kinds: Sequence[T], rounds: int) -> list[tuple[int, T]]:
    """(round, kind) in run order: every kind once per round, the order reversed every other round.

    So no kind always runs first (cold machine) or right after the same neighbour.
    """
    order: list[tuple[int, T]] = []
    for number in range(rounds):
        sequence = kinds if number % 2 == 0 else list(reversed(kinds))
        order += [(number, kind) for kind in sequence]
    return order


@dataclass(frozen=True)
class Spread:
    """Median, lowest and highest of repeated samples (every sample kept)."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def low(self) -> float:
        return min(self.samples)

    @property
    def high(self) -> float:
        return max(self.samples)

    def text(self, digits: int = 2, unit: str = "") -> str:
        """`median (low-high)`, e.g. `1.21x (1.15-1.30)`."""
        if len(self.samples) == 1:
            return f"{self.median:,.{digits}f}{unit}"
        return f"{self.median:,.{digits}f}{unit} ({self.low:,.{digits}f}-{self.high:,.{digits}f})"

    def as_dict(self, digits: int = 4) -> dict[str, Any]:
        return {
            "median": round(self.median, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
            "samples": [round(value, digits) for value in self.samples],
        }


def spread(values: Sequence[float]) -> Spread:
    if not values:
        raise ValueError("no samples")
    return Spread(tuple(values))


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """Per-round ratios (round i over round i): the noise of one round cancels in its own ratio."""
    return spread([top / bottom for top, bottom in zip(numerators, denominators, strict=True)])
