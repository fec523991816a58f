"""Rates, quantiles and utilisation from the consumer runtime's own /metrics output."""

import uuid
from collections import deque

import pytest
from prometheus_client import REGISTRY, generate_latest

from consumers.runtime.metrics import HANDLER_DURATION, IN_FLIGHT, MESSAGES
from fanout.dashboard.metrics import parse_samples, quantile, summarize


def scrape() -> str:
    return generate_latest(REGISTRY).decode()


def observe(consumer: str, outcome: str, count: int, duration_s: float) -> None:
    for _ in range(count):
        MESSAGES.labels(consumer, "order.placed", outcome).inc()
        HANDLER_DURATION.labels(consumer, "order.placed", outcome).observe(duration_s)


def test_rates_per_minute_quantiles_and_utilisation_over_the_window() -> None:
    consumer = f"dash-{uuid.uuid4().hex[:8]}"  # the registry is the process's: a name of our own
    observe(consumer, "handled", 5, 0.02)
    first = parse_samples(scrape(), at=1000.0)[consumer]

    observe(consumer, "handled", 30, 0.02)
    observe(consumer, "handled", 1, 4.0)
    observe(consumer, "retry", 6, 0.02)
    observe(consumer, "dead_lettered", 3, 0.02)
    IN_FLIGHT.labels(consumer).set(4)
    latest = parse_samples(scrape(), at=1030.0)[consumer]

    metrics = summarize(deque([first, latest]), concurrency=10)

    assert metrics.handled_per_min == pytest.approx(31 * 2)
    assert metrics.retried_per_min == pytest.approx(12)
    assert metrics.dead_lettered_per_min == pytest.approx(6)
    assert 0.01 < (metrics.p50_s or 0) <= 0.025  # most took 20 ms: within that bucket
    assert 2.5 < (metrics.p99_s or 0) <= 5  # the one slow message
    busy_s = 39 * 0.02 + 4.0
    assert metrics.utilisation == pytest.approx(busy_s / 30 / 10)
    assert metrics.in_flight == 4
    assert metrics.window_s == 30


def test_a_single_scrape_uses_the_whole_history_and_no_rates() -> None:
    consumer = f"dash-{uuid.uuid4().hex[:8]}"
    observe(consumer, "handled", 10, 0.2)
    IN_FLIGHT.labels(consumer).set(5)
    metrics = summarize(deque([parse_samples(scrape(), at=1.0)[consumer]]), concurrency=10)
    assert metrics.handled_per_min is None
    assert 0.1 < (metrics.p50_s or 0) <= 0.25
    assert metrics.utilisation == 0.5


def test_a_restarted_consumers_counters_count_from_zero() -> None:
    consumer = f"dash-{uuid.uuid4().hex[:8]}"
    observe(consumer, "handled", 50, 0.02)
    before = parse_samples(scrape(), at=0.0)[consumer]
    restarted = parse_samples(scrape(), at=60.0)[consumer]
    restarted.outcomes["handled"] = 6  # the new process counted 6 so far
    assert summarize(deque([before, restarted]), concurrency=10).handled_per_min == pytest.approx(6)


def test_quantile_interpolates_within_a_bucket_like_histogram_quantile() -> None:
    assert quantile(0.5, {0.1: 0, 0.2: 10, float("inf"): 10}) == pytest.approx(0.15)
    assert quantile(0.99, {0.1: 0, 1.0: 0, float("inf"): 3}) == 1.0  # in the open bucket
    assert quantile(0.5, {0.1: 0, float("inf"): 0}) is None
