"""The I/O-free publishing logic: entry sizes, batch planning, FIFO entries, retry decisions, results."""

from typing import Any

import pytest
from conftest import MakeBlob

from fanout.contract.wire import message_attributes
from producer.batching import plan_batches
from producer.entries import OversizedMessage, build_entries, build_entry
from producer.options import PublishOptions, RetryPolicy
from producer.results import BatchResult, PublishFailed, PublishResult
from producer.run import PublishRun

TOPIC = "arn:aws:sns:us-east-1:123456789012:test-orders"


def test_entry_size_counts_utf8_bytes_of_body_and_attribute_names_types_values(make_blob: MakeBlob) -> None:
    event = make_blob(10).model_copy(update={"correlationid": "corr-ünï"})
    entry = build_entry(event, fifo=False)
    assert entry.attributes == message_attributes(event)
    characters = len(entry.message) + sum(
        len(name) + len(value["DataType"]) + len(value["StringValue"])
        for name, value in entry.attributes.items()
    )
    assert entry.size == characters + 4  # ü and ï are 2 bytes each, in the body and in correlation_id


def test_size_limit_is_inclusive_and_checked_before_anything(make_blob: MakeBlob) -> None:
    event = make_blob(1000)
    size = build_entry(event, fifo=False).size
    assert build_entries([event], topic_arn=TOPIC, max_message_bytes=size)
    with pytest.raises(OversizedMessage, match=f"{event.id} \\({size:,} bytes\\)"):
        PublishRun([event], topic_arn=TOPIC, options=PublishOptions(max_message_bytes=size - 1))


def test_batches_respect_count_then_size_and_keep_order() -> None:
    assert [len(b) for b in plan_batches(list(range(23)), lambda _: 1, max_bytes=100)] == [10, 10, 3]
    sizes = [60, 30, 20, 90, 10, 10]
    batches = plan_batches(sizes, lambda size: size, max_bytes=100)
    assert batches == [[60, 30], [20], [90, 10], [10]]
    assert plan_batches([], lambda size: size, max_bytes=100) == []


def test_fifo_entries_group_by_subject_and_deduplicate_by_event_id(make_blob: MakeBlob) -> None:
    event = make_blob(5)
    fifo = build_entries([event], topic_arn=TOPIC + ".fifo", max_message_bytes=1024)[0].request_entry("0")
    assert (fifo["MessageGroupId"], fifo["MessageDeduplicationId"]) == (event.subject, event.id)
    standard = build_entries([event], topic_arn=TOPIC, max_message_bytes=1024)[0].request_entry("0")
    assert "MessageGroupId" not in standard and "MessageDeduplicationId" not in standard


@pytest.mark.parametrize(
    ("failure", "attempts", "retry"),
    [
        ({"Code": "InvalidParameter", "SenderFault": True}, 1, False),
        ({"Code": "InternalError", "SenderFault": False}, 1, True),
        ({"Code": "Throttled"}, 2, True),
        ({"Code": "InternalError", "SenderFault": False}, 3, False),  # attempts exhausted
    ],
)
def test_only_server_faults_are_retried_within_the_attempt_budget(
    failure: dict[str, Any], attempts: int, retry: bool
) -> None:
    assert RetryPolicy(max_attempts=3).should_retry(failure, attempts) is retry


def test_an_entry_missing_from_the_response_is_retried_not_lost(make_blob: MakeBlob) -> None:
    events = [make_blob(5), make_blob(5)]
    run = PublishRun(events, topic_arn=TOPIC, options=PublishOptions(retry=RetryPolicy(max_attempts=2)))
    first = run.next_batch()
    assert first is not None and first.delay_s == 0.0
    run.record(first, {"Successful": [{"Id": "0", "MessageId": "m-0"}], "Failed": []})
    second = run.next_batch()
    assert second is not None and [e["Id"] for e in second.request["PublishBatchRequestEntries"]] == ["0"]
    run.record(second, {"Successful": [{"Id": "0", "MessageId": "m-1"}], "Failed": []})
    assert run.next_batch() is None
    assert run.result().message_ids == {events[0].id: "m-0", events[1].id: "m-1"}
    assert [r.attempts for r in run.result().results] == [1, 2]


def test_raise_for_failures_names_the_failed_events() -> None:
    ok = PublishResult("e-1", "m-1", None, 1)
    bad = PublishResult("e-2", None, "InternalError: boom", 5)
    assert BatchResult((ok,)).raise_for_failures().succeeded == (ok,)
    with pytest.raises(PublishFailed, match=r"^1 of 2 event\(s\) not published: e-2: InternalError: boom$"):
        BatchResult((ok, bad)).raise_for_failures()
