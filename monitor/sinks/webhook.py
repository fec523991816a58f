"""A generic webhook: the alert as JSON, POSTed. Its name shows the host only, never path or query."""

import aiohttp
from pydantic import SecretStr

from monitor.alerts import Alert
from monitor.sinks.base import host_of, post_json
from monitor.sinks.limits import short_reasons


class WebhookSink:
    idempotent = False

    def __init__(self, session: aiohttp.ClientSession, url: SecretStr, name: str | None = None) -> None:
        self._session = session
        self._url = url
        self.name = name or f"webhook:{host_of(url)}"

    async def send(self, alert: Alert) -> None:
        await post_json(self._session, self._url, short_reasons(alert).model_dump(mode="json"))
