"""PagerDuty Events API v2: trigger while firing, resolve on drain, one dedup key per queue."""

from typing import Any

import aiohttp

from monitor.alerts import Alert, AlertKind
from monitor.sinks.base import post_json

MAX_SUMMARY = 1024


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, Any]:
    """The Events API v2 body for an alert."""
    if alert.kind is AlertKind.RESOLVED:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.dedup_key}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.dedup_key,
        "payload": {
            "summary": alert.summary[:MAX_SUMMARY],
            "source": alert.dlq,
            "severity": "error",
            "timestamp": alert.at.isoformat(),
            "component": alert.consumer,
            "group": "fanout",
            "class": "dlq_depth",
            "custom_details": alert.model_dump(mode="json"),
        },
    }


class PagerDutySink:
    name = "pagerduty"

    def __init__(self, session: aiohttp.ClientSession, url: str, routing_key: str) -> None:
        self._session = session
        self._url = url
        self._routing_key = routing_key

    async def send(self, alert: Alert) -> None:
        await post_json(self._session, self._url, pagerduty_event(alert, self._routing_key))
