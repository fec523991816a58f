"""Dead-lettering end to end at SQS's size limit, with a body whose bytes outnumber its characters."""

import pytest
from runtime_helpers import MakeQueue, OrdersRecorder, attribute, fast_settings, receive_all, wait_for_depth

from consumers.runtime.consumer import Consumer
from consumers.runtime.dead_letter import MAX_MESSAGE_BYTES
from fanout.aws import sync_client
from fanout.contract.deadletter import DeadLetterAttribute
from fanout.contract.wire import message_size

ORIGINAL_ATTRIBUTES = {
    "event_type": {"DataType": "String", "StringValue": "order.placed"},
    "correlation_id": {"DataType": "String", "StringValue": "c-" + "7" * 60},
}


@pytest.mark.conformance
async def test_a_multi_byte_body_near_the_limit_is_dead_lettered_whole_with_its_reason(
    make_queue: MakeQueue,
) -> None:
    # 3-byte characters: ~349,000 characters but ~1 MiB of UTF-8, and not JSON (so: malformed).
    room = 100  # bytes left after body and original attributes: less than the runtime's record needs
    filler = MAX_MESSAGE_BYTES - room - message_size("", ORIGINAL_ATTRIBUTES)
    body = "€" * (filler // 3) + "x" * (filler % 3)
    assert len(body) < MAX_MESSAGE_BYTES // 2 < len(body.encode())
    queue = make_queue(max_receive_count=5)
    sync_client("sqs").send_message(
        QueueUrl=queue.url,
        MessageBody=body,
        MessageAttributes=ORIGINAL_ATTRIBUTES,  # type: ignore[arg-type]
    )

    async with Consumer(OrdersRecorder(), queue.url, queue.dlq_url, fast_settings()).running():
        await wait_for_depth(queue.dlq_url, lambda d: d.visible == 1, what="the dead letter")
        await wait_for_depth(queue.url, lambda d: d.total == 0, what="the source queue empty")

    [dead] = receive_all(queue.dlq_url)
    assert dead["Body"] == body  # byte for byte
    assert attribute(dead, DeadLetterAttribute.REASON) == "malformed"
    assert attribute(dead, DeadLetterAttribute.RECEIVE_COUNT) == "1"
    kept = {name: value for name, value in dead["MessageAttributes"].items()}
    assert message_size(dead["Body"], kept) <= MAX_MESSAGE_BYTES
    assert not kept.keys() & ORIGINAL_ATTRIBUTES.keys()  # the originals made room for the record
