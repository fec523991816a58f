"""Dead-letter attributes within SQS's 10-attribute limit, and the 12-hour visibility ceiling."""

import time

from consumers.runtime.backoff import MAX_VISIBILITY_S
from consumers.runtime.dead_letter import MAX_MESSAGE_ATTRIBUTES, MAX_MESSAGE_BYTES, dead_letter_attributes
from consumers.runtime.message import VISIBILITY_MARGIN_S, ReceivedMessage
from fanout.contract.deadletter import MAX_DETAIL_LENGTH, DeadLetterAttribute


def message(
    attribute_names: list[str], received_at: float | None = None, body: str = "{}"
) -> ReceivedMessage:
    return ReceivedMessage(
        message_id="m-1",
        receipt_handle="r-1",
        body=body,
        system_attributes={
            "ApproximateReceiveCount": "4",
            "ApproximateFirstReceiveTimestamp": "1795385486873",
        },
        message_attributes={name: {"DataType": "String", "StringValue": name} for name in attribute_names},
        received_at=time.monotonic() if received_at is None else received_at,
    )


def test_runtime_attributes_always_fit_and_contract_attributes_are_kept_first() -> None:
    names = ["zeta", "alpha", "beta", "correlation_id", "event_type", "event_version", "gamma"]
    attributes = dead_letter_attributes(message(names), "retries_exhausted", "boom", "work")
    assert len(attributes) == MAX_MESSAGE_ATTRIBUTES
    assert {"event_type", "event_version", "correlation_id", "alpha"} <= attributes.keys()
    assert set(DeadLetterAttribute) <= attributes.keys()
    detail = attributes[DeadLetterAttribute.DETAIL]["StringValue"]
    assert detail == "boom (attributes not kept: beta, gamma, zeta)"
    assert attributes[DeadLetterAttribute.RECEIVE_COUNT] == {"DataType": "Number", "StringValue": "4"}
    assert attributes[DeadLetterAttribute.FIRST_SEEN]["StringValue"].startswith("2026-11-22T")


def test_a_body_near_the_size_limit_keeps_the_reason_and_drops_what_does_not_fit() -> None:
    names = ["event_type", "correlation_id"]
    roomy = dead_letter_attributes(message(names, body="x" * 1000), "malformed", "y" * 900, "work")
    assert set(roomy) == {*names, *DeadLetterAttribute}

    # 600 bytes of room: the originals go first, then the detail; the reason always stays.
    tight = "x" * (MAX_MESSAGE_BYTES - 600)
    attributes = dead_letter_attributes(message(names, body=tight), "malformed", "y" * 900, "work")
    assert set(attributes) == set(DeadLetterAttribute) - {DeadLetterAttribute.DETAIL}
    assert attributes[DeadLetterAttribute.REASON]["StringValue"] == "malformed"
    size = sum(len(n) + len(v["DataType"]) + len(v["StringValue"]) for n, v in attributes.items())
    assert len(tight) + size <= MAX_MESSAGE_BYTES


def test_detail_is_truncated_to_the_contract_limit() -> None:
    attributes = dead_letter_attributes(message([]), "permanent_failure", "x" * 5000, "work")
    detail = attributes[DeadLetterAttribute.DETAIL]["StringValue"]
    assert len(detail) == MAX_DETAIL_LENGTH and detail.endswith("…")


def test_visibility_is_never_extended_past_twelve_hours_from_receipt() -> None:
    now = time.monotonic()
    assert message([], received_at=now).visibility_headroom_s(now) == MAX_VISIBILITY_S - VISIBILITY_MARGIN_S
    assert message([], received_at=now - 43_000).visibility_headroom_s(now) == 200 - VISIBILITY_MARGIN_S
    assert message([], received_at=now - 50_000).visibility_headroom_s(now) == 0


def test_a_previous_dead_letter_record_is_replaced_not_counted_as_original() -> None:
    """StartMessageMoveTask (AWS, LocalStack) redrives messages with their attributes, so a message
    that fails again still carries the old record: it must not crowd out the originals."""
    stale = [attribute.value for attribute in DeadLetterAttribute]
    attributes = dead_letter_attributes(
        message(["event_type", "correlation_id", "event_version", *stale]),
        "retries_exhausted",
        "boom",
        "work",
    )
    assert attributes[DeadLetterAttribute.DETAIL]["StringValue"] == "boom"  # nothing reported dropped
    assert {"event_type", "correlation_id", "event_version"} <= attributes.keys()
    assert attributes[DeadLetterAttribute.REASON]["StringValue"] == "retries_exhausted"
    assert attributes[DeadLetterAttribute.SOURCE_QUEUE]["StringValue"] == "work"
