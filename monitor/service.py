"""The monitor: every interval, read each DLQ, run its alert lifecycle, deliver notices, export metrics."""

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from fanout.errors import ConfigurationError
from monitor.alerts import Alert, AlertKind, ReasonSample
from monitor.dlq.queues import DeadLetterQueue
from monitor.lifecycle import Action, SinkPlan, next_state, plan_sink, still_firing
from monitor.metrics import MonitorMetrics
from monitor.reading import DlqReading, read_dlq
from monitor.rules import breach
from monitor.settings import MonitorSettings, QueueThresholds
from monitor.sinks import Sink
from monitor.sinks.base import safe_error
from monitor.sinks.delivery import RetryPolicy, deliver
from monitor.state import AlertStore

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = structlog.get_logger("fanout.monitor")

Clock = Callable[[], datetime]
HEALTHY_CHECK_INTERVALS = 3  # /healthz fails after this many intervals without a successful check
ADOPT_AFTER_INTERVALS = 2  # lost state: a crossing older than this many checks was seen before
RECONCILE_PENDING = datetime(1970, 1, 1, tzinfo=UTC)  # an unconfirmed resolve: due again at once
NOTICE_ORDER = [AlertKind.FIRING, AlertKind.RESOLVED, AlertKind.REPEAT]  # the one a status reports


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class QueueStatus:
    """The outcome of one check of one DLQ."""

    reading: DlqReading
    thresholds: QueueThresholds
    trigger: str | None
    firing: bool
    notice: AlertKind | None  # what this check delivered to at least one sink
    undelivered: list[str] = field(default_factory=list)  # sinks that did not accept their notice
    firing_since: datetime | None = None  # when the alert began firing (as far as the state knows)

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
        name = queue.dlq.name
        thresholds = self.settings.thresholds_for(queue.consumer)
        state = await self._store.load(name)
        trigger = breach(thresholds, reading.depth, state.last_depth if state else None)
        firing = still_firing(state, reading.depth, trigger)
        saved = next_state(state, name, firing, reading.depth, now)
        await self._store.save(saved)
        self._export(reading, firing)
        notified = await self._store.notified(name)
        renotify = timedelta(seconds=self.settings.renotify_s)
        adopt_allowed = state is None and self._may_adopt(reading, thresholds, now)
        plans = [
            (sink, plan)
            for sink in self._sinks
            if (
                plan := plan_sink(
                    sink.name,
                    sink.idempotent,
                    notified.get(sink.name),
                    firing=firing,
                    fresh=state is None,
                    adopt=adopt_allowed,
                    depth=reading.depth,
                    now=now,
                    renotify=renotify,
                )
            )
            is not None
        ]
        alerts = {
            kind: self._alert(kind, reading, thresholds, trigger, now)
            for kind in {plan.kind for _, plan in plans}
        }
        outcomes = await asyncio.gather(
            *(self._carry_out(sink, plan, alerts[plan.kind], now) for sink, plan in plans)
        )
        failed = [sink.name for (sink, _), ok in zip(plans, outcomes, strict=True) if not ok]
        sent = [
            plan.kind
            for (_, plan), ok in zip(plans, outcomes, strict=True)
            if ok and plan.action is not Action.ADOPT
        ]
        notice = min(sent, key=NOTICE_ORDER.index) if sent else None
        return QueueStatus(reading, thresholds, trigger, firing, notice, failed, saved.since)

    def _may_adopt(self, reading: DlqReading, thresholds: QueueThresholds, now: datetime) -> bool:
        """With lost state, whether a firing DLQ was already firing while an earlier monitor ran.

        Only then may non-idempotent sinks adopt the incident instead of getting a FIRING, and only
        when an idempotent sink (PagerDuty) is there to page: a missed page is worse than a duplicate.
        The DLQ has been over its depth threshold since its threshold-th oldest message arrived; if
        that was more than ADOPT_AFTER_INTERVALS checks ago, an earlier monitor saw the crossing.
        """
        if not any(sink.idempotent for sink in self._sinks) or not reading.sample:
            return False
        arrivals = sorted(letter.sent_at for letter in reading.sample)
        crossed_at = arrivals[min(thresholds.depth, len(arrivals)) - 1]
        return (now - crossed_at).total_seconds() >= ADOPT_AFTER_INTERVALS * self.settings.interval_s

    async def _carry_out(self, sink: Sink, plan: SinkPlan, alert: Alert, now: datetime) -> bool:
        """Send (or adopt) one sink's notice and record it at once; False when the sink did not accept."""
        if plan.action is Action.ADOPT:
            log.info("alert_adopted", sink=sink.name, queue=alert.dlq, why="state lost; no duplicate FIRING")
        elif not await deliver(sink, alert, self._retry, self.metrics):
            if plan.action is Action.RECONCILE:  # remembered, long ago: next check resolves (or triggers)
                await asyncio.shield(self._store.mark_notified(alert.dlq, sink.name, RECONCILE_PENDING))
            return False
        if plan.kind is AlertKind.RESOLVED:
            await asyncio.shield(self._store.clear_notified(alert.dlq, sink.name))
        else:
            await asyncio.shield(self._store.mark_notified(alert.dlq, sink.name, now))
        return True

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
        """Check every interval until `stop` is set; a failed check is logged and counted, not fatal.

        A stop request during a check gives in-flight deliveries `stop_timeout_s`, then cancels
        them: what sinks accepted is already saved, the rest is retried by the next monitor.
        """
        while not stop.is_set():
            check = asyncio.create_task(self.check())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({check, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not check.done():
                await asyncio.wait({check}, timeout=self.settings.stop_timeout_s)
                if not check.done():
                    log.warning("check_cancelled", why="stop requested while deliveries were in flight")
                    check.cancel()
                    with suppress(asyncio.CancelledError):
                        await check
            stopping.cancel()
            if not check.cancelled() and (error := check.exception()) is not None:
                self.metrics.check_errors.inc()  # endpoint down, throttled...: try again next interval
                log.error("check_failed", error=safe_error(error))
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.interval_s)

    def healthy(self) -> bool:
        """True while checks succeed (a recent one within a few intervals)."""
        if self._last_success is None:
            return False
        return time.monotonic() - self._last_success <= HEALTHY_CHECK_INTERVALS * self.settings.interval_s
