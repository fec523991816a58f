"""The monitor's alert state per DLQ, read from the monitor's own state store (never changed)."""

import asyncio
from dataclasses import dataclass
from pathlib import Path

from monitor.settings import MonitorSettings
from monitor.state import POSTGRES_SCHEMES, AlertStore


@dataclass(frozen=True)
class AlertView:
    """Whether the monitor is paging about a DLQ, and since when."""

    state: str  # "firing", "resolved" or "unknown" (the monitor never checked this DLQ)
    since: str | None  # ISO time the alert began firing (None unless firing)
    last_depth: int | None

    def as_dict(self) -> dict[str, object]:
        return {"state": self.state, "since": self.since, "last_depth": self.last_depth}


async def read_alerts(dlq_names: list[str], state_location: str | Path | None = None) -> dict[str, AlertView]:
    """Per DLQ name its alert; every DLQ `unknown` when the monitor keeps no state file here."""
    location = str(state_location or MonitorSettings().state_path)
    unknown = AlertView("unknown", None, None)
    if not location.startswith(POSTGRES_SCHEMES) and not await asyncio.to_thread(
        Path(location.removeprefix("sqlite:///")).exists
    ):
        return dict.fromkeys(dlq_names, unknown)
    views = {}
    async with AlertStore(location) as store:
        for name in dlq_names:
            state = await store.load(name)
            if state is None:
                views[name] = unknown
            elif state.firing:
                since = state.since.isoformat() if state.since else None
                views[name] = AlertView("firing", since, state.last_depth)
            else:
                views[name] = AlertView("resolved", None, state.last_depth)
    return views
