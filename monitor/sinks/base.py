"""The sink interface, the one HTTP call the webhook-style sinks share, and safe error text.

A sink's `name` is what logs and metric labels show: never a URL path, query, token or routing
key. Errors are reduced to safe text before they leave a sink: `repr(ClientResponseError)` carries
the request URL, and with it a Slack webhook's secret path or a webhook's `?token=`.
"""

from typing import Any, Protocol

import aiohttp
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import SecretStr
from yarl import URL

from monitor.alerts import Alert


class Sink(Protocol):
    """Delivers an alert somewhere; raises when it could not (the caller retries on the next check).

    `idempotent` sinks (PagerDuty: trigger/resolve by dedup_key) may be sent the same notice twice
    without a second page; the monitor relies on that when its state was lost.
    """

    @property
    def name(self) -> str: ...

    @property
    def idempotent(self) -> bool: ...

    async def send(self, alert: Alert) -> None: ...


class DeliveryError(Exception):
    """A sink refused or could not take an alert; the message is safe to log."""


def host_of(url: SecretStr | str) -> str:
    """The host (and explicit port) of a URL: the only part of a webhook URL fit to show."""
    raw = url.get_secret_value() if isinstance(url, SecretStr) else url
    parsed = URL(raw)
    host = parsed.host or "?"
    return f"{host}:{parsed.port}" if parsed.explicit_port else host


def safe_error(error: BaseException) -> str:
    """What went wrong, without the URL, headers or body that aiohttp and botocore put in errors."""
    if isinstance(error, DeliveryError):
        return str(error)
    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ClientError):
        return f"{error.operation_name}: {error.response.get('Error', {}).get('Code', 'Error')}"
    if isinstance(error, aiohttp.ClientConnectionError | BotoCoreError | OSError):
        return f"connection failed ({type(error).__name__})"
    return type(error).__name__


async def post_json(session: aiohttp.ClientSession, url: SecretStr, payload: dict[str, Any]) -> None:
    """POST a JSON document; a non-2xx answer or a transport failure raises DeliveryError (safe text)."""
    try:
        async with session.post(url.get_secret_value(), json=payload) as response:
            if response.status >= 300:
                raise DeliveryError(f"HTTP {response.status}")
    except DeliveryError:
        raise
    except (aiohttp.ClientError, OSError) as error:
        raise DeliveryError(safe_error(error)) from None
