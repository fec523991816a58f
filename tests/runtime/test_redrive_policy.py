"""The queue's own redrive policy: SQS moves a message to the DLQ once maxReceiveCount is exceeded."""

import pytest
from endpoint_support import receive_at_least
from runtime_helpers import MakeQueue, send_body

from fanout.aws import sync_client


@pytest.mark.conformance
def test_a_message_received_max_receive_count_times_moves_to_the_dlq_as_it_was(make_queue: MakeQueue) -> None:
    queue = make_queue(max_receive_count=2)
    send_body(queue.url, '{"never": "deleted"}', {"origin": {"DataType": "String", "StringValue": "test"}})
    sqs = sync_client("sqs")

    counts = []
    for _ in range(2):  # received and given back at once, as a crashing consumer would
        [message] = receive_at_least(queue.url, 1, hold_s=0, MessageSystemAttributeNames=["All"])
        counts.append(message["Attributes"]["ApproximateReceiveCount"])
    assert counts == ["1", "2"]

    # The next receive exceeds maxReceiveCount: SQS moves the message instead of returning it.
    assert receive_at_least(queue.url, 1, timeout_s=2) == []
    [dead] = receive_at_least(queue.dlq_url, 1, MessageAttributeNames=["All"])
    assert dead["Body"] == '{"never": "deleted"}'
    assert dead["MessageAttributes"]["origin"]["StringValue"] == "test"
    attributes = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["All"])["Attributes"]
    assert (
        attributes["ApproximateNumberOfMessages"],
        attributes["ApproximateNumberOfMessagesNotVisible"],
    ) == (
        "0",
        "0",
    )
