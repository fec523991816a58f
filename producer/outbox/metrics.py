"""Prometheus metrics of one relay, in a registry of its own."""

from prometheus_client import CollectorRegistry, Counter, Gauge

from producer.outbox.store import OutboxStatus


class RelayMetrics:
    """Pending rows and the oldest one's age (alarm on it), events published, publish failures."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.pending = Gauge(
            "fanout_outbox_pending", "Outbox rows not yet published.", registry=self.registry
        )
        self.oldest_pending_age = Gauge(
            "fanout_outbox_oldest_pending_age_seconds",
            "Age of the oldest unpublished outbox row (0 when none).",
            registry=self.registry,
        )
        self.published = Counter(
            "fanout_outbox_published", "Outbox rows published by this relay.", registry=self.registry
        )
        self.failures = Counter(
            "fanout_outbox_publish_failures", "Publish attempts of a row that failed.", registry=self.registry
        )
        self.database_errors = Counter(
            "fanout_outbox_database_errors", "Rounds that failed on a database error.", registry=self.registry
        )

    def observe(self, status: OutboxStatus) -> None:
        self.pending.set(status.pending)
        self.oldest_pending_age.set(status.oldest_pending_age_s)
