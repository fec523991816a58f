"""Structured logs: structlog over the standard logging module, as JSON lines or for a terminal.

`configure_logging` sends structlog's and the libraries' stdlib logs (botocore, aiohttp, ...)
through one stderr handler with ISO-8601 UTC timestamps; `LoggingObserver` writes one line per
message outcome with the ids needed to follow an event across services.
"""

import logging
import logging.config
import sys
from pathlib import Path
from typing import Any

import structlog
from structlog.typing import Processor

from consumers.runtime.context import HandlerContext
from consumers.runtime.observer import NullObserver, Outcome
from consumers.runtime.processing import describe_error
from fanout.contract.envelope import CloudEvent
from fanout.errors import ConfigurationError

OUTCOME_LOGGER = "fanout.consumer.outcomes"
CHATTY_LIBRARIES = ("botocore", "aiobotocore", "urllib3")  # their DEBUG/INFO lines drown ours

OUTCOME_LEVELS = {Outcome.RETRY: logging.WARNING, Outcome.DEAD_LETTERED: logging.ERROR}


def _shared_processors() -> list[Processor]:
    """Applied to structlog and stdlib records alike, before rendering."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def configure_logging(json: bool, level: str, file: Path | None = None) -> None:
    """Configure structlog and stdlib logging for the process (calling it again reconfigures).

    `json`: one JSON object per line (for log shippers), else key=value lines (coloured on a tty).
    `level`: a standard level name (debug, info, warning, error, critical), any case.
    `file`: append the lines to this file instead of writing them to stderr.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ConfigurationError(f"unknown log level {level!r}: use debug, info, warning, error or critical")
    rendering: list[Processor] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json
        else [structlog.dev.ConsoleRenderer(colors=file is None and sys.stderr.isatty())]
    )
    handler: dict[str, Any] = (
        {"class": "logging.FileHandler", "filename": str(file), "formatter": "structlog"}
        if file is not None
        else {"class": "logging.StreamHandler", "formatter": "structlog"}
    )
    shared = _shared_processors()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structlog": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
                    "foreign_pre_chain": shared,
                }
            },
            "handlers": {"main": handler},
            "root": {"handlers": ["main"], "level": numeric},
            "loggers": {name: {"level": max(numeric, logging.WARNING)} for name in CHATTY_LIBRARIES},
        }
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # module-level loggers must follow a later reconfiguration
    )


class LoggingObserver(NullObserver):
    """A RuntimeObserver that logs each message outcome: info, retry as warning, dead letter as error.

    Fields: consumer, outcome, event_id, event_type, correlation_id (when the body decoded),
    message_id, attempt, duration_s, error; a dead letter carries the error's traceback too.
    """

    def __init__(self) -> None:
        self._log = structlog.get_logger(OUTCOME_LOGGER)

    def on_outcome(
        self,
        consumer: str,
        outcome: str,
        event: CloudEvent[Any] | None,
        context: HandlerContext,
        duration_s: float,
        error: BaseException | None,
    ) -> None:
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
            fields["error"] = describe_error(error)
            if outcome == Outcome.DEAD_LETTERED:
                fields["exc_info"] = error
        self._log.log(OUTCOME_LEVELS.get(outcome, logging.INFO), f"message {outcome}", **fields)
