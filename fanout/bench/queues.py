"""The benchmark's topology on the endpoint, emptying its queues, and ready-made SQS messages."""

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from fanout.aws import sync_client
from fanout.contract.wire import message_attributes
from fanout.topology import AppliedTopology, TopologyClient, declared_topology
from producer.demo import demo_events

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

BENCH_PREFIX = "bench"
THROUGHPUT_CONSUMER = "analytics"  # accepts every order event type
MESSAGE_POOL = 500  # distinct demo events cycled through when filling a queue
BATCH = 10
PURGE_IN_PROGRESS_CODES = frozenset({"AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"})


def purge_queues(sqs: "SQSClient", topology: AppliedTopology) -> None:
    """Empty every queue and DLQ of the topology (moto gets slow when queues are deep)."""
    for url in topology.queue_urls():
        try:
            sqs.purge_queue(QueueUrl=url)
        except ClientError as error:  # SQS allows one purge a minute per queue
            if error.response.get("Error", {}).get("Code") not in PURGE_IN_PROGRESS_CODES:
                raise
            drain_queue(sqs, url)


def drain_queue(sqs: "SQSClient", url: str) -> None:
    """Receive and delete until a receive comes back empty."""
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH).get("Messages", []):
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(messages)
            ],
        )


def apply_bench_topology() -> AppliedTopology:
    """Create (or correct) the `bench` topology on the endpoint and empty its queues."""
    declared = declared_topology(BENCH_PREFIX)
    sqs = sync_client("sqs")
    topology = AppliedTopology(declared, TopologyClient(sync_client("sns"), sqs).apply(declared))
    purge_queues(sqs, topology)
    return topology


def message_entries(seed: int = 7) -> Iterator[list[dict[str, Any]]]:
    """Endless SendMessageBatch entry lists of 10 demo events, as raw SNS delivery would carry them."""
    pool = [
        {"MessageBody": event.model_dump_json(), "MessageAttributes": message_attributes(event)}
        for event in demo_events(MESSAGE_POOL, seed=seed)
    ]
    messages = itertools.cycle(pool)
    while True:
        yield [{"Id": str(index), **next(messages)} for index in range(BATCH)]
