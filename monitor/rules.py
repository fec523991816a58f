"""Whether a DLQ reading crosses its thresholds."""

from monitor.settings import QueueThresholds


def breach(thresholds: QueueThresholds, depth: int, previous_depth: int | None) -> str | None:
    """Why the reading is alarming (the alert's trigger), or None when it is not."""
    if depth >= thresholds.depth:
        return f"depth {depth} ≥ threshold {thresholds.depth}"
    if (
        thresholds.growth is not None
        and previous_depth is not None
        and depth - previous_depth >= thresholds.growth
    ):
        return f"grew by {depth - previous_depth} since the last check (≥ {thresholds.growth})"
    return None
