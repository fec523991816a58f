"""The monitor's alert state per DLQ, read from the monitor's own state store (never written)."""

from dataclasses import dataclass
from pathlib import Path

from monitor.settings import MonitorSettings
from monitor.state import AlertStore


@dataclass(frozen=True)
class AlertView:
    """Whether the monitor is paging about a DLQ, and when it last said so."""

    state: str  # "firing", "resolved" or "unknown" (the monitor never checked this DLQ)
    since: str | None  # ISO time of the monitor's last notice about it
    last_depth: int | None

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state, "since": self.since, "last_depth": self.last_depth}


async def read_alerts(dlq_names: list[str], state_path: Path | None = None) -> dict[str, AlertView]:
    """Per DLQ name its alert; every DLQ `unknown` when the monitor has no state file here."""
    path = state_path or MonitorSettings().state_path
    if not path.exists():
        return {name: AlertView("unknown", None, None) for name in dlq_names}
    views = {}
    async with AlertStore(path) as store:
        for name in dlq_names:
            state = await store.load(name)
            notified = state.last_notified_at.isoformat() if state.last_notified_at else None
            if state.firing:
                views[name] = AlertView("firing", notified, state.last_depth)
            elif state.last_depth is None and notified is None:
                views[name] = AlertView("unknown", None, None)
            else:
                views[name] = AlertView("resolved", notified, state.last_depth)
    return views
