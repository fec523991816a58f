"""Slack incoming-webhook messages (`text` fallback plus mrkdwn blocks)."""

from typing import Any

import aiohttp

from monitor.alerts import Alert, AlertKind
from monitor.sinks.base import post_json


def slack_message(alert: Alert) -> dict[str, Any]:
    """The incoming-webhook payload for an alert."""
    lines = [f"*{alert.summary}*"]
    if alert.kind is not AlertKind.RESOLVED:
        lines.append(f"Source queue `{alert.source_queue}` holds {alert.source_depth} message(s).")
        for sample in alert.recent_reasons:
            event = f"{sample.event_type or '?'} {sample.event_id or ''}".rstrip()
            lines.append(f"• `{sample.reason}` {event}" + (f": {sample.detail}" if sample.detail else ""))
        lines.append(f"Inspect: `{alert.inspect_command}`  Redrive: `{alert.redrive_command}`")
    return {
        "text": alert.summary,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}],
    }


class SlackSink:
    name = "slack"

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url

    async def send(self, alert: Alert) -> None:
        await post_json(self._session, self._url, slack_message(alert))
