"""Consumer services (email, inventory, analytics) and the runtime they run on.

The supported surface for service authors is what this package exports; everything under
`consumers.runtime` and `consumers.services` is private by convention and may change:

    from consumers import Service, handles, HandlerContext, PermanentError, Exponential, Jitter

Names load on first use, so importing one module of the package does not load the runtime.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consumers.runtime.backoff import Backoff, Explicit, Exponential, Fixed, Jitter, Linear
    from consumers.runtime.consumer import Consumer
    from consumers.runtime.context import HandlerContext
    from consumers.runtime.errors import PermanentError, RetryableError
    from consumers.runtime.service import Service, handles
    from consumers.runtime.settings import ConsumerSettings
    from fanout.topology.model import QueueSettings

_EXPORTS = {
    "Service": "consumers.runtime.service",
    "handles": "consumers.runtime.service",
    "HandlerContext": "consumers.runtime.context",
    "PermanentError": "consumers.runtime.errors",
    "RetryableError": "consumers.runtime.errors",
    "Backoff": "consumers.runtime.backoff",
    "Fixed": "consumers.runtime.backoff",
    "Linear": "consumers.runtime.backoff",
    "Exponential": "consumers.runtime.backoff",
    "Explicit": "consumers.runtime.backoff",
    "Jitter": "consumers.runtime.backoff",
    "QueueSettings": "fanout.topology.model",
    "Consumer": "consumers.runtime.consumer",
    "ConsumerSettings": "consumers.runtime.settings",
}

__all__ = [
    "Backoff",
    "Consumer",
    "ConsumerSettings",
    "Explicit",
    "Exponential",
    "Fixed",
    "HandlerContext",
    "Jitter",
    "Linear",
    "PermanentError",
    "QueueSettings",
    "RetryableError",
    "Service",
    "handles",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
