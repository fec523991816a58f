"""The relay's gauges: the oldest pending row ages at scrape time, between two refreshes."""

import time

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from producer.outbox.metrics import RelayMetrics
from producer.outbox.store import OutboxStatus

AGE = "fanout_outbox_oldest_pending_age_seconds"


def scraped(metrics: RelayMetrics, name: str) -> float:
    for family in text_string_to_metric_families(generate_latest(metrics.registry).decode()):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise AssertionError(f"{name} not exposed")


def test_a_relay_stuck_between_refreshes_shows_a_growing_age() -> None:
    metrics = RelayMetrics()
    assert scraped(metrics, AGE) == 0  # nothing observed: nothing pending
    metrics.observe(OutboxStatus(pending=3, oldest_pending_age_s=60.0, failing=0, published=0))
    time.sleep(0.05)  # no refresh since: a stuck relay
    assert scraped(metrics, AGE) >= 60.05
    assert scraped(metrics, "fanout_outbox_pending") == 3
    metrics.observe(OutboxStatus(pending=0, oldest_pending_age_s=0.0, failing=0, published=3))
    assert scraped(metrics, AGE) == 0
