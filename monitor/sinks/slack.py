"""Slack incoming-webhook messages: a short `text` fallback plus mrkdwn section blocks within Slack's limits.

Slack rejects a message whose section text exceeds 3,000 characters or that has more than 50
blocks; long reasons are cut and the lines that do not fit become "… and N more".
"""

from typing import Any

import aiohttp
from pydantic import SecretStr

from monitor.alerts import Alert, AlertKind, ReasonSample
from monitor.sinks.base import post_json
from monitor.sinks.limits import fit_lines, more_line, short_reasons, truncate

MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
MAX_FALLBACK_TEXT = 300  # the notification preview: a short line, not the whole alert
MAX_LINE = 1000  # one reason line, so one long detail does not crowd out the others


def slack_message(alert: Alert) -> dict[str, Any]:
    """The incoming-webhook payload for an alert."""
    blocks: list[dict[str, Any]] = [section(f"*{truncate(alert.summary, MAX_SECTION_TEXT - 2)}*")]
    if alert.kind is not AlertKind.RESOLVED:
        reasons = [reason_line(sample) for sample in short_reasons(alert).recent_reasons]
        if alert.omitted_reasons:
            reasons.append(more_line(alert.omitted_reasons))
        context = [f"Source queue `{alert.source_queue}` holds {alert.source_depth} message(s).", *reasons]
        blocks.append(section(fit_lines(context, MAX_SECTION_TEXT)))
        blocks.append(section(f"Inspect: `{alert.inspect_command}`  Redrive: `{alert.redrive_command}`"))
    return {"text": truncate(alert.summary, MAX_FALLBACK_TEXT), "blocks": blocks[:MAX_BLOCKS]}


def reason_line(sample: ReasonSample) -> str:
    event = f"{sample.event_type or '?'} {sample.event_id or ''}".rstrip()
    detail = f": {sample.detail}" if sample.detail else ""
    return truncate(f"• `{sample.reason}` {event}{detail}", MAX_LINE)


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, MAX_SECTION_TEXT)}}


class SlackSink:
    name = "slack"
    idempotent = False

    def __init__(self, session: aiohttp.ClientSession, url: SecretStr) -> None:
        self._session = session
        self._url = url

    async def send(self, alert: Alert) -> None:
        await post_json(self._session, self._url, slack_message(alert))
