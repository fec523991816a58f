"""Prometheus metrics of the monitor, in a registry of its own (one per monitor instance)."""

from prometheus_client import CollectorRegistry, Counter, Gauge


class MonitorMetrics:
    """Gauges for every depth read; counters for notices sent and sink failures."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        labels = ["consumer", "queue"]
        self.dlq_depth = Gauge(
            "fanout_dlq_depth",
            "Messages in the DLQ (visible + in flight + delayed).",
            labels,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "fanout_queue_depth", "Messages in the consumer's source queue.", labels, registry=self.registry
        )
        self.dlq_oldest_age = Gauge(
            "fanout_dlq_oldest_message_age_seconds",
            "Age of the oldest DLQ message seen in a peek (0 when empty).",
            labels,
            registry=self.registry,
        )
        self.alert_firing = Gauge(
            "fanout_dlq_alert_firing",
            "1 while the DLQ's alert is firing.",
            ["consumer"],
            registry=self.registry,
        )
        self.notices = Counter(
            "fanout_monitor_notices",
            "Alert notices delivered, by sink and kind.",
            ["sink", "kind"],
            registry=self.registry,
        )
        self.sink_retries = Counter(
            "fanout_monitor_sink_retries",
            "Failed delivery attempts that were retried.",
            ["sink"],
            registry=self.registry,
        )
        self.sink_failures = Counter(
            "fanout_monitor_sink_failures",
            "Notices a sink failed to deliver after every retry.",
            ["sink"],
            registry=self.registry,
        )
        self.check_errors = Counter(
            "fanout_monitor_check_errors",
            "Checks that failed (endpoint unreachable...).",
            registry=self.registry,
        )
        self.last_check = Gauge(
            "fanout_monitor_last_check_timestamp_seconds",
            "When the last successful check ended.",
            registry=self.registry,
        )
