"""Deliver one notice to one sink: a few quick attempts within a check, then leave it to the next check.

A sink failure never reaches the caller: it is counted (`fanout_monitor_sink_failures_total`) and
logged as one line with the sink's safe name and a safe error text; the caller keeps the sink
un-notified so the next check tries again.
"""

import asyncio
from dataclasses import dataclass

import structlog

from consumers.runtime.backoff import Backoff, Exponential, Jitter
from monitor.alerts import Alert
from monitor.metrics import MonitorMetrics
from monitor.settings import MonitorSettings
from monitor.sinks.base import Sink, safe_error

log = structlog.get_logger("fanout.monitor")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try each sink within one check."""

    attempts: int
    backoff: Backoff
    timeout_s: float

    @classmethod
    def from_settings(cls, settings: MonitorSettings) -> "RetryPolicy":
        backoff = Exponential(initial_s=settings.sink_backoff_s, factor=2.0, cap_s=30.0, jitter=Jitter.EQUAL)
        return cls(settings.sink_attempts, backoff, settings.sink_timeout_s)


async def deliver(sink: Sink, alert: Alert, policy: RetryPolicy, metrics: MonitorMetrics) -> bool:
    """True once the sink accepted the alert; False after every attempt of this check failed."""
    error = ""
    for attempt in range(1, policy.attempts + 1):
        try:
            async with asyncio.timeout(policy.timeout_s):
                await sink.send(alert)
        except Exception as failure:  # any sink failure: retry, and never let it stop the monitor
            error = safe_error(failure)
            if attempt < policy.attempts:
                metrics.sink_retries.labels(sink.name).inc()
                await asyncio.sleep(policy.backoff.delay_s(attempt))
        else:
            metrics.notices.labels(sink.name, alert.kind.value).inc()
            return True
    metrics.sink_failures.labels(sink.name).inc()
    log.error(
        "sink_failed",
        sink=sink.name,
        queue=alert.dlq,
        kind=alert.kind.value,
        attempts=policy.attempts,
        error=error,
        next="retried on the next check",
    )
    return False
