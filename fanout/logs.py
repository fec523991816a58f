"""Structured logs for every long-running fanout process: structlog over the standard logging module,
as JSON lines or for a terminal.

`configure_logging` sends structlog's and the libraries' stdlib logs (botocore, aiohttp, ...)
through one handler with ISO-8601 UTC timestamps. A log call never waits for the output: records
are rendered by the caller and queued (stdlib QueueHandler, bounded; a full queue drops records and
says so later), and a QueueListener thread writes them. So a slow reader (a full pipe, a blocking
log driver) cannot freeze the event loop, and shutdown waits for the writer at most
`EXIT_FLUSH_S`. Tracebacks are plain text, never with local variables (they hold message bodies).
"""

import atexit
import contextlib
import logging
import logging.config
import os
import queue
import sys
import time
from logging.handlers import QueueHandler, QueueListener
from pathlib import Path

import structlog
from structlog.typing import Processor

from fanout.errors import ConfigurationError

CHATTY_LIBRARIES = ("botocore", "aiobotocore", "urllib3", "aiosqlite")  # their DEBUG/INFO lines drown ours
QUEUE_CAPACITY = 10_000  # records waiting for the writer; beyond that they are dropped, never waited for
EXIT_FLUSH_S = 2.0  # at exit, how long the writer gets to catch up


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
        else [
            structlog.dev.ConsoleRenderer(
                colors=file is None and sys.stderr.isatty(),
                exception_formatter=structlog.dev.plain_traceback,  # no locals: they hold bodies
            )
        ]
    )
    shared = _shared_processors()
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
        foreign_pre_chain=shared,
    )
    _writer.stop()  # the previous writer finishes first: dictConfig closes every handler it finds
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "root": {"level": numeric},
            "loggers": {name: {"level": max(numeric, logging.WARNING)} for name in CHATTY_LIBRARIES},
        }
    )
    handler = _writer.start(_output(file), formatter)
    root = logging.getLogger()
    for previous in root.handlers[:]:
        root.removeHandler(previous)
    root.addHandler(handler)
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


def flush_logs(timeout_s: float = EXIT_FLUSH_S) -> bool:
    """Wait until every queued record is written (at most `timeout_s`); False if the writer is stuck."""
    return _writer.flush(timeout_s)


def _output(file: Path | None) -> logging.Handler:
    """The handler the writer thread writes through: the file, or stderr without Python's buffer."""
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        return _DescriptorHandler(os.open(file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644), owned=True)
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a replaced sys.stderr (tests): write to it
        return logging.StreamHandler(sys.stderr)
    return _DescriptorHandler(os.dup(descriptor), owned=True)


class _DescriptorHandler(logging.Handler):
    """Writes each line with os.write, from the writer thread only: no Python-level buffer and no
    handler lock that a blocked write would hold (so logging's shutdown at exit never waits on it)."""

    def __init__(self, descriptor: int, owned: bool) -> None:
        super().__init__()
        self._descriptor = descriptor
        self._owned = owned

    def createLock(self) -> None:
        self.lock = None

    def handle(self, record: logging.LogRecord) -> bool:
        if self.filter(record):
            self.emit(record)
            return True
        return False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            data = (self.format(record) + "\n").encode("utf-8", "replace")
            while data:
                data = data[os.write(self._descriptor, data) :]
        except OSError:
            pass  # the output is gone (closed pipe, closed at exit): there is nowhere to report it
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        if self._owned and self._descriptor >= 0:  # once: the number may be reused afterwards
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = -1
        super().close()


class _DroppingQueueHandler(QueueHandler):
    """A QueueHandler that never blocks the caller: a full queue drops the record and counts it."""

    def __init__(self, records: "queue.Queue[logging.LogRecord | None]") -> None:
        super().__init__(records)
        self.dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            if self.dropped:
                self.queue.put_nowait(self._dropped_notice(self.dropped))
                self.dropped = 0
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def _dropped_notice(self, count: int) -> logging.LogRecord:
        message = "log output blocked: %d record(s) dropped"
        notice = logging.LogRecord(__name__, logging.WARNING, __file__, 0, message, (count,), None)
        prepared: logging.LogRecord = self.prepare(notice)
        return prepared


class _LogWriter:
    """The process's one QueueListener thread and the QueueHandler feeding it."""

    def __init__(self) -> None:
        self.handler: _DroppingQueueHandler | None = None
        self._listener: QueueListener | None = None
        self._output: logging.Handler | None = None

    def start(self, output: logging.Handler, formatter: logging.Formatter) -> QueueHandler:
        """Start writing to `output`; the handler to attach, rendering with `formatter`."""
        self.stop()
        records: queue.Queue[logging.LogRecord | None] = queue.Queue(QUEUE_CAPACITY)
        self.handler = _DroppingQueueHandler(records)
        self.handler.setFormatter(formatter)  # rendered by the caller: the thread only writes
        self._output = output
        self._listener = QueueListener(records, output)
        self._listener.start()
        return self.handler

    def flush(self, timeout_s: float) -> bool:
        if self.handler is None:
            return True
        records = self.handler.queue
        assert isinstance(records, queue.Queue)
        deadline = time.monotonic() + timeout_s
        while records.unfinished_tasks:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def stop(self) -> None:
        """Stop the thread once it caught up, or leave it (a daemon) when output stays blocked."""
        listener, output = self._listener, self._output
        if listener is None or self.handler is None:
            return
        logging.getLogger().removeHandler(self.handler)
        self._listener = None
        if self.flush(EXIT_FLUSH_S):
            listener.stop()
            if output is not None:
                output.close()


_writer = _LogWriter()
atexit.register(_writer.stop)
