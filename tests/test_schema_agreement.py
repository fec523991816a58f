"""The published JSON Schema and the consumer agree, both ways, on generated and mutated envelopes.

For every event type: a valid envelope is generated, then mutated once (a member removed, a value
replaced by a tricky one, a member added). For both documents, "the schema accepts it and the rules
its `$comment`s state hold" must equal "the consumer decodes it as that type". The rules a JSON
Schema cannot state are checked here exactly as the `$comment`s word them (calendar dates, the
order total, a utf-8 charset), so this test also pins that the comments are complete.
"""

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, ValidationError, validators

from fanout.contract import OrderCancelled, OrderPlaced, OrderShipped
from fanout.contract.envelope import EventData
from fanout.contract.errors import ContractError
from fanout.contract.formats import CURRENCY_CODES
from fanout.contract.registry import ORDER_EVENTS
from fanout.contract.schemas import envelope_schema

settings.register_profile(
    "contract-agreement",
    max_examples=1000,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
AGREEMENT = settings.get_profile("contract-agreement")


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    """ECMA-262 `pattern` (what JSON Schema specifies): `$` is the end of input. Python's `re`,
    which jsonschema uses, also lets `$` match before a final newline."""
    if validator.is_type(instance, "string") and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})
MODELS: list[type[EventData]] = [OrderPlaced, OrderCancelled, OrderShipped]
VALIDATORS = {model.event_type: EcmaValidator(envelope_schema(model)) for model in MODELS}
TIMESTAMP_FIELDS = ("time", "placed_at", "cancelled_at", "shipped_at")

# -- valid documents --------------------------------------------------------------------------

short_text = st.text(min_size=1, max_size=12)
money = st.builds(
    lambda whole, fraction, places: (
        f"{whole}.{fraction:04d}"[: len(str(whole)) + 1 + places] if places else str(whole)
    ),
    st.integers(0, 10**6),
    st.integers(0, 9999),
    st.integers(0, 4),
)
offsets = st.sampled_from(["Z", "z", "+00:00", "-05:30", "+14:00", "+23:59"])
timestamps = st.builds(
    lambda moment, separator, fraction, offset: (
        moment.replace(microsecond=0).isoformat(separator) + fraction + offset
    ),
    st.datetimes(),
    st.sampled_from(["T", "t", " "]),
    st.sampled_from(["", ".5", ".123456"]),
    offsets,
)
atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=8)
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
emails = st.builds(
    lambda local, host, tld: f"{'.'.join(local)}@{'.'.join(host)}.{tld}",
    st.lists(atom, min_size=1, max_size=2),
    st.lists(label, min_size=1, max_size=2),
    st.sampled_from(["com", "org", "io", "example"]),
)
items = st.lists(
    st.fixed_dictionaries({"sku": short_text, "quantity": st.integers(1, 1000), "unit_price": money}),
    min_size=1,
    max_size=4,
)


def placed_data(lines: list[dict[str, Any]], rest: dict[str, Any]) -> dict[str, Any]:
    total = sum((Decimal(line["unit_price"]) * line["quantity"] for line in lines), Decimal(0))
    return {**rest, "items": lines, "total": format(total, "f")}


DATA = {
    "order.placed": st.builds(
        placed_data,
        items,
        st.fixed_dictionaries(
            {
                "order_id": short_text,
                "customer_id": short_text,
                "customer_email": emails,
                "currency": st.sampled_from(CURRENCY_CODES),
                "placed_at": timestamps,
            }
        ),
    ),
    "order.cancelled": st.fixed_dictionaries(
        {"order_id": short_text, "reason": short_text, "cancelled_at": timestamps}
    ),
    "order.shipped": st.fixed_dictionaries(
        {
            "order_id": short_text,
            "carrier": short_text,
            "tracking_number": short_text,
            "shipped_at": timestamps,
        }
    ),
}
MEDIA_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    'Application/JSON;charset="UTF-8"',
    "application/cloudevents+json",
]
extension_names = st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(
    lambda name: (
        name not in {"specversion", "id", "source", "type", "time", "subject", "data", "dataschema"}
        and name not in {"datacontenttype", "schemaversion", "correlationid", "data_base64"}
    )
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), short_text)


def envelopes(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    required = st.fixed_dictionaries(
        {
            "specversion": st.just("1.0"),
            "id": short_text,
            "source": short_text,
            "type": st.just(event_type),
            "time": timestamps,
            "data": DATA[event_type],
        },
        optional={
            "datacontenttype": st.sampled_from(MEDIA_TYPES),
            "dataschema": st.one_of(st.none(), short_text),
            "subject": st.text(min_size=1, max_size=8),
            "correlationid": st.text(min_size=1, max_size=8),
            "schemaversion": st.sampled_from([1, "1", 1.0]),
        },
    )
    return st.builds(
        lambda doc, ext: {**ext, **doc}, required, st.dictionaries(extension_names, scalars, max_size=2)
    )


# -- mutations --------------------------------------------------------------------------------

TRICKY = [
    None, True, 0, -1, 1.5, 2.0, 10**7, "", " ", "x", "2", "-5", "1.23456", "1e3", "007", "12.50", "12.50\n",
    "2026-02-30T00:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00Z\n", "2026-01-01T24:00:00Z",
    "0000-01-01T00:00:00Z", 1795385486, [], {}, "a@b", "ada@example.com", "ada@example.com\n", "EUR", "eur",
    "application/xml", "application/json; charset=latin-1", "text/json", "x" * 257, "1.0", 1,
]  # fmt: skip
EXTRA_NAMES = ["extra", "traceparent", "Data", "subject", "schemaversion", "note"]


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, (*prefix, index))
    return found


def containers(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if isinstance(document, dict) else []
    children = (
        document.items()
        if isinstance(document, dict)
        else enumerate(document)
        if isinstance(document, list)
        else []
    )
    for key, value in children:
        found += containers(value, (*prefix, key))
    return found


def at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


@st.composite
def mutated(draw: st.DrawFn, document: dict[str, Any]) -> dict[str, Any]:
    copy = json.loads(json.dumps(document))
    kind = draw(st.sampled_from(["replace", "remove", "add"]))
    if kind == "add":
        target = at(copy, draw(st.sampled_from(containers(copy))))
        target[draw(st.sampled_from(EXTRA_NAMES))] = draw(st.sampled_from(TRICKY))
        return copy
    path = draw(st.sampled_from(paths(copy)))
    parent = at(copy, path[:-1])
    if kind == "remove":
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(st.sampled_from(TRICKY))
    return copy


# -- the two verdicts -------------------------------------------------------------------------


def documented_rules_hold(document: dict[str, Any]) -> bool:
    """What the schema's `$comment`s say the consumer also checks (only asked of schema-valid documents)."""
    data = document["data"]
    stamps = [document["time"], *(data[name] for name in TIMESTAMP_FIELDS if name in data)]
    try:
        for stamp in stamps:
            date.fromisoformat(stamp[:10])
    except ValueError:
        return False
    charset = re.search(r";\s*charset\s*=\s*\"?([^\";\s]+)", document.get("datacontenttype", ""), re.I)
    if charset and charset.group(1).lower() not in {"utf-8", "utf8"}:
        return False
    if document["type"] == "order.placed":
        lines = sum(
            (Decimal(line["unit_price"]) * int(line["quantity"]) for line in data["items"]), Decimal(0)
        )
        return lines == Decimal(data["total"])
    return True


def schema_says(event_type: str, document: dict[str, Any]) -> bool:
    return VALIDATORS[event_type].is_valid(document) and documented_rules_hold(document)


def consumer_says(event_type: str, document: dict[str, Any]) -> bool:
    try:
        return ORDER_EVENTS.parse_envelope(document).type == event_type
    except ContractError:
        return False


@pytest.mark.parametrize("event_type", [model.event_type for model in MODELS])
def test_schema_and_consumer_agree_on_generated_and_mutated_envelopes(event_type: str) -> None:
    verdicts = {"accepted": 0, "refused": 0}

    @AGREEMENT
    @given(document=envelopes(event_type), data=st.data())
    def agree(document: dict[str, Any], data: st.DataObject) -> None:
        assert schema_says(event_type, document), document
        assert consumer_says(event_type, document), document
        changed = data.draw(mutated(document), label="mutated")
        verdict = consumer_says(event_type, changed)
        assert schema_says(event_type, changed) == verdict, changed
        verdicts["accepted" if verdict else "refused"] += 1

    agree()
    assert sum(verdicts.values()) >= 1000, verdicts  # examples per type
    assert min(verdicts.values()) > 50, verdicts  # the mutations exercise both answers
