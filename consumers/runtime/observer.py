"""Runtime events for metrics, logs and test spies; the runtime calls every registered observer.

Observers must be cheap and must not raise: they run on the hot path.
"""

from collections.abc import Sequence
from typing import Any, Protocol

import structlog

from consumers.runtime.context import HandlerContext
from fanout.contract.envelope import CloudEvent

log = structlog.get_logger(__name__)


class Outcome:
    """Names of what became of a message (also the `outcome` metric label)."""

    HANDLED = "handled"
    DUPLICATE = "duplicate"  # skipped: already processed (idempotency)
    RETRY = "retry"
    DEAD_LETTERED = "dead_lettered"
    RELEASED = "released"  # given back unhandled at shutdown
    DEFERRED = "deferred"  # hidden until its `notbefore` time (delayed delivery)


class RuntimeObserver(Protocol):
    """Hooks called by the runtime; implement the ones you need (see NullObserver)."""

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None: ...

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        """After each message: `event` is None when the body could not be decoded."""
        ...

    def on_in_flight(self, consumer: str, count: int) -> None: ...


class NullObserver:
    """An observer that ignores everything; subclass it and override what you need."""

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        return None

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        return None

    def on_in_flight(self, consumer: str, count: int) -> None:
        return None


class ObserverGroup:
    """Calls every registered observer; one that raises is logged and skipped."""

    def __init__(self, observers: Sequence[RuntimeObserver]) -> None:
        self._observers = tuple(observers)
        self._hooks: dict[str, tuple[tuple[str, Any], ...]] = {
            hook: tuple(
                (type(observer).__name__, getattr(observer, hook))
                for observer in self._observers
                if getattr(type(observer), hook, None) is not getattr(NullObserver, hook)  # skip no-ops
            )
            for hook in ("on_poll", "on_outcome", "on_in_flight")
        }

    def _each(self, hook: str, *args: Any) -> None:
        for name, method in self._hooks[hook]:
            try:
                method(*args)
            except Exception:
                log.exception("observer failed", observer=name, hook=hook)

    def on_poll(self, consumer: str, received: int, latency_s: float) -> None:
        self._each("on_poll", consumer, received, latency_s)

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        self._each("on_outcome", consumer, outcome, event, context, duration_s, error)

    def on_in_flight(self, consumer: str, count: int) -> None:
        self._each("on_in_flight", consumer, count)
