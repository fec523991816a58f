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
