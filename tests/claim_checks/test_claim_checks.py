"""Claim checks: both Amazon pointer formats, the bucket allow-list, the size cap (memory stays
bounded for a 200 MiB object), and dead letters too large for SQS offloaded to the payload bucket."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from consumers.runtime.consumer import Consumer
from consumers.runtime.context import HandlerContext
from consumers.runtime.dead_letter import MAX_MESSAGE_BYTES
from consumers.runtime.errors import PermanentError
from consumers.runtime.service import Service, handles
from consumers.runtime.settings import ConsumerSettings
from fanout.aws import sync_client
from fanout.contract import CloudEvent, OrderItem, OrderPlaced, new_event
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.payloads import (
    LEGACY_PAYLOAD_SIZE_ATTRIBUTE,
    LEGACY_POINTER_CLASS,
    PAYLOAD_SIZE_ATTRIBUTE,
    PayloadPointer,
)
from fanout.contract.wire import message_attributes, message_size
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology

BUCKET = "test-fanout-payloads"
OTHER_TEAM = "other-team-payloads"
PROCESS = Path(__file__).parent / "claim_check_process.py"
MIB = 1024 * 1024
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class Recorder(Service):
    name = "analytics"

    def __init__(self, failing: bool = False) -> None:
        self.seen: list[CloudEvent[OrderPlaced]] = []
        self.failing = failing

    @handles(OrderPlaced)
    async def keep(self, event: CloudEvent[OrderPlaced], context: HandlerContext) -> None:
        if self.failing:
            raise PermanentError("told to fail")
        self.seen.append(event)


def order(sku: str = "S") -> CloudEvent[OrderPlaced]:
    return new_event(
        OrderPlaced(
            order_id="o-1",
            customer_id="c-1",
            customer_email="ada@example.com",
            items=[OrderItem(sku=sku, quantity=1, unit_price=Decimal("2.50"))],
            total=Decimal("2.50"),
            currency="EUR",
            placed_at=NOW,
        )
    )


@pytest.fixture
def buckets(fanout_topology: AppliedTopology) -> AppliedTopology:
    s3 = sync_client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.create_bucket(Bucket=OTHER_TEAM)
    return fanout_topology


def settings(**overrides: Any) -> ConsumerSettings:
    values: dict[str, Any] = {
        "wait_time_s": 1,
        "health_port": 0,
        "retry_strategy": "fixed",
        "retry_initial_s": 0,
        "payload_bucket": BUCKET,
    }
    return ConsumerSettings(**(values | overrides))


def offload(topology: AppliedTopology, event: CloudEvent[Any], bucket: str, *, legacy: bool = False) -> None:
    """Store an event in S3 and send the pointer, as an Amazon extended client would."""
    body = event.model_dump_json()
    pointer = PayloadPointer.for_event(bucket, event.id)
    sync_client("s3").put_object(Bucket=bucket, Key=pointer.key, Body=body.encode())
    attributes: dict[str, Any] = message_attributes(event)
    size_name = LEGACY_PAYLOAD_SIZE_ATTRIBUTE if legacy else PAYLOAD_SIZE_ATTRIBUTE
    attributes[size_name] = {"DataType": "Number", "StringValue": str(len(body))}
    message = json.loads(pointer.body())
    if legacy:
        message[0] = LEGACY_POINTER_CLASS
    sync_client("sqs").send_message(
        QueueUrl=topology.queue_url("analytics"),
        MessageBody=json.dumps(message),
        MessageAttributes=attributes,
    )


def dead_letters(topology: AppliedTopology) -> list[dict[str, Any]]:
    response = sync_client("sqs").receive_message(
        QueueUrl=topology.dlq_url("analytics"), MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )
    return list(response.get("Messages", []))


async def run_until(
    topology: AppliedTopology,
    service: Service,
    outcome: str,
    consumer_settings: ConsumerSettings | None = None,
) -> Any:
    spy = HandlerSpy()
    queue, dlq = topology.queue_url("analytics"), topology.dlq_url("analytics")
    async with Consumer(service, queue, dlq, consumer_settings or settings(), [spy]).running():
        return await spy.wait_for(outcome=outcome, timeout=15)


async def test_the_legacy_pointer_format_is_followed(buckets: AppliedTopology) -> None:
    event = order()
    offload(buckets, event, BUCKET, legacy=True)
    service = Recorder()
    await run_until(buckets, service, "handled")
    assert service.seen == [event]


async def test_a_pointer_into_another_bucket_is_refused(buckets: AppliedTopology) -> None:
    """A valid event in another team's bucket is never read, let alone applied."""
    event = order()
    offload(buckets, event, OTHER_TEAM)
    service = Recorder()
    record = await run_until(buckets, service, "dead_lettered")
    assert record.context.attempt == 1 and service.seen == []
    [letter] = dead_letters(buckets)
    attributes = letter["MessageAttributes"]
    assert attributes[DeadLetterAttribute.REASON]["StringValue"] == "payload_forbidden"


async def test_further_buckets_can_be_allowed(buckets: AppliedTopology) -> None:
    event = order()
    offload(buckets, event, OTHER_TEAM)
    service = Recorder()
    await run_until(buckets, service, "handled", settings(payload_buckets=[OTHER_TEAM]))
    assert service.seen == [event]


async def test_a_payload_over_the_cap_is_dead_lettered_as_too_large(buckets: AppliedTopology) -> None:
    event = order(sku="X" * 200)
    offload(buckets, event, BUCKET)
    service = Recorder()
    record = await run_until(buckets, service, "dead_lettered", settings(payload_max_bytes=256))
    assert record.context.attempt == 1 and service.seen == []
    [letter] = dead_letters(buckets)
    assert letter["MessageAttributes"][DeadLetterAttribute.REASON]["StringValue"] == "payload_too_large"


def put_large_object(bucket: str, key: str, size: int) -> None:
    """A `size`-byte object made server-side: one 5 MiB part uploaded, copied into every part."""
    s3, part = sync_client("s3"), 5 * MIB
    s3.put_object(Bucket=bucket, Key="seed", Body=b" " * part)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = []
    for number in range(1, size // part + 1):
        copied = s3.upload_part_copy(
            Bucket=bucket,
            Key=key,
            UploadId=upload,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": "seed"},
        )
        parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    s3.delete_object(Bucket=bucket, Key="seed")


@pytest.mark.timeout(120)
def test_a_200_mib_pointed_to_object_leaves_the_consumer_under_150_mib(buckets: AppliedTopology) -> None:
    pointer = PayloadPointer(BUCKET, "fanout/huge.json")
    put_large_object(BUCKET, pointer.key, 200 * MIB)
    assert sync_client("s3").head_object(Bucket=BUCKET, Key=pointer.key)["ContentLength"] == 200 * MIB
    attributes = {PAYLOAD_SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": str(200 * MIB)}}
    sync_client("sqs").send_message(
        QueueUrl=buckets.queue_url("analytics"), MessageBody=pointer.body(), MessageAttributes=attributes
    )
    environment = {
        **os.environ,
        "FANOUT_PAYLOAD_BUCKET": BUCKET,
        "FANOUT_CONSUMER_WAIT_TIME_S": "1",
        "FANOUT_CONSUMER_HEALTH_PORT": "0",
        "FANOUT_CONSUMER_LOG_LEVEL": "WARNING",
    }
    child = subprocess.run(
        [sys.executable, str(PROCESS), buckets.queue_url("analytics"), buckets.dlq_url("analytics")],
        env=environment,
        capture_output=True,
        timeout=90,
        check=True,
    )
    report = json.loads(child.stdout.decode().strip().splitlines()[-1])
    assert (report["outcome"], report["attempt"]) == ("dead_lettered", 1)
    assert report["max_rss_mib"] < 150, report
    [letter] = dead_letters(buckets)
    assert letter["MessageAttributes"][DeadLetterAttribute.REASON]["StringValue"] == "payload_too_large"


async def test_a_dead_letter_too_large_for_sqs_goes_through_the_payload_bucket_and_back(
    buckets: AppliedTopology,
) -> None:
    """A body within SQS's limit, which its dead-letter record would push over: the DLQ gets a
    claim check; a redrive replays the pointer and the consumer reads the original from S3."""
    event = order()
    attributes = message_attributes(event)
    document = json.loads(event.model_dump_json()) | {"pad": ""}
    room = MAX_MESSAGE_BYTES - 100 - message_size(json.dumps(document), attributes)
    document["pad"] = "€" * (room // 3)  # an unknown extension, three UTF-8 bytes a character
    body = json.dumps(document, ensure_ascii=False)
    assert MAX_MESSAGE_BYTES - 110 < message_size(body, attributes) <= MAX_MESSAGE_BYTES - 100
    sync_client("sqs").send_message(
        QueueUrl=buckets.queue_url("analytics"),
        MessageBody=body,
        MessageAttributes=attributes,  # type: ignore[arg-type]
    )
    await run_until(buckets, Recorder(failing=True), "dead_lettered")
    [letter] = dead_letters(buckets)
    pointer = PayloadPointer.parse(json.loads(letter["Body"]))
    assert pointer is not None and pointer.bucket == BUCKET
    stored = sync_client("s3").get_object(Bucket=pointer.bucket, Key=pointer.key)["Body"].read()
    assert stored == body.encode()
    attributes_kept = letter["MessageAttributes"]
    assert attributes_kept[PAYLOAD_SIZE_ATTRIBUTE]["StringValue"] == str(len(body.encode()))
    assert attributes_kept["event_type"]["StringValue"] == "order.placed"
    assert attributes_kept[DeadLetterAttribute.REASON]["StringValue"] == "permanent_failure"

    await asyncio.sleep(1.5)  # the stopped consumer's last long poll (1 s) must not take the redrive
    sync_client("sqs").send_message(  # what a redrive sends back
        QueueUrl=buckets.queue_url("analytics"),
        MessageBody=letter["Body"],
        MessageAttributes={
            name: value for name, value in attributes_kept.items() if not name.startswith("fanout_dlq_")
        },
    )
    service = Recorder()
    await run_until(buckets, service, "handled")
    [handled] = service.seen
    assert handled.id == event.id and handled.extensions["pad"] == document["pad"]
