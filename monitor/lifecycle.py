"""The alert lifecycle per queue: fire once, repeat only after the re-notify interval, resolve on drain."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.alerts import AlertKind


@dataclass(frozen=True)
class AlertState:
    """What has been said about one DLQ (persisted, so a restart neither re-pages nor forgets)."""

    queue: str
    firing: bool = False
    last_notified_at: datetime | None = None
    last_depth: int | None = None


def next_notice(
    state: AlertState, depth: int, trigger: str | None, now: datetime, renotify: timedelta
) -> AlertKind | None:
    """The notice this reading calls for, if any. A firing alert stays firing until the DLQ drains."""
    if state.firing:
        if depth == 0:
            return AlertKind.RESOLVED
        if state.last_notified_at is None or now - state.last_notified_at >= renotify:
            return AlertKind.REPEAT
        return None
    return AlertKind.FIRING if trigger is not None else None


def advance(state: AlertState, notice: AlertKind | None, depth: int, now: datetime) -> AlertState:
    """The state after this reading (and its notice, once sent)."""
    if notice is None:
        return replace(state, last_depth=depth)
    return AlertState(
        queue=state.queue, firing=notice is not AlertKind.RESOLVED, last_notified_at=now, last_depth=depth
    )
