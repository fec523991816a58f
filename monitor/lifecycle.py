"""The alert lifecycle, per queue and per sink.

A queue's alert fires when a reading crosses a threshold and stays firing until the DLQ drains.
Each sink is told separately: a sink is "notified" only once it accepted the FIRING, so a sink
that was down gets it on the first check after it recovers; a still-firing alert is repeated
per sink after the re-notify interval; a RESOLVED goes only to sinks that were notified.

When the state was lost (a replaced task, a deleted file) the queue is `fresh` and the monitor
reconciles from what it reads now: an empty DLQ sends RESOLVED to idempotent sinks (PagerDuty
closes an incident the lost task opened; resolving a closed one is a no-op); a firing DLQ sends
FIRING to idempotent sinks (no second page) and, when it crossed its threshold long enough ago
that an earlier monitor saw it, *adopts* the incident on the others (Slack, webhooks: no
duplicate FIRING; they get the RESOLVED). Without an idempotent sink they get the FIRING: a
possible duplicate beats a missed page.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from monitor.alerts import AlertKind


@dataclass(frozen=True)
class QueueState:
    """What the monitor knows about one DLQ's alert (persisted)."""

    queue: str
    firing: bool = False
    last_depth: int | None = None
    since: datetime | None = None  # when the alert began firing


class Action(StrEnum):
    """What to do for one sink after a reading."""

    SEND = "send"  # deliver the notice; record the outcome once the sink accepted
    ADOPT = "adopt"  # record the sink as notified without sending (lost state, non-idempotent sink)
    RECONCILE = "reconcile"  # lost state, empty DLQ: RESOLVED to an idempotent sink, retried until accepted


@dataclass(frozen=True)
class SinkPlan:
    sink: str
    action: Action
    kind: AlertKind


def still_firing(state: QueueState | None, depth: int, trigger: str | None) -> bool:
    """A firing alert stays firing until the DLQ drains; otherwise it fires on a trigger."""
    if state is not None and state.firing:
        return depth > 0
    return trigger is not None


def next_state(state: QueueState | None, queue: str, firing: bool, depth: int, now: datetime) -> QueueState:
    """The queue's state after this reading."""
    since = (state.since if state is not None and state.firing else now) if firing else None
    return QueueState(queue=queue, firing=firing, last_depth=depth, since=since)


def plan_sink(
    sink: str,
    idempotent: bool,
    notified_at: datetime | None,
    *,
    firing: bool,
    fresh: bool,
    adopt: bool,
    depth: int,
    now: datetime,
    renotify: timedelta,
) -> SinkPlan | None:
    """The notice one sink needs now, given when (if ever) it accepted this alert's FIRING."""
    if firing:
        if notified_at is None:
            if fresh and adopt and not idempotent:
                return SinkPlan(sink, Action.ADOPT, AlertKind.FIRING)
            return SinkPlan(sink, Action.SEND, AlertKind.FIRING)
        if now - notified_at >= renotify:
            return SinkPlan(sink, Action.SEND, AlertKind.REPEAT)
        return None
    if notified_at is not None:
        return SinkPlan(sink, Action.SEND, AlertKind.RESOLVED)
    if fresh and idempotent and depth == 0:
        return SinkPlan(sink, Action.RECONCILE, AlertKind.RESOLVED)  # close what a lost state opened
    return None
