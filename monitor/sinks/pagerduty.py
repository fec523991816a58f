"""PagerDuty Events API v2: trigger while firing, resolve on drain, one dedup key per queue.

Trigger and resolve with the same `dedup_key` are idempotent, so this sink may be sent a notice
again after the monitor lost its state. Limits: summary ≤ 1,024 chars, dedup_key ≤ 255 chars,
the whole event ≤ 512 KB (custom_details are shortened to fit).
"""

import hashlib
import json
from typing import Any

import aiohttp
from pydantic import SecretStr

from monitor.alerts import Alert, AlertKind
from monitor.sinks.base import post_json
from monitor.sinks.limits import fit_alert, truncate

MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
MAX_EVENT_BYTES = 512 * 1000  # PagerDuty says 512 KB; stay under the smaller reading


def dedup_key(alert: Alert) -> str:
    """The alert's key (env and queue are in the DLQ name), hashed down if over PagerDuty's limit."""
    key = alert.dedup_key
    if len(key) <= MAX_DEDUP_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: MAX_DEDUP_KEY - len(digest) - 1]}~{digest}"


def pagerduty_event(alert: Alert, routing_key: str) -> dict[str, Any]:
    """The Events API v2 body for an alert."""
    if alert.kind is AlertKind.RESOLVED:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key(alert)}

    def event(details: Alert) -> dict[str, Any]:
        return {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": dedup_key(alert),
            "payload": {
                "summary": truncate(alert.summary, MAX_SUMMARY),
                "source": alert.dlq,
                "severity": "error",
                "timestamp": alert.at.isoformat(),
                "component": alert.consumer,
                "group": "fanout",
                "class": "dlq_depth",
                "custom_details": details.model_dump(mode="json"),
            },
        }

    fitted = fit_alert(alert, lambda candidate: event_size(event(candidate)), MAX_EVENT_BYTES)
    return event(fitted)


def event_size(event: dict[str, Any]) -> int:
    """Bytes of the event as sent."""
    return len(json.dumps(event).encode())


class PagerDutySink:
    name = "pagerduty"
    idempotent = True

    def __init__(self, session: aiohttp.ClientSession, url: str, routing_key: SecretStr) -> None:
        self._session = session
        self._url = SecretStr(url)
        self._routing_key = routing_key

    async def send(self, alert: Alert) -> None:
        await post_json(
            self._session, self._url, pagerduty_event(alert, self._routing_key.get_secret_value())
        )
