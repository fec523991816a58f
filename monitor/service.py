"""The monitor: every interval, read each DLQ, run its alert lifecycle, deliver notices, export metrics."""

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from fanout.errors import ConfigurationError
from monitor.alerts import Alert, AlertKind, ReasonSample
from monitor.dlq.queues import DeadLetterQueue
from monitor.lifecycle import advance, next_notice
from monitor.metrics import MonitorMetrics
from monitor.reading import DlqReading, read_dlq
from monitor.rules import breach
from monitor.settings import MonitorSettings, QueueThresholds
from monitor.sinks import Sink
from monitor.sinks.delivery import RetryPolicy, deliver
from monitor.state import AlertStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = structlog.get_logger("fanout.monitor")

Clock = Callable[[], datetime]
HEALTHY_CHECK_INTERVALS = 3  # /healthz fails after this many intervals without a successful check


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class QueueStatus:
    """The outcome of one check of one DLQ."""

    reading: DlqReading
    thresholds: QueueThresholds
    trigger: str | None
    firing: bool
    notice: AlertKind | None

    @property
    def over_threshold(self) -> bool:
        return self.trigger is not None


class Monitor:
    """Checks the DLQs of the given consumers; state in `store`, notices to `sinks`."""

    def __init__(
        self,
        settings: MonitorSettings,
        queues: list[DeadLetterQueue],
        sqs: "SQSClient",
        store: AlertStore,
        sinks: list[Sink],
        metrics: MonitorMetrics | None = None,
        clock: Clock = utc_now,
    ) -> None:
        unknown = set(settings.thresholds) - {queue.consumer for queue in queues}
        if unknown:
            known = ", ".join(queue.consumer for queue in queues)
            raise ConfigurationError(f"thresholds for unknown consumer(s) {sorted(unknown)} (known: {known})")
        self.settings = settings
        self.metrics = metrics or MonitorMetrics()
        self._queues = queues
        self._sqs = sqs
        self._store = store
        self._sinks = sinks
        self._clock = clock
        self._retry = RetryPolicy.from_settings(settings)
        self._last_success: float | None = None
        self.latest: list[QueueStatus] = []
        """The statuses of the last successful check (for dashboards)."""

    @property
    def dlq_names(self) -> list[str]:
        return [queue.dlq.name for queue in self._queues]

    async def check(self) -> list[QueueStatus]:
        """One pass over every DLQ."""
        now = self._clock()
        readings = await asyncio.gather(
            *(asyncio.to_thread(read_dlq, self._sqs, queue, now) for queue in self._queues)
        )
        statuses = await asyncio.gather(*(self._evaluate(reading, now) for reading in readings))
        self.metrics.last_check.set_to_current_time()
        self._last_success = time.monotonic()
        self.latest = list(statuses)
        return self.latest

    async def _evaluate(self, reading: DlqReading, now: datetime) -> QueueStatus:
        queue = reading.queue
        thresholds = self.settings.thresholds_for(queue.consumer)
        state = await self._store.load(queue.dlq.name)
        trigger = breach(thresholds, reading.depth, state.last_depth)
        notice = next_notice(state, reading.depth, trigger, now, timedelta(seconds=self.settings.renotify_s))
        if notice is not None:
            alert = self._alert(notice, reading, thresholds, trigger, now)
            await deliver(alert, self._sinks, self._retry, self.metrics)
        state = advance(state, notice, reading.depth, now)
        await self._store.save(state)
        self._export(reading, state.firing)
        return QueueStatus(reading, thresholds, trigger, state.firing, notice)

    def _alert(
        self,
        kind: AlertKind,
        reading: DlqReading,
        thresholds: QueueThresholds,
        trigger: str | None,
        now: datetime,
    ) -> Alert:
        queue = reading.queue
        return Alert(
            kind=kind,
            consumer=queue.consumer,
            dlq=queue.dlq.name,
            source_queue=queue.source.name,
            depth=reading.depth,
            source_depth=reading.source_depth,
            threshold=thresholds.depth,
            trigger=trigger or ("drained" if kind is AlertKind.RESOLVED else "still holds messages"),
            oldest_age_s=reading.oldest.seconds if reading.oldest else None,
            oldest_age_exact=reading.oldest.exact if reading.oldest else True,
            recent_reasons=[ReasonSample.of(letter) for letter in reading.recent(self.settings.sample_size)],
            inspect_command=queue.command("show"),
            redrive_command=queue.command("redrive"),
            at=now,
        )

    def _export(self, reading: DlqReading, firing: bool) -> None:
        queue = reading.queue
        self.metrics.dlq_depth.labels(queue.consumer, queue.dlq.name).set(reading.depth)
        self.metrics.queue_depth.labels(queue.consumer, queue.source.name).set(reading.source_depth)
        age = reading.oldest.seconds if reading.oldest else 0.0
        self.metrics.dlq_oldest_age.labels(queue.consumer, queue.dlq.name).set(age)
        self.metrics.alert_firing.labels(queue.consumer).set(1 if firing else 0)

    async def run(self, stop: asyncio.Event) -> None:
        """Check every interval until `stop` is set; a failed check is logged and counted, not fatal."""
        while not stop.is_set():
            try:
                await self.check()
            except Exception as error:  # endpoint down, throttled...: try again next interval
                self.metrics.check_errors.inc()
                log.error("check_failed", error=repr(error))
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.interval_s)

    def healthy(self) -> bool:
        """True while checks succeed (a recent one within a few intervals)."""
        if self._last_success is None:
            return False
        return time.monotonic() - self._last_success <= HEALTHY_CHECK_INTERVALS * self.settings.interval_s
