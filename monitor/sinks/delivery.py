"""Deliver one alert to every sink at once; a failing sink is retried with backoff, then given up.

A sink failure never reaches the caller: it is logged and counted, and the other sinks go on.
"""

import asyncio
from dataclasses import dataclass

import structlog

from consumers.runtime.backoff import Backoff, Exponential, Jitter
from monitor.alerts import Alert
from monitor.metrics import MonitorMetrics
from monitor.settings import MonitorSettings
from monitor.sinks.base import Sink

log = structlog.get_logger("fanout.monitor")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try each sink."""

    attempts: int
    backoff: Backoff
    timeout_s: float

    @classmethod
    def from_settings(cls, settings: MonitorSettings) -> "RetryPolicy":
        backoff = Exponential(initial_s=settings.sink_backoff_s, factor=2.0, cap_s=60.0, jitter=Jitter.EQUAL)
        return cls(settings.sink_attempts, backoff, settings.sink_timeout_s)


async def deliver(alert: Alert, sinks: list[Sink], policy: RetryPolicy, metrics: MonitorMetrics) -> list[str]:
    """Send to all sinks concurrently; returns the names of the sinks that failed for good."""
    delivered = await asyncio.gather(*(_deliver_to(sink, alert, policy, metrics) for sink in sinks))
    return [sink.name for sink, ok in zip(sinks, delivered, strict=True) if not ok]


async def _deliver_to(sink: Sink, alert: Alert, policy: RetryPolicy, metrics: MonitorMetrics) -> bool:
    for attempt in range(1, policy.attempts + 1):
        try:
            async with asyncio.timeout(policy.timeout_s):
                await sink.send(alert)
        except Exception as error:  # any sink failure: retry, and never let it stop the monitor
            if attempt == policy.attempts:
                metrics.sink_failures.labels(sink.name).inc()
                log.error("sink_failed", sink=sink.name, queue=alert.dlq, attempts=attempt, error=repr(error))
                return False
            metrics.sink_retries.labels(sink.name).inc()
            delay = policy.backoff.delay_s(attempt)
            log.warning(
                "sink_retry", sink=sink.name, attempt=attempt, delay_s=round(delay, 2), error=repr(error)
            )
            await asyncio.sleep(delay)
        else:
            metrics.notices.labels(sink.name, alert.kind.value).inc()
            return True
    return False
