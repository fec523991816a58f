"""The endpoint's ceiling: the plainest boto3 loop that drains a queue (receive 10, delete 10).

It asks for the same attributes the runtime asks for, so both move the same bytes.
"""

import time

from fanout.aws import sync_client
from fanout.bench.window import Window, WindowResult, WorkerTimeout

BATCH = 10


def drain(queue_url: str, window: Window, wait_time_s: int, timeout_s: float) -> WindowResult:
    """Receive and delete in a loop until the window is complete."""
    sqs = sync_client("sqs")
    deadline = time.monotonic() + timeout_s
    while not window.done:
        if time.monotonic() > deadline:
            raise WorkerTimeout(f"raw loop: window incomplete after {timeout_s:.0f} s")
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=BATCH,
            WaitTimeSeconds=wait_time_s,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        window.received()
        messages = response.get("Messages", [])
        if messages:
            sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages)
                ],
            )
            window.add(len(messages))
    return window.result()
