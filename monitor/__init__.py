"""The DLQ monitor (its own container) and the DLQ tooling behind `fanout dlq`."""
