"""A dead letter whose body did not validate still lists the type and id its envelope states."""

import json

from monitor.dlq.messages import STATED_LIMIT, DeadLetter


def letter(body: str, attributes: dict[str, dict[str, str]] | None = None) -> DeadLetter:
    return DeadLetter.from_message(
        {
            "MessageId": "m-1",
            "Body": body,
            "MessageAttributes": attributes or {},
            "Attributes": {"SentTimestamp": "1700000000000"},
        }
    )


def envelope(**fields: object) -> str:
    return json.dumps(
        {"specversion": "1.0", "source": "urn:other-team", "time": "2026-12-07T00:00:00Z", **fields}
    )


def test_an_unknown_type_without_attributes_shows_what_the_envelope_states() -> None:
    dead = letter(envelope(type="com.example.refund.issued", id="r-77", data={}))
    assert (dead.event_type, dead.event_id) == ("com.example.refund.issued", "r-77")
    assert dead.decode_error is not None and "unknown" in dead.decode_error.lower()


def test_the_routed_on_attribute_wins_and_stated_text_is_bounded_to_one_line() -> None:
    routed = {"event_type": {"DataType": "String", "StringValue": "order.placed"}}
    dead = letter(envelope(type="order.placed.v9", id="x\n" * 500, data={}), routed)
    assert dead.event_type == "order.placed"
    assert dead.event_id is not None and "\n" not in dead.event_id and len(dead.event_id) <= STATED_LIMIT


def test_a_body_that_is_not_json_states_nothing() -> None:
    dead = letter("not json at all")
    assert (dead.event_type, dead.event_id) == (None, None) and dead.decode_error is not None
