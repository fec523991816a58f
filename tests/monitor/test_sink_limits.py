"""Every sink's payload within its service's documented limits, cut with "… and N more"."""

import json
from datetime import UTC, datetime

import pytest

from monitor.alerts import Alert, AlertKind, ReasonSample
from monitor.sinks.limits import fit_alert, fit_lines, short_reasons
from monitor.sinks.pagerduty import MAX_DEDUP_KEY, MAX_EVENT_BYTES, MAX_SUMMARY, pagerduty_event
from monitor.sinks.slack import MAX_BLOCKS, MAX_FALLBACK_TEXT, MAX_SECTION_TEXT, slack_message
from monitor.sinks.sns import MAX_MESSAGE_BYTES, sns_message

HUGE = 200_000  # a reason detail as long as a message attribute may be


def alert(
    kind: AlertKind = AlertKind.FIRING, *, reasons: int = 10, detail: int = HUGE, dlq: str = ""
) -> Alert:
    return Alert(
        kind=kind,
        consumer="email",
        dlq=dlq or "prod-email-dlq",
        source_queue="prod-email",
        depth=12_345,
        source_depth=7,
        threshold=1,
        trigger="x" * 5_000,  # long enough to push the summary over every limit
        oldest_age_s=3600.0,
        oldest_age_exact=False,
        recent_reasons=[
            ReasonSample(
                reason="retries_exhausted" * 50,
                detail=f"{index}:" + "d" * detail,
                event_type="order.placed",
                event_id=f"evt-{index}",
                dead_lettered_at="2026-06-01T12:00:00+00:00",
            )
            for index in range(reasons)
        ],
        inspect_command="fanout --env prod dlq show email",
        redrive_command="fanout --env prod dlq redrive email",
        at=datetime(2026, 6, 1, 12, tzinfo=UTC),
    )


def test_slack_sections_blocks_and_fallback_within_limits() -> None:
    message = slack_message(alert())

    assert len(message["blocks"]) <= MAX_BLOCKS
    texts = [block["text"]["text"] for block in message["blocks"]]
    assert all(len(text) <= MAX_SECTION_TEXT for text in texts)
    assert len(message["text"]) <= MAX_FALLBACK_TEXT
    assert any("… and " in text and " more" in text for text in texts)  # the reasons that did not fit
    assert "fanout --env prod dlq redrive email" in texts[-1]  # the commands are never cut off
    unlimited = len("\n".join(sample.detail or "" for sample in alert().recent_reasons))
    assert unlimited > 100 * MAX_SECTION_TEXT  # the input really was over the limit


def test_slack_short_alert_is_not_cut() -> None:
    message = slack_message(alert(reasons=2, detail=20))
    assert "… and" not in json.dumps(message)
    assert "0:dddd" in message["blocks"][1]["text"]["text"]


def test_fit_lines_says_how_many_were_left_out() -> None:
    lines = [f"line {index} " + "z" * 90 for index in range(100)]
    text = fit_lines(lines, 1000)
    assert len(text) <= 1000
    kept = text.count("line ")
    assert text.endswith(f"… and {100 - kept} more") and kept == 10
    assert fit_lines(["a" * 5000, "b"], 100).endswith("… and 1 more")
    assert len(fit_lines(["a" * 5000, "b"], 100)) <= 100


def test_pagerduty_summary_dedup_key_and_event_size() -> None:
    long_queue = "q" * 300
    event = pagerduty_event(alert(dlq=long_queue), "routing-key")

    assert len(event["payload"]["summary"]) <= MAX_SUMMARY
    assert event["payload"]["summary"].endswith("…")
    assert len(event["dedup_key"]) <= MAX_DEDUP_KEY
    assert len(json.dumps(event).encode()) <= MAX_EVENT_BYTES
    # deterministic: the resolve of the same queue carries the same key
    resolve = pagerduty_event(alert(AlertKind.RESOLVED, dlq=long_queue), "routing-key")
    assert resolve["dedup_key"] == event["dedup_key"]
    assert pagerduty_event(alert(dlq="other-" + long_queue), "k")["dedup_key"] != event["dedup_key"]


def test_sns_message_within_256_kib() -> None:
    message = sns_message(alert())
    assert len(message.encode()) <= MAX_MESSAGE_BYTES
    assert len(json.loads(message)["recent_reasons"]) == 10  # shortened details, every sample kept


def test_fit_alert_drops_samples_and_counts_them() -> None:
    def size(candidate: Alert) -> int:
        return len(candidate.model_dump_json())

    full = alert(detail=400)
    short = short_reasons(full)
    limit = size(short.model_copy(update={"recent_reasons": short.recent_reasons[:3]})) + 50
    fitted = fit_alert(full, size, limit)
    assert size(fitted) <= limit
    assert len(fitted.recent_reasons) == 3 and fitted.omitted_reasons == 7
    assert any("… and 7 more" in block["text"]["text"] for block in slack_message(fitted)["blocks"])
    with pytest.raises(ValueError, match="does not fit"):
        fit_alert(full, size, 100)
