"""The per-call shortcuts fanout takes with botocore change nothing on the wire.

Each shortcut is checked against the library code it stands in for: botocore's User-Agent builder,
botocore's query-protocol serializer, and urllib's urlencode (what botocore sends as a query-protocol
body).
"""

from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.model import OperationModel, Shape
from botocore.serialize import QuerySerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from fanout.aws import async_client, sync_client
from fanout.client_tuning import form_encode
from fanout.query_serializer import PlannedQuerySerializer
from producer.demo import demo_events
from producer.options import PublishOptions
from producer.run import PublishRun

# SNS (ours), and query services whose models use what SNS does not: flattened and renamed list
# members (sdb, rds), members renamed on the wire (sdb, autoscaling), maps with renamed keys and
# values (ses, cloudformation), booleans and timestamps (iam, rds)
QUERY_SERVICES = ("sns", "sdb", "rds", "ses", "cloudformation", "iam", "autoscaling")
MAX_DEPTH = 4  # recursive shapes stop here


@cache
def operations() -> list[OperationModel]:
    session = botocore.session.get_session()
    found = []
    for service in QUERY_SERVICES:
        model = session.get_service_model(service)
        assert model.protocol == "query"
        found += [model.operation_model(name) for name in model.operation_names]
    return [operation for operation in found if operation.input_shape is not None]


def values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Any value botocore would accept for `shape` (a bounded depth of nesting)."""
    kind = shape.type_name
    if kind == "structure":
        if depth >= MAX_DEPTH:
            return st.just({})
        members = shape.members  # type: ignore[attr-defined]
        return st.fixed_dictionaries(
            {}, optional={key: values(member, depth + 1) for key, member in members.items()}
        )
    if kind == "list":
        return st.lists(values(shape.member, depth + 1), max_size=3)  # type: ignore[attr-defined]
    if kind == "map":
        key, value = shape.key, shape.value  # type: ignore[attr-defined]
        return st.dictionaries(values(key, depth + 1), values(value, depth + 1), max_size=3)
    scalars: dict[str, st.SearchStrategy[Any]] = {
        "boolean": st.booleans(),
        "integer": st.integers(-(2**31), 2**31 - 1),
        "long": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(allow_nan=False, allow_infinity=False),
        "double": st.floats(allow_nan=False, allow_infinity=False),
        "timestamp": st.datetimes(timezones=st.just(UTC)),
        "blob": st.binary(max_size=8),
    }
    return scalars.get(kind, st.text(max_size=8))


def every_member(shape: Shape, depth: int = 0) -> Any:
    """A value for `shape` with every member present and two of every element (bounded depth)."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members  # type: ignore[attr-defined]
        return (
            {}
            if depth >= MAX_DEPTH
            else {key: every_member(member, depth + 1) for key, member in members.items()}
        )
    if kind == "list":
        return [every_member(shape.member, depth + 1) for _ in range(2)]  # type: ignore[attr-defined]
    if kind == "map":
        key, value = shape.key, shape.value  # type: ignore[attr-defined]
        return {
            f"{every_member(key, depth + 1)}{index}": every_member(value, depth + 1) for index in range(2)
        }
    scalars = {"boolean": True, "integer": 7, "long": 2**40, "float": 1.5, "double": 2.5, "blob": b"\x00b"}
    scalars["timestamp"] = datetime(2026, 12, 7, 3, 4, 5, 600000, tzinfo=UTC)
    return scalars.get(kind, "text with spaces & symbols")


def test_every_operation_with_every_member_is_serialized_as_botocore_does() -> None:
    planned = PlannedQuerySerializer("default")
    for operation in operations():
        assert operation.input_shape is not None
        params = every_member(operation.input_shape)
        expected = QuerySerializer().serialize_to_request(params, operation)
        assert planned.serialize_to_request(params, operation) == expected, operation.name


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_planned_query_serializer_sends_what_botocore_sends(data: st.DataObject) -> None:
    operation = data.draw(st.sampled_from(operations()), label="operation")
    assert operation.input_shape is not None
    params = data.draw(values(operation.input_shape), label="params")
    expected = QuerySerializer().serialize_to_request(params, operation)
    assert PlannedQuerySerializer("default").serialize_to_request(params, operation) == expected


def test_a_publish_batch_is_serialized_as_botocore_does() -> None:
    run = PublishRun(
        demo_events(10, seed=3), topic_arn="arn:aws:sns:us-east-1:1:orders", options=PublishOptions()
    )
    batch = run.next_batch()
    assert batch is not None
    operation = botocore.session.get_session().get_service_model("sns").operation_model("PublishBatch")
    planned = PlannedQuerySerializer("default")
    for _ in range(2):  # planned on the first call, from the plans on the second
        serialized = planned.serialize_to_request(batch.request, operation)
        assert serialized == QuerySerializer().serialize_to_request(batch.request, operation)
    assert len(serialized["body"]) > 10 * 10  # every entry's body, attributes and id


@pytest.mark.parametrize("validate", [True, False])
async def test_sns_clients_serialize_with_plans(fanout_endpoint: str, validate: bool) -> None:
    def planned(client: Any) -> bool:
        serializer = getattr(client._serializer, "_serializer", client._serializer)
        return isinstance(serializer, PlannedQuerySerializer)

    assert planned(sync_client("sns"))
    async with async_client("sns", validate_parameters=validate) as sns:
        assert planned(sns)
        assert (await sns.list_topics())["Topics"] is not None  # a real call through the plans
    assert not planned(sync_client("sqs"))  # JSON protocol: botocore's own serializer


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=80), min_size=1, max_size=8))
def test_form_body_is_what_urlencode_sends(params: dict[str, str]) -> None:
    expected = urlencode([(key.encode(), value.encode()) for key, value in params.items()], doseq=True)
    assert form_encode(params) == expected


def test_cached_user_agent_is_the_one_botocore_builds(fanout_endpoint: str) -> None:
    from botocore.useragent import UserAgentString

    sqs = sync_client("sqs")
    creator = sqs._user_agent_creator  # type: ignore[attr-defined]
    built = UserAgentString.to_string(creator)  # the class's own method, bypassing the cache
    assert creator.to_string() == built
    assert creator.to_string() == built  # served from the cache the second time
    sqs.list_queues()  # a real call through the cached header works


def test_form_body_with_many_distinct_escaped_bytes_is_what_urlencode_sends() -> None:
    # past the threshold of per-byte replaces the encoder switches to one translate
    params = {"Message": "".join(chr(code) for code in range(0x20, 0x800, 7)) + " +%", "Id": "a b+c"}
    expected = urlencode([(key.encode(), value.encode()) for key, value in params.items()], doseq=True)
    assert form_encode(params) == expected
