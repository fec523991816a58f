"""The topology: declared once in code, applied to an endpoint, verified against a deployment."""

from fanout.topology.declared import declared_topology
from fanout.topology.deploy import AppliedTopology, DeployedTopology, TopologyClient, TopologyMissing
from fanout.topology.model import ConsumerSpec, QueueSettings, Topology

__all__ = [
    "AppliedTopology",
    "ConsumerSpec",
    "DeployedTopology",
    "QueueSettings",
    "Topology",
    "TopologyClient",
    "TopologyMissing",
    "declared_topology",
]
