"""A consumer service: a class whose methods marked with @handles handle event types.

    class InventoryService(Service):
        name = "inventory"

        async def start(self) -> None: ...          # open connections
        async def stop(self) -> None: ...           # close them

        @handles(OrderPlaced, retry=Exponential(initial_s=5), timeout_s=30)
        async def reserve(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None: ...

The event types a service accepts, and so its subscription filter policy, come from its handlers.
"""

from __future__ import annotations  # HandlerMethod[...] must not be evaluated: 3.11 cannot subscript it

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from consumers.runtime.backoff import Backoff
from consumers.runtime.context import HandlerContext
from consumers.runtime.settings import ConsumerSettings
from fanout.contract.envelope import CloudEvent, EventData
from fanout.contract.registry import ORDER_EVENTS, EventRegistry
from fanout.topology.model import ConsumerSpec, QueueSettings

HANDLER_MARK = "__fanout_handles__"

DataT = TypeVar("DataT", bound=EventData)
ServiceT = TypeVar("ServiceT", bound="Service")
HandlerMethod = Callable[[ServiceT, CloudEvent[DataT], HandlerContext], Awaitable[None]]
BoundHandler = Callable[[CloudEvent[Any], HandlerContext], Awaitable[None]]


@dataclass(frozen=True)
class HandlerOptions:
    """Per-handler policies; `None` means the service's default from settings."""

    model: type[EventData]
    retry: Backoff | None = None
    timeout_s: float | None = None
    permanent: tuple[type[BaseException], ...] = ()


@dataclass(frozen=True)
class Handler:
    """A handler bound to a running service instance."""

    options: HandlerOptions
    call: BoundHandler

    @property
    def event_type(self) -> str:
        return self.options.model.event_type


def handles(
    model: type[DataT],
    *,
    retry: Backoff | None = None,
    timeout_s: float | None = None,
    permanent: tuple[type[BaseException], ...] = (),
) -> Callable[[HandlerMethod[ServiceT, DataT]], HandlerMethod[ServiceT, DataT]]:
    """Mark a Service method as the handler of `model`'s event type.

    `permanent` lists exception types that dead-letter the message at once (besides PermanentError).
    """

    def mark(method: HandlerMethod[ServiceT, DataT]) -> HandlerMethod[ServiceT, DataT]:
        setattr(method, HANDLER_MARK, HandlerOptions(model, retry, timeout_s, permanent))
        return method

    return mark


class Service:
    """Base class of a consumer service; subclasses set `name` and mark handlers with @handles."""

    name: ClassVar[str]
    queue: ClassVar[QueueSettings] = QueueSettings()
    registry: ClassVar[EventRegistry] = ORDER_EVENTS  # the versions it reads, upcast to the newest

    @classmethod
    def handler_options(cls) -> dict[str, HandlerOptions]:
        """Event type → handler options, for every @handles method (one per type)."""
        found: dict[str, HandlerOptions] = {}
        for attribute in dir(cls):
            options = getattr(getattr(cls, attribute, None), HANDLER_MARK, None)
            if isinstance(options, HandlerOptions):
                event_type = options.model.event_type
                if event_type in found:
                    raise TypeError(f"{cls.__name__} handles {event_type} twice")
                if (
                    event_type in cls.registry.event_types
                    and cls.registry.model_for(event_type) is not options.model
                ):
                    raise TypeError(
                        f"{cls.__name__} handles {options.model.__qualname__}, but its registry upcasts "
                        f"{event_type} to {cls.registry.model_for(event_type).__qualname__}"
                    )
                found[options.model.event_type] = options
        return found

    @classmethod
    def consumer_spec(cls) -> ConsumerSpec:
        """The topology entry for this service: its event types and queue settings."""
        return ConsumerSpec(name=cls.name, event_types=frozenset(cls.handler_options()), queue=cls.queue)

    def handlers(self) -> dict[str, Handler]:
        """Event type → handler bound to this instance."""
        bound: dict[str, Handler] = {}
        for attribute in dir(type(self)):
            options = getattr(getattr(type(self), attribute, None), HANDLER_MARK, None)
            if isinstance(options, HandlerOptions):
                bound[options.model.event_type] = Handler(options, getattr(self, attribute))
        return bound

    def check_runtime(self, settings: ConsumerSettings) -> None:
        """Raise ConfigurationError for runtime settings this service cannot work with (checked at start)."""

    async def start(self) -> None:
        """Open connections and resources before the first message."""

    async def stop(self) -> None:
        """Release resources after the last message."""

    async def on_retry(self, attempt: int, exc: BaseException, event: CloudEvent[Any]) -> None:
        """Called when a handler failed and its message will be retried (attempt: the failed one)."""

    async def on_failure(self, exc: BaseException, event: CloudEvent[Any] | None) -> None:
        """Called when a message is given up to the DLQ (`event` is None if it could not be decoded)."""
