"""A dev run: the three consumers and the monitor in this process, demo traffic, a live view, a verdict.

With `events` set, it publishes that many events and ends as soon as every consumer has handled
every event routed to it (exit 0), or when something is missing at the deadline (exit 1). Without,
it runs until SIGINT/SIGTERM and then drains like a production consumer does.
"""

import asyncio
import time
from contextlib import AsyncExitStack, nullcontext, suppress
from dataclasses import dataclass

from rich.console import Console
from rich.live import Live

from consumers.catalog import SERVICES
from consumers.runtime.consumer import Consumer
from consumers.runtime.launch import idempotency_store
from consumers.runtime.logs import LoggingObserver
from consumers.runtime.metrics import MetricsObserver
from consumers.runtime.settings import ConsumerSettings
from fanout.dev.dashboard import consumers_table, render
from fanout.dev.environment import DevEnvironment
from fanout.dev.snapshot import Snapshot, take_snapshot
from fanout.dev.tally import Tally
from fanout.dev.traffic import Traffic, send_poison
from fanout.dev.web import start_dashboard
from fanout.signals import stop_on_signals
from monitor.runner import open_monitor
from monitor.service import Monitor
from monitor.settings import MonitorSettings
from producer.async_publisher import AsyncPublisher

REFRESH_S = 0.5
PLAIN_REFRESH_S = 10.0  # how often a non-terminal output gets a table in the endless mode


@dataclass(frozen=True)
class DevOptions:
    """What to publish and when to stop."""

    events: int | None  # None: publish until interrupted
    rate: float  # events per second
    poison: int  # undecodable messages sent straight to the queues (they must end in the DLQs)
    timeout_s: float  # with `events`: longest wait for every event to be handled
    seed: int | None
    dashboard_port: int = 0  # 0: a free port


@dataclass(frozen=True)
class Verdict:
    """How the run ended."""

    ok: bool
    message: str


class DevRun:
    """One run of the local system; `stop()` (also on SIGINT/SIGTERM) ends it gracefully."""

    def __init__(self, env: DevEnvironment, options: DevOptions, console: Console) -> None:
        self._env = env
        self._options = options
        self._console = console
        self._tally = Tally()
        self._traffic = Traffic(env.topology.declared, options.rate, options.seed)
        self._stop = asyncio.Event()
        self._poison: dict[str, int] = {}

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> tuple[Verdict, Snapshot]:
        """Start everything, publish, watch; stop everything; the verdict and the final snapshot."""
        started = time.monotonic()
        with stop_on_signals(self):  # also while everything drains: a second Ctrl-C exits at once
            return await self._run(started)

    async def _run(self, started: float) -> tuple[Verdict, Snapshot]:
        async with AsyncExitStack() as stack:
            consumers = [
                await self._start_consumer(stack, name) for name in self._env.topology.deployed.consumers
            ]
            url = await start_dashboard(stack, self._env, consumers[0], self._options.dashboard_port)
            self._console.print(f"dashboard: {url}", markup=False, highlight=False, soft_wrap=True)
            monitor = await stack.enter_async_context(open_monitor(MonitorSettings()))
            watching = asyncio.create_task(monitor.run(self._stop))
            stack.push_async_callback(self._finish, watching)
            publisher = await stack.enter_async_context(
                AsyncPublisher(topic_arn=self._env.topology.deployed.topic_arn)
            )
            self._poison = await asyncio.to_thread(send_poison, self._env.topology, self._options.poison)
            publishing = asyncio.create_task(self._traffic.run(publisher, self._stop, self._options.events))
            stack.push_async_callback(self._finish, publishing)
            verdict = await self._watch(monitor, started)
            self._stop.set()
        return verdict, await self._snapshot(monitor, started)

    async def _start_consumer(self, stack: AsyncExitStack, name: str) -> Consumer:
        settings = ConsumerSettings(idempotency_url=self._env.idempotency_url(name))
        store = await stack.enter_async_context(idempotency_store(settings.idempotency_url))
        topology = self._env.topology
        consumer = Consumer(
            SERVICES[name](),
            topology.queue_url(name),
            topology.dlq_url(name),
            settings,
            [self._tally, LoggingObserver(), MetricsObserver()],
            store,
        )
        return await stack.enter_async_context(consumer.running())

    async def _finish(self, task: "asyncio.Task[None]") -> None:
        self._stop.set()
        await task

    async def _snapshot(self, monitor: Monitor, started: float) -> Snapshot:
        return await take_snapshot(
            self._env, self._tally, self._traffic, monitor.latest, time.monotonic() - started
        )

    async def _watch(self, monitor: Monitor, started: float) -> Verdict:
        """Refresh the view until the run is over; the verdict."""
        live = Live(console=self._console, auto_refresh=False) if self._console.is_terminal else None
        printed = started
        with live if live is not None else nullcontext():
            while True:
                snapshot = await self._snapshot(monitor, started)
                if live is not None:
                    live.update(render(snapshot), refresh=True)
                elif self._options.events is None and time.monotonic() - printed >= PLAIN_REFRESH_S:
                    self._console.print(consumers_table(snapshot))
                    printed = time.monotonic()
                verdict = self._verdict(snapshot, started)
                if verdict is not None:
                    return verdict
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), REFRESH_S)

    def _verdict(self, snapshot: Snapshot, started: float) -> Verdict | None:
        """None while the run goes on."""
        if self._options.events is None:
            return Verdict(True, "stopped") if self._stop.is_set() else None
        if self._stop.is_set():
            return Verdict(False, "interrupted before every event was handled")
        if problem := self._failure(snapshot):
            return Verdict(False, problem)
        missing = self._missing(snapshot)
        if not missing:
            return Verdict(True, "every consumer handled every event routed to it")
        if time.monotonic() - started > self._options.timeout_s:
            return Verdict(False, f"after {self._options.timeout_s:g} s: {'; '.join(missing)}")
        return None

    def _failure(self, snapshot: Snapshot) -> str:
        """What can no longer come right: an event not published, or a routed event dead-lettered."""
        if snapshot.publish_failed:
            return f"{snapshot.publish_failed} event(s) not published: {snapshot.publish_error}"
        for name, dead in self._tally.dead_lettered_ids.items():
            if lost := dead & self._traffic.routed[name]:
                return f"{name} dead-lettered {len(lost)} demo event(s), e.g. {min(lost)}"
        return ""

    def _missing(self, snapshot: Snapshot) -> list[str]:
        """What each consumer still owes: unhandled routed events, poison not yet in its DLQ (or not
        yet alerted on by the monitor)."""
        missing = []
        if self._traffic.published < (self._options.events or 0):
            missing.append(f"{self._traffic.published} of {self._options.events} event(s) published")
        for row in snapshot.rows:
            unhandled = self._traffic.routed[row.name] - self._tally.handled_ids[row.name]
            if unhandled:
                missing.append(f"{row.name}: {len(unhandled)} routed event(s) not handled")
            if row.dlq != self._poison.get(row.name, 0):
                missing.append(f"{row.name}: DLQ holds {row.dlq}, expected {self._poison.get(row.name, 0)}")
            elif row.dlq and row.alert != "firing":
                missing.append(f"{row.name}: the monitor has not alerted on its DLQ yet")
        return missing
