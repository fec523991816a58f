"""Consumer logs: `LoggingObserver` logs each message outcome at DEBUG with the ids needed to follow
an event across services, and an aggregated INFO line per consumer every `summary_interval_s`.

The process-wide configuration (JSON or console lines, non-blocking writes) is `fanout.logs`.
"""

import logging
import time
from collections import Counter
from typing import Any

import structlog

from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from consumers.runtime.processing import describe_error
from fanout.contract.envelope import CloudEvent
from fanout.logs import CHATTY_LIBRARIES, configure_logging, flush_logs
from fanout.redaction import log_safe

__all__ = ["CHATTY_LIBRARIES", "OUTCOME_LOGGER", "LoggingObserver", "configure_logging", "flush_logs"]

OUTCOME_LOGGER = "fanout.consumer.outcomes"
SUMMARY_INTERVAL_S = 60.0


class LoggingObserver(NullObserver):
    """A RuntimeObserver that logs each message outcome at DEBUG and a summary per interval at INFO.

    Outcome fields: consumer, outcome, event_id, event_type, correlation_id (when the body decoded),
    message_id, attempt, duration_s, error (type and message, bounded); the traceback only at DEBUG.
    Never the body. The one line per dead letter (reason, detail) comes from the processing step.
    Summary: `messages processed` with the count of each outcome since the previous summary.
    """

    def __init__(self, summary_interval_s: float = SUMMARY_INTERVAL_S) -> None:
        self._log = structlog.get_logger(OUTCOME_LOGGER)
        self._stdlib_log = logging.getLogger(OUTCOME_LOGGER)  # its level is read on each call
        self._summary_interval_s = summary_interval_s
        self._counts: dict[str, Counter[str]] = {}
        self._since: dict[str, float] = {}

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
        self._count(consumer, outcome)
        if not self._stdlib_log.isEnabledFor(logging.DEBUG):
            return
        fields: dict[str, Any] = {
            "consumer": consumer,
            "outcome": outcome,
            "message_id": context.message_id,
            "attempt": context.attempt,
            "duration_s": round(duration_s, 6),
        }
        if event is not None:
            fields.update(event_id=event.id, event_type=event.type, correlation_id=event.correlationid)
        if error is not None:
            fields["error"] = log_safe(describe_error(error))
            fields["exc_info"] = error
        self._log.debug(f"message {outcome}", **fields)

    def _count(self, consumer: str, outcome: str) -> None:
        now = time.monotonic()
        counts = self._counts.get(consumer)
        if counts is None:  # not setdefault: that would build a Counter per message
            counts = self._counts[consumer] = Counter()
            self._since[consumer] = now
        since = self._since[consumer]
        counts[outcome] += 1
        if now - since >= self._summary_interval_s:
            self._log.info(
                "messages processed",
                consumer=consumer,
                interval_s=round(now - since, 1),
                **{name: counts[name] for name in SUMMARY_OUTCOMES},
            )
            counts.clear()
            self._since[consumer] = now


SUMMARY_OUTCOMES = (
    Outcome.HANDLED,
    Outcome.DUPLICATE,
    Outcome.RETRY,
    Outcome.DEAD_LETTERED,
    Outcome.RELEASED,
)
