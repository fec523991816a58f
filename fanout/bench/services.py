"""No-op stand-ins for the catalog's services: same names and event types, handlers that do no work.

The benchmark measures the runtime, not the services: each handler only calls an optional probe
(the latency phase notes when the handler started).
"""

from collections.abc import Callable
from typing import Any, cast

from consumers.runtime.context import HandlerContext
from consumers.runtime.service import Service, handles
from fanout.contract.envelope import CloudEvent, EventData

Probe = Callable[[str, CloudEvent[Any]], None]  # (consumer name, event) at handler start


class BenchService(Service):
    """Base of the stand-ins; `bench_service` makes one per catalog service."""

    name = "bench"

    def __init__(self, probe: Probe | None = None) -> None:
        self._probe = probe

    def started(self, event: CloudEvent[Any]) -> None:
        if self._probe is not None:
            self._probe(self.name, event)


def _handler(
    model: type[EventData],
) -> Callable[[BenchService, CloudEvent[Any], HandlerContext], Any]:
    async def handle(self: BenchService, event: CloudEvent[Any], context: HandlerContext) -> None:
        self.started(event)

    return handles(model)(handle)


def bench_service(name: str, probe: Probe | None = None) -> BenchService:
    """A no-op service with the name, queue settings and event types of the catalog's `name`."""
    from consumers.catalog import SERVICES

    real = SERVICES[name]
    handlers = {
        f"on_{event_type.replace('.', '_')}": _handler(options.model)
        for event_type, options in real.handler_options().items()
    }
    service_class = type(
        f"Bench{real.__name__}", (BenchService,), {"name": name, "queue": real.queue, **handlers}
    )
    return cast(type[BenchService], service_class)(probe)
