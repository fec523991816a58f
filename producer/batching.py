"""Splitting entries into PublishBatch calls: at most 10 entries and at most the size limit per call."""

from collections.abc import Callable, Sequence
from typing import TypeVar

MAX_BATCH_ENTRIES = 10  # PublishBatch limit

T = TypeVar("T")


def plan_batches(
    items: Sequence[T], size: Callable[[T], int], *, max_bytes: int, max_entries: int = MAX_BATCH_ENTRIES
) -> list[list[T]]:
    """Consecutive groups, in order, each within both the count and the total-size limit.

    Every item must itself fit in `max_bytes` (checked earlier, when entries are built).
    """
    batches: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    for item in items:
        item_bytes = size(item)
        if current and (len(current) == max_entries or current_bytes + item_bytes > max_bytes):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(item)
        current_bytes += item_bytes
    if current:
        batches.append(current)
    return batches
