"""fanout: typed domain events fanned out over SNS to per-consumer SQS queues.

This package holds what producer, consumers and monitor share: the event contract,
the topology, AWS client wiring, the CLI and the local development harness.
"""
