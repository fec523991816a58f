"""Hypothesis strategies for SQS bodies a consumer must dead-letter, each with the reason it must give.

Every body is a string SQS accepts (only the XML characters SQS allows), so "not UTF-8" is
represented the ways it can actually arrive: Latin-1 mojibake of arbitrary bytes, and JSON text
whose escapes decode to lone surrogates (`\\udc80`), which no UTF-8 text can hold.
"""

import copy
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fanout.contract import CloudEvent
from fanout.contract.deadletter import DeadLetterReason
from fanout.contract.errors import RejectReason
from fanout.contract.registry import ORDER_EVENTS
from fanout.contract.wire import SNS_NOTIFICATION_KEYS
from producer.demo import demo_events

MALFORMED = RejectReason.MALFORMED.value
FOREIGN = RejectReason.FOREIGN.value
UNKNOWN_TYPE = RejectReason.UNKNOWN_TYPE.value
SCHEMA_VIOLATION = RejectReason.SCHEMA_VIOLATION.value
UNHANDLED_TYPE = DeadLetterReason.UNHANDLED_TYPE.value

SQS_MAX_BODY = 1024 * 1024
LONE_SURROGATE = "\udc80"


@dataclass(frozen=True)
class BadBody:
    """A body, the DLQ reason the runtime must record for it, and how it was made."""

    body: str
    reason: str
    kind: str


def sqs_allowed(character: str) -> bool:
    """#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF (SQS message bodies)."""
    code = ord(character)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def sqs_text(text: str) -> str:
    return "".join(character for character in text if sqs_allowed(character))


SQS_CHARACTERS = st.characters(exclude_categories=["Cs"]).filter(sqs_allowed)
TEXT = st.text(SQS_CHARACTERS, max_size=80)


def _documents() -> dict[str, list[dict[str, Any]]]:
    """Valid envelopes (as parsed JSON) of each type, to be broken in one place each."""
    found: dict[str, list[dict[str, Any]]] = {}
    for event in demo_events(60, seed=4242):
        found.setdefault(event.type, []).append(json.loads(event.model_dump_json()))
    return found


DOCUMENTS = _documents()
PLACED, CANCELLED, SHIPPED = "order.placed", "order.cancelled", "order.shipped"


def documents(*types: str) -> st.SearchStrategy[dict[str, Any]]:
    choices = [doc for event_type in types for doc in DOCUMENTS[event_type]]
    return st.sampled_from(choices).map(copy.deepcopy)


def _set(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    target[last] = value
    return document


def _delete(document: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    del target[last]
    return document


# Values that are wrong for the field whatever pydantic's lax coercions (no "1" for an int, etc.).
COMMON_WRONG: tuple[tuple[str, Any], ...] = (
    ("id", 123),
    ("id", ["not", "a", "string"]),
    ("id", ""),
    ("time", "yesterday"),
    ("time", {"at": "noon"}),
    ("subject", 5),
    ("subject", ""),
    ("correlationid", None),
    ("schemaversion", "one"),  # "1" is accepted: extension values often travel as strings
    ("schemaversion", 1.5),
    ("schemaversion", True),
    ("specversion", "0.3"),
    ("datacontenttype", "text/plain"),
    ("type", 42),
    ("type", None),
    ("source", ""),
    ("data", "the order"),
    ("data", [1, 2]),
    ("data", None),
    ("data.order_id", 7),
    ("data.order_id", ""),
    ("data.unexpected_field", True),
)
PLACED_WRONG: tuple[tuple[str, Any], ...] = (
    ("data.items", "SKU-1"),
    ("data.items", []),
    ("data.items.0.quantity", 0),
    ("data.items.0.quantity", "two"),
    ("data.items.0.sku", ""),
    ("data.items.0.unit_price", "free"),
    ("data.total", "-1"),
    ("data.total", "abc"),
    ("data.currency", "EURO"),
    ("data.customer_email", "nobody"),
    ("data.placed_at", "2026-01-01T00:00:00"),  # naive: an aware datetime is required
    ("data.placed_at", "not a date"),
)
CANCELLED_WRONG: tuple[tuple[str, Any], ...] = (
    ("data.reason", ""),
    ("data.reason", 3),
    ("data.cancelled_at", "tomorrow"),
)
# Required fields: CloudEvents' id, source, type (see test_contract_gaps.py), plus time and data
# (README "Wire contract"); subject, schemaversion and correlationid have defaults.
COMMON_REQUIRED = (
    "id",
    "source",
    "time",
    "type",
    "data",
    "data.order_id",
)
PLACED_REQUIRED = (
    "data.customer_id",
    "data.customer_email",
    "data.items",
    "data.total",
    "data.currency",
    "data.placed_at",
    "data.items.0.sku",
    "data.items.0.quantity",
    "data.items.0.unit_price",
)
CANCELLED_REQUIRED = ("data.reason", "data.cancelled_at")
SURROGATE_FIELDS = ("id", "subject", "correlationid", "source", "data.order_id")


def _dumps(document: Any) -> str:
    return json.dumps(document)  # ensure_ascii: a lone surrogate travels as the escape "\udc80"


@st.composite
def wrong_type(draw: st.DrawFn) -> BadBody:
    event_type = draw(st.sampled_from((PLACED, CANCELLED)))
    specific = PLACED_WRONG if event_type == PLACED else CANCELLED_WRONG
    path, value = draw(st.sampled_from(COMMON_WRONG + specific))
    body = _dumps(_set(draw(documents(event_type)), path, value))
    return BadBody(body, SCHEMA_VIOLATION, f"wrong-type:{path}")


@st.composite
def missing_field(draw: st.DrawFn) -> BadBody:
    event_type = draw(st.sampled_from((PLACED, CANCELLED)))
    specific = PLACED_REQUIRED if event_type == PLACED else CANCELLED_REQUIRED
    path = draw(st.sampled_from(COMMON_REQUIRED + specific + ("specversion",)))
    reason = FOREIGN if path == "specversion" else SCHEMA_VIOLATION  # no specversion: not a CloudEvent
    return BadBody(_dumps(_delete(draw(documents(event_type)), path)), reason, f"missing:{path}")


@st.composite
def unknown_type(draw: st.DrawFn) -> BadBody:
    document = draw(documents(PLACED, CANCELLED))
    if draw(st.booleans()):
        name = draw(
            st.text(SQS_CHARACTERS, min_size=1, max_size=40).filter(
                lambda n: n not in ORDER_EVENTS.event_types
            )
        )
        return BadBody(_dumps(_set(document, "type", name)), UNKNOWN_TYPE, "unknown-type:name")
    version = draw(st.integers(min_value=-1000, max_value=10**9).filter(lambda v: v != 1))
    return BadBody(_dumps(_set(document, "schemaversion", version)), UNKNOWN_TYPE, "unknown-type:version")


@st.composite
def surrogate(draw: st.DrawFn) -> BadBody:
    """JSON whose escapes decode to a lone surrogate: text no UTF-8 encoder can produce (malformed)."""
    document = draw(documents(PLACED, CANCELLED))
    garbage = draw(TEXT) + LONE_SURROGATE + draw(TEXT)
    where = draw(st.sampled_from(("field", "type", "key", "whole")))
    if where == "field":
        path = draw(st.sampled_from(SURROGATE_FIELDS))
        return BadBody(_dumps(_set(document, path, garbage)), MALFORMED, f"surrogate:{path}")
    if where == "type":
        return BadBody(_dumps(_set(document, "type", garbage)), MALFORMED, "surrogate:type")
    if where == "key":
        document["data"][garbage] = 1
        return BadBody(_dumps(document), MALFORMED, "surrogate:key")
    return BadBody(_dumps(garbage), MALFORMED, "surrogate:whole-body")


@st.composite
def not_json(draw: st.DrawFn) -> BadBody:
    how = draw(st.sampled_from(("text", "truncated", "latin-1")))
    if how == "text":
        return BadBody("<" + draw(TEXT), MALFORMED, "not-json:text")
    if how == "truncated":  # any proper prefix of a JSON object is not JSON
        body = _dumps(draw(documents(PLACED, CANCELLED, SHIPPED)))
        cut = draw(st.integers(min_value=1, max_value=len(body) - 1))
        return BadBody(body[:cut], MALFORMED, "not-json:truncated")
    raw = b"\xff\xfe" + draw(st.binary(max_size=200))
    return BadBody(sqs_text(raw.decode("latin-1")), MALFORMED, "not-json:latin-1")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)


def _plainly_foreign(value: Any) -> bool:
    return not (isinstance(value, dict) and ("specversion" in value or value.keys() >= SNS_NOTIFICATION_KEYS))


@st.composite
def foreign_json(draw: st.DrawFn) -> BadBody:
    value = draw(JSON_VALUES.filter(_plainly_foreign))
    return BadBody(_dumps(value), FOREIGN, "foreign:json")


def _sns(
    kind: str, message: Any, topic: str = "arn:aws:sns:us-east-1:123456789012:someone-elses-topic"
) -> str:
    notification = {
        "Type": kind,
        "MessageId": "8d0f7a6e-0000-4000-8000-000000000000",
        "TopicArn": topic,
        "Message": message,
        "Timestamp": "2026-11-22T12:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "c2lnbmF0dXJl",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/cert.pem",
    }
    if kind != "Notification":
        notification["Token"] = "2336412f37fb687f5d51e6e2425"
        notification["SubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription"
    return _dumps(notification)


@st.composite
def foreign_sns(draw: st.DrawFn) -> BadBody:
    how = draw(st.sampled_from(("confirmation", "text", "json", "not-a-string")))
    if how == "confirmation":
        kind = draw(st.sampled_from(("SubscriptionConfirmation", "UnsubscribeConfirmation")))
        return BadBody(_sns(kind, "You have chosen to subscribe to the topic."), FOREIGN, f"sns:{kind}")
    if how == "text":
        return BadBody(_sns("Notification", "<" + draw(TEXT)), MALFORMED, "sns:text-message")
    if how == "json":
        message = _dumps(draw(JSON_VALUES.filter(_plainly_foreign)))
        return BadBody(_sns("Notification", message), FOREIGN, "sns:foreign-message")
    not_a_string = draw(st.integers() | st.dictionaries(TEXT, st.integers(), max_size=3))
    return BadBody(_sns("Notification", not_a_string), MALFORMED, "sns:message-not-a-string")


def unhandled() -> st.SearchStrategy[BadBody]:
    """A valid order.shipped: the inventory has no handler for it (its filter policy keeps it out)."""
    return documents(SHIPPED).map(lambda doc: BadBody(_dumps(doc), UNHANDLED_TYPE, "unhandled:order.shipped"))


def bad_body() -> st.SearchStrategy[BadBody]:
    return st.one_of(
        not_json(),
        foreign_json(),
        foreign_sns(),
        wrong_type(),
        missing_field(),
        unknown_type(),
        surrogate(),
        unhandled(),
    )


def huge_bodies(sample: CloudEvent[Any]) -> list[BadBody]:
    """A few bodies near SQS's 1 MiB limit (leaving room for the dead-letter attributes)."""
    size = SQS_MAX_BODY - 8 * 1024
    document = json.loads(sample.model_dump_json())
    document["data"]["customer_id"] = "c" * size  # 256 characters at most
    return [
        BadBody("<" + "x" * size, MALFORMED, "huge:not-json"),
        BadBody(_dumps({"blob": "y" * size}), FOREIGN, "huge:foreign"),
        BadBody(_dumps(document), SCHEMA_VIOLATION, "huge:field-too-long"),
    ]


def draw_bad_bodies(count: int) -> list[BadBody]:
    """`count` bodies, reproducibly (derandomized Hypothesis), one per Hypothesis example.

    A single example cannot hold 1,000 structured values (Hypothesis caps the data one example
    draws), so each example is one body and examples are collected until there are enough.
    """
    drawn: list[BadBody] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(bad_body())
    def collect(body: BadBody) -> None:
        drawn.append(body)

    collect()
    return drawn[:count]
