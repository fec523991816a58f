"""Fixtures for the runtime tests: fresh queues with a redrive policy on the session's endpoint."""

import json

import pytest
from runtime_helpers import MakeQueue, QueuePair

from fanout.aws import sync_client


@pytest.fixture
def make_queue(fanout_prefix: str) -> MakeQueue:
    """Create a queue and its DLQ (redrive with maxReceiveCount), named under the test's own prefix."""
    return queue_factory(fanout_prefix)


@pytest.fixture
def make_timed_queue(fanout_process_prefix: str) -> MakeQueue:
    """`make_queue` on an endpoint in its own process: for tests that time visibility windows."""
    return queue_factory(fanout_process_prefix)


def queue_factory(fanout_prefix: str) -> MakeQueue:
    sqs = sync_client("sqs")

    def make(name: str = "work", visibility_timeout_s: int = 30, max_receive_count: int = 3) -> QueuePair:
        name = f"{fanout_prefix}-{name}"
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
        url = sqs.create_queue(
            QueueName=name,
            Attributes={"VisibilityTimeout": str(visibility_timeout_s), "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
        return QueuePair(url, dlq_url)

    return make
