"""configure_logging and LoggingObserver: JSON lines on stderr carrying the event's ids.

Records are written by a background thread: each test flushes before reading the output.
"""

import logging
from datetime import datetime

import pytest

from consumers.runtime.errors import PermanentError, RetryableError
from consumers.runtime.logs import LoggingObserver, configure_logging, flush_logs
from consumers.runtime.observer import Outcome
from fanout.errors import ConfigurationError
from runtime_ops.support import cancelled_event, delivery, json_lines

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_outcomes_are_json_lines_with_the_event_ids_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="debug")
    event = cancelled_event(correlation_id="checkout-42")
    context = delivery(attempt=3)

    LoggingObserver().on_outcome("email", Outcome.HANDLED, event, context, 0.125, None)

    assert flush_logs()
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "message handled"
    assert line["level"] == "debug"
    assert line["event_id"] == event.id
    assert line["event_type"] == "order.cancelled"
    assert line["correlation_id"] == "checkout-42"
    assert line["consumer"] == "email"
    assert line["message_id"] == context.message_id
    assert line["attempt"] == 3
    assert line["duration_s"] == 0.125
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() is not None


def test_per_message_outcomes_stay_below_info_and_a_summary_line_counts_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json=True, level="info")
    observer = LoggingObserver(summary_interval_s=0.0)  # every outcome closes an interval
    permanent = PermanentError("address rejected")

    observer.on_outcome("email", Outcome.HANDLED, cancelled_event(), delivery(), 0.1, None)
    observer.on_outcome("email", Outcome.DEAD_LETTERED, None, delivery(), 0.1, permanent)

    assert flush_logs()
    lines = json_lines(capsys.readouterr().err)
    assert [(line["event"], line["level"]) for line in lines] == [("messages processed", "info")] * 2
    assert (lines[0]["handled"], lines[0]["dead_lettered"]) == (1, 0)
    assert (lines[1]["handled"], lines[1]["dead_lettered"]) == (0, 1)
    assert lines[1]["consumer"] == "email"


def test_errors_are_type_and_message_the_traceback_only_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="debug")
    try:
        raise PermanentError("address rejected")
    except PermanentError as raised:
        permanent = raised

    observer = LoggingObserver()
    observer.on_outcome(
        "email", Outcome.RETRY, cancelled_event(), delivery(), 0.1, RetryableError("smtp down")
    )
    observer.on_outcome("email", Outcome.DEAD_LETTERED, None, delivery(), 0.1, permanent)

    assert flush_logs()
    retry, dead = json_lines(capsys.readouterr().err)
    assert retry["error"] == "RetryableError: smtp down"
    assert dead["error"] == "PermanentError: address rejected"
    assert "event_id" not in dead  # the body never decoded
    assert 'raise PermanentError("address rejected")' in dead["exception"]


def test_an_error_quoting_its_input_is_logged_without_it(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="debug")
    secret = "4111-1111-1111-1111"
    error = RetryableError(f"1 validation error [type=int_parsing, input_value='{secret}', input_type=str]")

    LoggingObserver().on_outcome("email", Outcome.RETRY, cancelled_event(), delivery(), 0.1, error)

    assert flush_logs()
    [line] = json_lines(capsys.readouterr().err)
    assert secret not in line["error"]
    assert "input_value=<redacted>" in line["error"]


def test_library_logs_share_the_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="debug")

    logging.getLogger("aiohttp.server").info("plain stdlib record %s", "formatted")
    logging.getLogger("botocore.endpoint").info("chatty library detail")  # held at WARNING

    assert flush_logs()
    [line] = json_lines(capsys.readouterr().err)
    assert line == {
        "event": "plain stdlib record formatted",
        "level": "info",
        "logger": "aiohttp.server",
        "timestamp": line["timestamp"],
    }


def test_console_format_is_readable_key_values(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=False, level="debug")
    event = cancelled_event()

    LoggingObserver().on_outcome("inventory", Outcome.DUPLICATE, event, delivery(), 0.0, None)

    assert flush_logs()
    output = capsys.readouterr().err
    assert "message duplicate" in output
    assert f"event_id={event.id}" in output
    assert "\x1b[" not in output  # no colour codes when stderr is not a terminal


def test_unknown_level_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown log level 'loud'"):
        configure_logging(json=True, level="loud")


def test_a_full_log_queue_drops_records_without_waiting_and_says_so_later() -> None:
    import queue

    from fanout.logs import _DroppingQueueHandler

    records: queue.Queue[logging.LogRecord | None] = queue.Queue(2)
    handler = _DroppingQueueHandler(records)
    for number in range(4):  # the writer is stuck: two wait in the queue, two are dropped at once
        handler.handle(logging.LogRecord("t", logging.INFO, __file__, 0, "line %d", (number,), None))
    assert handler.dropped == 2
    waiting = [records.get_nowait(), records.get_nowait()]  # the writer catches up
    assert [record.getMessage() for record in waiting if record] == ["line 0", "line 1"]

    handler.handle(logging.LogRecord("t", logging.INFO, __file__, 0, "line after", None, None))

    notice, after = records.get_nowait(), records.get_nowait()
    assert notice is not None and notice.getMessage() == "log output blocked: 2 record(s) dropped"
    assert after is not None and after.getMessage() == "line after"
    assert handler.dropped == 0
