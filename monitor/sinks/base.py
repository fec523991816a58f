"""The sink interface and the one HTTP call the webhook-style sinks share."""

from typing import Any, Protocol

import aiohttp

from monitor.alerts import Alert


class Sink(Protocol):
    """Delivers an alert somewhere; raises when it could not (the caller retries)."""

    @property
    def name(self) -> str: ...

    async def send(self, alert: Alert) -> None: ...


async def post_json(session: aiohttp.ClientSession, url: str, payload: dict[str, Any]) -> None:
    """POST a JSON document; any non-2xx answer raises aiohttp.ClientResponseError."""
    async with session.post(url, json=payload, raise_for_status=True):
        pass
