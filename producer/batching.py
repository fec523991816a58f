"""Splitting entries into PublishBatch calls: at most 10 entries and at most the size limit per call
(and, on FIFO topics, one entry per message group, so a failed entry never has a successor of its
group published in the same call)."""

from collections.abc import Callable, Sequence
from typing import TypeVar

MAX_BATCH_ENTRIES = 10  # PublishBatch limit

T = TypeVar("T")


def plan_batches(
    items: Sequence[T],
    size: Callable[[T], int],
    *,
    max_bytes: int,
    max_entries: int = MAX_BATCH_ENTRIES,
    group: Callable[[T], str | None] = lambda item: None,
) -> list[list[T]]:
    """Consecutive groups, in order, each within both the count and the total-size limit, and
    with at most one item of each (non-None) `group`.

    Every item must itself fit in `max_bytes` (checked earlier, when entries are built).
    """
    batches: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    current_groups: set[str] = set()
    for item in items:
        item_bytes = size(item)
        item_group = group(item)
        if current and (
            len(current) == max_entries
            or current_bytes + item_bytes > max_bytes
            or (item_group is not None and item_group in current_groups)
        ):
            batches.append(current)
            current, current_bytes, current_groups = [], 0, set()
        current.append(item)
        current_bytes += item_bytes
        if item_group is not None:
            current_groups.add(item_group)
    if current:
        batches.append(current)
    return batches
