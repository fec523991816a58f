"""configure_logging and LoggingObserver: JSON lines on stderr carrying the event's ids."""

import logging
from datetime import datetime

import pytest

from consumers.runtime.errors import PermanentError, RetryableError
from consumers.runtime.logs import LoggingObserver, configure_logging
from consumers.runtime.observer import Outcome
from fanout.errors import ConfigurationError
from runtime_ops.support import cancelled_event, delivery, json_lines

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_outcomes_are_json_lines_with_the_event_ids(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="info")
    event = cancelled_event(correlation_id="checkout-42")
    context = delivery(attempt=3)

    LoggingObserver().on_outcome("email", Outcome.HANDLED, event, context, 0.125, None)

    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "message handled"
    assert line["level"] == "info"
    assert line["event_id"] == event.id
    assert line["event_type"] == "order.cancelled"
    assert line["correlation_id"] == "checkout-42"
    assert line["consumer"] == "email"
    assert line["message_id"] == context.message_id
    assert line["attempt"] == 3
    assert line["duration_s"] == 0.125
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() is not None


def test_failures_log_at_warning_and_error_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="WARNING")
    observer = LoggingObserver()
    try:
        raise PermanentError("address rejected")
    except PermanentError as raised:
        permanent = raised

    observer.on_outcome("email", Outcome.HANDLED, cancelled_event(), delivery(), 0.1, None)  # below the level
    observer.on_outcome(
        "email", Outcome.RETRY, cancelled_event(), delivery(), 0.1, RetryableError("smtp down")
    )
    observer.on_outcome("email", Outcome.DEAD_LETTERED, None, delivery(), 0.1, permanent)

    retry, dead = json_lines(capsys.readouterr().err)
    assert (retry["level"], retry["error"]) == ("warning", "RetryableError: smtp down")
    assert (dead["level"], dead["error"]) == ("error", "PermanentError: address rejected")
    assert "event_id" not in dead  # the body never decoded
    assert 'raise PermanentError("address rejected")' in dead["exception"]


def test_library_logs_share_the_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=True, level="debug")

    logging.getLogger("aiohttp.server").info("plain stdlib record %s", "formatted")
    logging.getLogger("botocore.endpoint").info("chatty library detail")  # held at WARNING

    [line] = json_lines(capsys.readouterr().err)
    assert line == {
        "event": "plain stdlib record formatted",
        "level": "info",
        "logger": "aiohttp.server",
        "timestamp": line["timestamp"],
    }


def test_console_format_is_readable_key_values(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(json=False, level="info")
    event = cancelled_event()

    LoggingObserver().on_outcome("inventory", Outcome.DUPLICATE, event, delivery(), 0.0, None)

    output = capsys.readouterr().err
    assert "message duplicate" in output
    assert f"event_id={event.id}" in output
    assert "\x1b[" not in output  # no colour codes when stderr is not a terminal


def test_unknown_level_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown log level 'loud'"):
        configure_logging(json=True, level="loud")
