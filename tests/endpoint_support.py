"""Helpers for tests that run on any AWS-protocol endpoint (moto, LocalStack, AWS itself).

SNS delivers to SQS asynchronously on AWS and LocalStack (moto happens to deliver before Publish
returns), so a test that publishes and then reads a queue must wait for what it expects.
"""

import time
from typing import Any

from fanout.aws import sync_client


def receive_at_least(
    queue_url: str, count: int, timeout_s: float = 10.0, hold_s: int = 60, **options: Any
) -> list[dict[str, Any]]:
    """Receive until `count` messages arrived or `timeout_s` passed (each kept invisible `hold_s`)."""
    sqs = sync_client("sqs")
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(received) < count and time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, max(1, count - len(received))),
            WaitTimeSeconds=1,
            VisibilityTimeout=hold_s,
            **options,
        ).get("Messages", [])
        received += [dict(message) for message in batch]
    return received


def wait_until_visible(queue_url: str, count: int, timeout_s: float = 10.0) -> None:
    """Until `count` messages are visible in the queue (SNS delivers asynchronously on AWS and
    LocalStack). On a FIFO queue, receive only then: a group with a message in flight hides its
    later messages, so one that arrives after the first receive would never be received."""
    sqs = sync_client("sqs")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )
        if int(attributes["Attributes"]["ApproximateNumberOfMessages"]) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} messages visible in {queue_url} after {timeout_s} s")


def move_tasks_supported(dlq_arn: str) -> bool:
    """Whether the endpoint has StartMessageMoveTask and ListMessageMoveTasks (AWS, LocalStack; not moto)."""
    from botocore.exceptions import ClientError

    from monitor.dlq.redrive import UNSUPPORTED_CODES, single_attempt_sqs

    try:
        single_attempt_sqs().list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in UNSUPPORTED_CODES:
            return False
        raise
    return True
