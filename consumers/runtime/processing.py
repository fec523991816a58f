"""What becomes of one message: decode it, skip duplicates, run its handler under a timeout, settle it.

Every path ends in exactly one settlement — delete (handled or duplicate), a visibility change
(retry after backoff, or release at shutdown) or dead-letter — and one observer outcome.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from consumers.runtime.acker import DeleteBatcher
from consumers.runtime.backoff import Backoff
from consumers.runtime.broker import QueueBroker, QueueFacts
from consumers.runtime.context import HandlerContext
from consumers.runtime.dead_letter import DeadLetterer
from consumers.runtime.delay import Deferral, deferral
from consumers.runtime.errors import (
    DelayTooLong,
    HandlerTimeout,
    PermanentError,
    RetryableError,
    UnhandledEventType,
)
from consumers.runtime.heartbeat import Heartbeat
from consumers.runtime.idempotency import ClaimResult, IdempotencyStore
from consumers.runtime.message import ReceivedMessage
from consumers.runtime.observer import ObserverGroup, Outcome
from consumers.runtime.payloads import PayloadStore
from consumers.runtime.service import Handler, Service
from consumers.runtime.settings import ConsumerSettings
from consumers.runtime.translation import handler_context, handling_span, to_event
from fanout.contract.deadletter import DeadLetterReason
from fanout.contract.envelope import CloudEvent
from fanout.contract.errors import ContractError
from fanout.redaction import log_safe

LEASE_MARGIN_S = 5.0  # an idempotency claim outlives the handler's timeout by this much
GONE_OUTCOMES = frozenset({Outcome.HANDLED, Outcome.DUPLICATE, Outcome.DEAD_LETTERED})  # off the queue


def retry_delay(error: BaseException, backoff: Backoff, attempt: int) -> int:
    """Seconds before the next attempt: RetryableError(delay_s=...) wins over the backoff."""
    if isinstance(error, RetryableError) and error.delay_s is not None:
        return max(0, round(error.delay_s))
    return backoff.delay(attempt)


def describe_error(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@dataclass
class _Delivery:
    """One message being processed, with what is known about it so far."""

    message: ReceivedMessage
    context: HandlerContext
    started: float
    logger: Any
    event: CloudEvent[Any] | None = None
    outcome: str | None = None

    @property
    def log(self) -> Any:
        """The logger bound to this delivery's ids (bound when a line is written, not per message)."""
        message, event = self.message, self.event
        if event is None:
            return self.logger.bind(message_id=message.message_id, attempt=message.receive_count)
        return self.logger.bind(
            message_id=message.message_id,
            attempt=message.receive_count,
            event_id=event.id,
            event_type=event.type,
            correlation_id=event.correlationid,
        )


@dataclass(frozen=True)
class Collaborators:
    """The pieces a MessageProcessor settles messages through."""

    broker: QueueBroker
    deletes: DeleteBatcher
    heartbeat: Heartbeat
    dead_letters: DeadLetterer
    observers: ObserverGroup
    payloads: PayloadStore
    idempotency: IdempotencyStore | None = None


class MessageProcessor:
    """Processes messages one at a time each (the dispatcher runs many concurrently)."""

    def __init__(
        self, service: Service, queue: QueueFacts, settings: ConsumerSettings, parts: Collaborators
    ) -> None:
        self._service = service
        self._handlers = service.handlers()
        self._queue = queue
        self._settings = settings
        self._default_backoff = settings.default_backoff()
        self._parts = parts
        self._log = structlog.get_logger(__name__).bind(consumer=service.name)

    async def process(self, message: ReceivedMessage) -> bool:
        """Handle one message and settle it; True when it left the queue (handled, duplicate, dead-lettered).

        Only cancellation propagates (after releasing the message).
        """
        delivery = _Delivery(
            message=message,
            context=handler_context(message, self._service.name, self._queue.max_receive_count),
            started=time.monotonic(),
            logger=self._log,
        )
        try:
            await self._process(delivery)
        except asyncio.CancelledError:
            if self._parts.heartbeat.is_tracked(message):
                await self.release([message])
            raise
        except Exception:  # a runtime bug: never lose the message over it
            delivery.log.exception("message processing crashed")
            if self._parts.heartbeat.is_tracked(message):
                await self.release([message])
            return False
        return delivery.outcome in GONE_OUTCOMES

    async def _process(self, delivery: _Delivery) -> None:
        try:
            event = await to_event(delivery.message, self._parts.payloads, self._service.registry)
        except ContractError as error:
            await self._give_up(delivery, error.reason, error.detail, error)
            return
        except Exception as error:  # the payload store could not be read: try again later
            await self._fail(delivery, None, error)
            return
        delivery.event = event
        handler = self._handlers.get(event.type)
        if handler is None:
            unhandled = UnhandledEventType(f"{self._service.name} has no handler for {event.type}")
            await self._give_up(delivery, DeadLetterReason.UNHANDLED_TYPE, str(unhandled), unhandled)
            return
        if (wait := deferral(event.notbefore, delivery.message)) is not None:
            await self._defer(delivery, wait)
            return
        await self._run_handler(delivery, event, handler)

    async def _defer(self, delivery: _Delivery, wait: Deferral) -> None:
        """Hide a message that is not due yet (consumers.runtime.delay); no handler call before then."""
        limit = self._queue.max_receive_count
        if not wait.fits(limit):
            detail = wait.describe(limit)
            await self._give_up(delivery, DeadLetterReason.DELAY_TOO_LONG, detail, DelayTooLong(detail))
            return
        await self._set_visibility(delivery.message, wait.visibility_s)
        delivery.log.info(
            "not due yet; deferred", due_in_s=round(wait.due_in_s, 3), delay_s=wait.visibility_s
        )
        self._report(delivery, Outcome.DEFERRED)

    async def _run_handler(self, delivery: _Delivery, event: CloudEvent[Any], handler: Handler) -> None:
        timeout_s = handler.options.timeout_s or self._settings.handler_timeout_s
        store = self._parts.idempotency
        claimed = False
        try:
            if store is not None:
                claim = await store.claim(self._service.name, event.id, timeout_s + LEASE_MARGIN_S)
                if claim is not ClaimResult.ACQUIRED:
                    await self._skip(delivery, claim)
                    return
                claimed = True
            with handling_span(event, delivery.message, self._service.name):
                await self._call_with_timeout(handler, event, delivery.context, timeout_s)
        except asyncio.CancelledError:
            if claimed:
                await self._release_claim(event)
            raise
        except Exception as error:
            if claimed:
                await self._release_claim(event)
            await self._fail(delivery, handler, error)
            return
        if claimed:
            await self._complete_claim(event)
        await self._delete(delivery.message)
        if self._log.is_enabled_for(logging.DEBUG):  # skip binding a logger for a dropped line
            delivery.log.debug("handled")
        self._report(delivery, Outcome.HANDLED)

    @staticmethod
    async def _call_with_timeout(
        handler: Handler, event: CloudEvent[Any], context: HandlerContext, timeout_s: float
    ) -> None:
        try:
            async with asyncio.timeout(timeout_s) as deadline:
                await handler.call(event, context)
        except TimeoutError as error:
            if deadline.expired():
                raise HandlerTimeout(f"handler timed out after {timeout_s:g} s") from error
            raise

    async def _skip(self, delivery: _Delivery, claim: ClaimResult) -> None:
        """DONE: already processed, delete it. BUSY: another consumer holds it, look again shortly."""
        if claim is ClaimResult.DONE:
            await self._delete(delivery.message)
            delivery.log.debug("duplicate skipped")
            self._report(delivery, Outcome.DUPLICATE)
            return
        await self._set_visibility(delivery.message, self._settings.busy_retry_delay_s)
        delivery.log.debug("event busy elsewhere; retrying later", delay_s=self._settings.busy_retry_delay_s)
        self._report(delivery, Outcome.RETRY)

    async def _fail(self, delivery: _Delivery, handler: Handler | None, error: Exception) -> None:
        """Dead-letter a permanent or final failure; otherwise retry after the backoff.

        `handler` is None when the failure came before one was chosen (the event could not be read).
        """
        permanent: tuple[type[BaseException], ...] = (PermanentError,)
        if handler is not None:
            permanent += handler.options.permanent
        if isinstance(error, permanent):
            await self._give_up(delivery, DeadLetterReason.PERMANENT_FAILURE, describe_error(error), error)
            return
        attempt = delivery.context.attempt
        if attempt >= self._queue.max_receive_count:
            await self._give_up(
                delivery,
                DeadLetterReason.RETRIES_EXHAUSTED,
                f"attempt {attempt} of {self._queue.max_receive_count}: {describe_error(error)}",
                error,
            )
            return
        backoff = (handler.options.retry if handler is not None else None) or self._default_backoff
        delay = min(retry_delay(error, backoff, attempt), delivery.message.visibility_headroom_s())
        await self._set_visibility(delivery.message, delay)
        reported = log_safe(describe_error(error))
        delivery.log.debug("processing failed; will retry", error=reported, delay_s=delay)
        if delivery.event is not None:
            await self._hook(self._service.on_retry(attempt, error, delivery.event), delivery)
        self._report(delivery, Outcome.RETRY, error)

    async def _give_up(self, delivery: _Delivery, reason: str, detail: str, error: BaseException) -> None:
        await self._parts.heartbeat.untrack(delivery.message)
        if not await self._parts.dead_letters.dead_letter(delivery.message, reason, detail):
            self._report(delivery, Outcome.RETRY, error)  # left on the queue: it will be redelivered
            return
        # The one line per dead letter: reason, bounded detail, the bound ids; never the body.
        delivery.log.error("dead-lettered", reason=str(reason), detail=log_safe(detail))
        delivery.log.debug("dead-letter cause", exc_info=error)
        await self._hook(self._service.on_failure(error, delivery.event), delivery)
        self._report(delivery, Outcome.DEAD_LETTERED, error)

    async def release(self, messages: Sequence[ReceivedMessage]) -> None:
        """Give messages back unhandled (visible at once), e.g. at shutdown."""
        for message in messages:
            await self._parts.heartbeat.untrack(message)
        try:
            failures = await self._parts.broker.change_visibility([(message, 0) for message in messages])
        except Exception as error:
            self._log.warning("release failed; messages reappear after their timeout", error=str(error))
            failures = []
        for failure in failures:
            self._log.warning("release refused", message_id=failure.message.message_id, code=failure.code)
        for message in messages:
            context = handler_context(message, self._service.name, self._queue.max_receive_count)
            self._parts.observers.on_outcome(self._service.name, Outcome.RELEASED, None, context, 0.0, None)

    async def _delete(self, message: ReceivedMessage) -> None:
        await self._parts.heartbeat.untrack(message)
        self._parts.deletes.delete(message)

    async def _set_visibility(self, message: ReceivedMessage, timeout_s: int) -> None:
        await self._parts.heartbeat.untrack(message)
        try:
            failures = await self._parts.broker.change_visibility([(message, timeout_s)])
        except Exception as error:
            failures = []
            self._log.warning("visibility change failed", message_id=message.message_id, error=str(error))
        for failure in failures:
            self._log.warning("visibility change refused", message_id=message.message_id, code=failure.code)

    async def _complete_claim(self, event: CloudEvent[Any]) -> None:
        store = self._parts.idempotency
        assert store is not None
        try:
            await store.complete(self._service.name, event.id)
        except Exception as error:  # handled already: delete anyway, a redelivery would re-run it
            self._log.error("idempotency complete failed", event_id=event.id, error=str(error))

    async def _release_claim(self, event: CloudEvent[Any]) -> None:
        store = self._parts.idempotency
        assert store is not None
        try:
            await store.release(self._service.name, event.id)
        except Exception as error:  # the lease expires on its own
            self._log.warning("idempotency release failed", event_id=event.id, error=str(error))

    async def _hook(self, call: Awaitable[None], delivery: _Delivery) -> None:
        try:
            await call
        except Exception:
            delivery.log.exception("service hook failed")

    def _report(self, delivery: _Delivery, outcome: str, error: BaseException | None = None) -> None:
        delivery.outcome = outcome
        duration = time.monotonic() - delivery.started
        self._parts.observers.on_outcome(
            self._service.name, outcome, delivery.event, delivery.context, duration, error
        )
