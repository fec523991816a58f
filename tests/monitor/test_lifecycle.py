"""The per-sink alert lifecycle as a pure function: every case of what a sink needs after a reading."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.alerts import AlertKind
from monitor.lifecycle import Action, QueueState, SinkPlan, next_state, plan_sink, still_firing

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)


def plan(
    notified_at: datetime | None,
    *,
    firing: bool,
    idempotent: bool = False,
    fresh: bool = False,
    adopt: bool = False,
    depth: int = 1,
) -> SinkPlan | None:
    return plan_sink(
        "s",
        idempotent,
        notified_at,
        firing=firing,
        fresh=fresh,
        adopt=adopt,
        depth=depth,
        now=NOW,
        renotify=HOUR,
    )


@pytest.mark.parametrize(
    ("notified_at", "kwargs", "expected"),
    [
        (None, {"firing": True}, (Action.SEND, AlertKind.FIRING)),  # not yet accepted: (re)try FIRING
        (NOW - HOUR / 2, {"firing": True}, None),  # accepted recently
        (NOW - HOUR, {"firing": True}, (Action.SEND, AlertKind.REPEAT)),
        (NOW - HOUR, {"firing": False, "depth": 0}, (Action.SEND, AlertKind.RESOLVED)),
        (None, {"firing": False, "depth": 0}, None),  # never told of it: no RESOLVED
        # lost state
        (None, {"firing": True, "fresh": True, "adopt": True}, (Action.ADOPT, AlertKind.FIRING)),
        (None, {"firing": True, "fresh": True, "adopt": False}, (Action.SEND, AlertKind.FIRING)),
        (
            None,
            {"firing": True, "fresh": True, "adopt": True, "idempotent": True},
            (Action.SEND, AlertKind.FIRING),
        ),
        (
            None,
            {"firing": False, "fresh": True, "depth": 0, "idempotent": True},
            (Action.RECONCILE, AlertKind.RESOLVED),
        ),
        (None, {"firing": False, "fresh": True, "depth": 0}, None),  # Slack: no RESOLVED out of the blue
        (None, {"firing": False, "fresh": True, "depth": 2, "idempotent": True}, None),  # below threshold
    ],
)
def test_plan_sink(
    notified_at: datetime | None, kwargs: dict[str, Any], expected: tuple[Action, AlertKind] | None
) -> None:
    result = plan(notified_at, **kwargs)
    assert (None if result is None else (result.action, result.kind)) == expected


def test_firing_holds_until_drained_and_since_is_kept() -> None:
    assert still_firing(None, 5, "depth 5 ≥ 1") and not still_firing(None, 5, None)
    firing = next_state(None, "q", True, 5, NOW)
    assert firing.since == NOW
    assert still_firing(firing, 1, None)  # below the threshold, not drained: still firing
    later = next_state(firing, "q", True, 1, NOW + HOUR)
    assert later.since == NOW
    assert not still_firing(later, 0, None)
    assert next_state(later, "q", False, 0, NOW + 2 * HOUR) == QueueState("q", False, 0, None)
