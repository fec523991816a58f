"""Prometheus metrics of one relay, in a registry of its own."""

import time

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
        # Aged at scrape time from the last status: a relay stuck between refreshes (a hung
        # database, a long backoff) shows a growing age, not the one it last saw.
        self._oldest_pending_since: float | None = None
        self.oldest_pending_age.set_function(self._oldest_age)
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
        """Take a fresh status of the outbox."""
        self.pending.set(status.pending)
        since = time.monotonic() - status.oldest_pending_age_s
        self._oldest_pending_since = since if status.pending else None

    def _oldest_age(self) -> float:
        since = self._oldest_pending_since
        return 0.0 if since is None else time.monotonic() - since
