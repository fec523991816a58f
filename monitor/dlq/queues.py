"""Which queues a consumer name stands for: its source queue and its dead-letter queue."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fanout.aws import sync_client
from fanout.topology import Topology, TopologyClient, declared_topology
from fanout.topology.deploy import QueueRef

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True)
class DeadLetterQueue:
    """A consumer's DLQ and the source queue its messages came from (and are redriven to)."""

    consumer: str
    dlq: QueueRef
    source: QueueRef
    env: str

    def command(self, action: str) -> str:
        """The exact `fanout dlq` command line for this queue, e.g. `fanout --env prod dlq show email`."""
        return f"fanout --env {self.env} dlq {action} {self.consumer}"


def dead_letter_queue(
    name: str, sqs: "SQSClient | None" = None, topology: Topology | None = None
) -> DeadLetterQueue:
    """Resolve one consumer's queues; ConfigurationError for an unknown name, TopologyMissing if absent."""
    topology = topology or declared_topology()
    consumer = topology.consumer(name).name
    client = TopologyClient(sync_client("sns"), sqs or sync_client("sqs"))
    return DeadLetterQueue(
        consumer=consumer,
        dlq=client.queue_ref(topology.dlq_name(consumer)),
        source=client.queue_ref(topology.queue_name(consumer)),
        env=topology.prefix,
    )


def dead_letter_queues(
    sqs: "SQSClient | None" = None, topology: Topology | None = None
) -> list[DeadLetterQueue]:
    """Every consumer's DLQ, in declaration order."""
    topology = topology or declared_topology()
    return [dead_letter_queue(consumer.name, sqs, topology) for consumer in topology.consumers]
