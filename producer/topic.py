"""Finding the topic to publish to: the declared topology's topic on the configured endpoint."""

from fanout.aws import sync_client
from fanout.topology import Topology, TopologyClient, declared_topology


def resolve_topic_arn(topology: Topology | None = None) -> str:
    """The ARN of the (declared) topology's topic; TopologyMissing if it is not deployed."""
    client = TopologyClient(sync_client("sns"), sync_client("sqs"))
    return client.topic_arn(topology or declared_topology())
