"""The long-running relay: rounds back to back while there is work, then waits for a NOTIFY (or the
poll interval); backs off while publishing fails; cleans up published rows; drains on stop.

A database error is logged (URL without its password), counted, and the store reconnects after a
backoff; an unreachable SNS leaves the rows pending and the relay backing off (rows are never lost).
"""

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable

import psycopg
import structlog

from fanout.backoff import Exponential, Jitter
from fanout.topology.declared import EnvironmentSettings
from producer.options import PublishOptions
from producer.outbox.cloudwatch import REPORT_ERRORS, CloudWatchReporter
from producer.outbox.listener import Listener
from producer.outbox.metrics import RelayMetrics
from producer.outbox.relay import Relay, RoundResult
from producer.outbox.settings import OutboxSettings
from producer.outbox.store import OutboxStatus, OutboxStore, one_line
from producer.outbox.urls import DatabaseUrl

log = structlog.get_logger("fanout.outbox")

DATABASE_ERRORS = (psycopg.Error, sqlite3.Error, OSError)
STATUS_EVERY_S = 1.0
CLOUDWATCH_EVERY_S = 60.0


class RelayService:
    """Runs `Relay` rounds until `stop()`; `healthy()` for /healthz, `metrics` for /metrics."""

    def __init__(self, settings: OutboxSettings, relay_factory: "RelayFactory") -> None:
        self._settings = settings
        self._url = DatabaseUrl.parse(settings.database_url)
        self._make_relay = relay_factory
        self._relay: Relay | None = None
        self._listener: Listener | None = None
        self._stop = asyncio.Event()
        self._backoff = Exponential(
            initial_s=0.5, factor=2.0, cap_s=settings.max_backoff_s, jitter=Jitter.EQUAL
        )
        self._failed_rounds = 0
        self._last_cleanup = 0.0
        self._last_status = 0.0
        self._last_report = -CLOUDWATCH_EVERY_S
        self._cloudwatch = (
            CloudWatchReporter(settings.cloudwatch_namespace, EnvironmentSettings().env)
            if settings.cloudwatch_namespace
            else None
        )
        self._last_good_round: float | None = None
        self.metrics = RelayMetrics()

    def stop(self) -> None:
        """Finish the round in progress, then return from `run` (SIGTERM)."""
        self._stop.set()

    def healthy(self) -> bool:
        """The database answered within the last few poll intervals (SNS outages do not count)."""
        window = 3 * self._settings.poll_interval_s + 30
        return self._last_good_round is not None and time.monotonic() - self._last_good_round < window

    async def run(self) -> None:
        log.info("outbox_relay_started", database=self._url.masked, engine=self._url.engine)
        try:
            while not self._stop.is_set():
                await self._listen()  # before the round: a commit during it wakes the next wait
                result = await self._round()
                if self._stop.is_set():
                    break
                await self._housekeeping()
                if result is None or (result.claimed and not result.published):
                    self._failed_rounds += 1
                    await self._sleep(self._backoff.delay_s(self._failed_rounds))
                    continue
                self._failed_rounds = 0
                if result.claimed < self._settings.batch_size:
                    await self._wait_for_work()
        finally:
            await self._close()
            log.info("outbox_relay_stopped")

    async def _round(self) -> RoundResult | None:
        """One round; None after a database error (the store is reopened next time)."""
        try:
            if self._relay is None:
                self._relay = await asyncio.to_thread(self._make_relay, self._url)
            result: RoundResult = await asyncio.to_thread(self._relay.publish_round)
        except DATABASE_ERRORS as error:
            self.metrics.database_errors.inc()
            log.error("outbox_database_error", database=self._url.masked, error=one_line(error))
            await self._close()
            return None
        self._last_good_round = time.monotonic()
        self.metrics.published.inc(result.published)
        self.metrics.failures.inc(result.failed)
        if result.failed:
            log.warning(
                "outbox_publish_failed",
                published=result.published,
                failed=result.failed,
                error=result.first_error,
            )
        return result

    async def _housekeeping(self) -> None:
        """Refresh the gauges (at most once a second) and clean up (every cleanup interval)."""
        relay = self._relay
        if relay is None:
            return
        now = time.monotonic()
        try:
            if now - self._last_status >= STATUS_EVERY_S:
                self._last_status = now
                status = await asyncio.to_thread(relay.store.status)
                self.metrics.observe(status)
                await self._report(status, now)
            if now - self._last_cleanup >= self._settings.cleanup_interval_s:
                self._last_cleanup = now
                deleted = await asyncio.to_thread(relay.store.clean_up, self._settings.retention_s)
                if deleted:
                    log.info("outbox_cleaned_up", deleted=deleted, retention_s=self._settings.retention_s)
        except DATABASE_ERRORS as error:
            log.error("outbox_database_error", database=self._url.masked, error=one_line(error))
            await self._close()

    async def _report(self, status: OutboxStatus, now: float) -> None:
        """To CloudWatch once a minute, when configured; an unreachable CloudWatch is only logged."""
        if self._cloudwatch is None or now - self._last_report < CLOUDWATCH_EVERY_S:
            return
        self._last_report = now
        try:
            await asyncio.to_thread(self._cloudwatch.report, status)
        except REPORT_ERRORS as error:
            log.warning("outbox_cloudwatch_failed", error=one_line(error))

    async def _listen(self) -> None:
        """PostgreSQL: make sure a LISTEN connection is open (a failure falls back to polling)."""
        if self._url.engine != "postgresql" or self._listener is not None:
            return
        try:
            self._listener = await Listener.open(self._url.target)
        except DATABASE_ERRORS as error:
            log.warning("outbox_listen_failed", database=self._url.masked, error=one_line(error))

    async def _wait_for_work(self) -> None:
        """Until a NOTIFY (PostgreSQL), the poll interval, or stop."""
        if self._listener is None:
            await self._sleep(self._settings.poll_interval_s)
            return
        try:
            await self._listener.wait(self._settings.poll_interval_s, self._stop.is_set)
        except DATABASE_ERRORS as error:
            log.warning("outbox_listen_failed", database=self._url.masked, error=one_line(error))
            await self._close_listener()

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once on stop."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                await listener.close()

    async def _close(self) -> None:
        await self._close_listener()
        relay, self._relay = self._relay, None
        if relay is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                await asyncio.to_thread(relay.store.close)


RelayFactory = Callable[[DatabaseUrl], Relay]


def relay_factory(settings: OutboxSettings, options: PublishOptions | None = None) -> RelayFactory:
    """Opens the store and builds the relay (the service calls it in a worker thread: connecting blocks)."""

    def make(url: DatabaseUrl) -> Relay:
        return Relay(
            OutboxStore.open(url),
            options=options,
            topic_arn=settings.topic_arn,
            batch_size=settings.batch_size,
        )

    return make
