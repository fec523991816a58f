"""Dead-letter attributes within SQS's 10-attribute limit, and the 12-hour visibility ceiling."""

import json
import time

from consumers.runtime.backoff import MAX_VISIBILITY_S
from consumers.runtime.dead_letter import (
    CONTRACT_ATTRIBUTES,
    MAX_MESSAGE_BYTES,
    DeadLetterMessage,
    dead_letter_attributes,
    plan_dead_letter,
)
from consumers.runtime.message import VISIBILITY_MARGIN_S, ReceivedMessage
from fanout.contract.deadletter import MAX_DETAIL_LENGTH, DeadLetterAttribute
from fanout.contract.payloads import PAYLOAD_SIZE_ATTRIBUTE, PayloadPointer
from fanout.contract.wire import MAX_MESSAGE_ATTRIBUTES, message_size


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


def fits(letter: DeadLetterMessage) -> bool:
    return message_size(letter.body, letter.attributes) <= MAX_MESSAGE_BYTES


def test_a_body_that_fits_is_sent_as_it_came_with_every_attribute() -> None:
    names = ["event_type", "correlation_id"]
    letter = plan_dead_letter(message(names, body="x" * 1000), "malformed", "y" * 900, "work")
    assert set(letter.attributes) == {*names, *DeadLetterAttribute}
    assert letter.body == "x" * 1000 and letter.offload is None


def test_near_the_limit_in_bytes_the_detail_goes_first() -> None:
    """Counted in UTF-8 bytes: 'é' is two, so this body has half a MiB of characters but ~1 MiB of bytes."""
    names = ["event_type", "correlation_id"]
    body = "é" * ((MAX_MESSAGE_BYTES - 900) // 2)
    assert len(body) < MAX_MESSAGE_BYTES // 2
    letter = plan_dead_letter(message(names, body=body), "malformed", "y" * 900, "work", "bucket")
    assert set(letter.attributes) == {*names, *DeadLetterAttribute} - {DeadLetterAttribute.DETAIL}
    assert letter.body == body and letter.offload is None
    assert fits(letter)
    assert letter.attributes[DeadLetterAttribute.REASON]["StringValue"] == "malformed"


def test_a_body_at_the_limit_is_offloaded_to_the_payload_bucket_as_a_claim_check() -> None:
    """The original message fit SQS's limit; with the runtime's record added it would not."""
    names = ["event_type", "correlation_id", "traceparent"]
    body = "€" * ((MAX_MESSAGE_BYTES - 100) // 3)  # three bytes each
    letter = plan_dead_letter(message(names, body=body), "malformed", "bad", "work", "payloads")
    assert letter.offload == PayloadPointer.for_dead_letter("payloads", "m-1")
    assert PayloadPointer.parse(json.loads(letter.body)) == letter.offload
    assert {*names, *DeadLetterAttribute, PAYLOAD_SIZE_ATTRIBUTE} == set(letter.attributes)
    assert letter.attributes[PAYLOAD_SIZE_ATTRIBUTE]["StringValue"] == str(len(body.encode()))
    assert letter.attributes[DeadLetterAttribute.DETAIL]["StringValue"] == "bad"
    assert fits(letter)


def test_offloading_keeps_within_ten_attributes() -> None:
    names = ["event_type", "event_version", "correlation_id", "zeta"]
    body = "x" * (MAX_MESSAGE_BYTES - 10)
    letter = plan_dead_letter(message(names, body=body), "malformed", "bad", "work", "payloads")
    assert len(letter.attributes) == MAX_MESSAGE_ATTRIBUTES
    assert PAYLOAD_SIZE_ATTRIBUTE in letter.attributes and "zeta" not in letter.attributes
    assert set(CONTRACT_ATTRIBUTES) <= set(letter.attributes)


def test_without_a_bucket_the_original_attributes_go_after_the_detail() -> None:
    names = ["event_type", "correlation_id"]
    body = "x" * (MAX_MESSAGE_BYTES - 240)  # room for the runtime record only
    letter = plan_dead_letter(message(names, body=body), "malformed", "y" * 900, "work")
    assert set(letter.attributes) == set(DeadLetterAttribute) - {DeadLetterAttribute.DETAIL}
    assert letter.body == body and fits(letter)


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
