"""The raw aiobotocore ceiling: receive and delete overlapped, as the runtime overlaps them.

One loop receives 10 at a time with the attributes the runtime asks for; each batch's
DeleteMessageBatch goes out as a task while the next receive is already in flight (one delete
in flight at a time). No decoding, no validation, no observers: the least a stock aiobotocore
client (same settings as the runtime's, none of fanout's client tuning) can do to drain a queue.
"""

import asyncio
import time

from aiobotocore.session import get_session

from fanout.aws import aws_settings
from fanout.bench.window import Window, WindowResult, WorkerTimeout

BATCH = 10


async def drain_pipelined(queue_url: str, window: Window, wait_time_s: int, timeout_s: float) -> WindowResult:
    """Receive, and delete the previous batch concurrently, until the window is complete."""
    deadline = time.monotonic() + timeout_s
    async with get_session().create_client("sqs", **aws_settings().client_kwargs()) as sqs:

        async def delete(handles: list[str]) -> None:
            await sqs.delete_message_batch(
                QueueUrl=queue_url,
                Entries=[{"Id": str(index), "ReceiptHandle": handle} for index, handle in enumerate(handles)],
            )
            window.add(len(handles))

        deleting: asyncio.Task[None] | None = None
        while not window.done:
            if time.monotonic() > deadline:
                raise WorkerTimeout(f"pipelined loop: window incomplete after {timeout_s:.0f} s")
            response = await sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=BATCH,
                WaitTimeSeconds=wait_time_s,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            window.received()
            messages = response.get("Messages", [])
            if deleting is not None:
                await deleting
                deleting = None
            if messages:
                deleting = asyncio.create_task(delete([message["ReceiptHandle"] for message in messages]))
        if deleting is not None:
            await deleting
    return window.result()
