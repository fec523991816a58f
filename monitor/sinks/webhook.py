"""A generic webhook: the alert as JSON, POSTed."""

import aiohttp

from monitor.alerts import Alert
from monitor.sinks.base import post_json


class WebhookSink:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url
        self.name = f"webhook:{url}"

    async def send(self, alert: Alert) -> None:
        await post_json(self._session, self._url, alert.model_dump(mode="json"))
