"""Wire a monitor from settings: the deployed DLQs, the state file, the sinks; run it once or forever."""

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import structlog

from fanout.aws import sync_client
from monitor.dlq.queues import dead_letter_queues
from monitor.server import serve_metrics
from monitor.service import Clock, Monitor, QueueStatus, utc_now
from monitor.settings import MonitorSettings
from monitor.sinks import configured_sinks
from monitor.state import AlertStore, describe_location

log = structlog.get_logger("fanout.monitor")


@asynccontextmanager
async def open_monitor(settings: MonitorSettings, clock: Clock = utc_now) -> AsyncIterator[Monitor]:
    """A ready monitor (DLQs resolved on the endpoint, state open, sinks connected)."""
    sqs = sync_client("sqs")
    queues = await asyncio.to_thread(dead_letter_queues, sqs)
    timeout = aiohttp.ClientTimeout(total=settings.sink_timeout_s)
    async with AlertStore(settings.state_path) as store, aiohttp.ClientSession(timeout=timeout) as session:
        yield Monitor(settings, queues, sqs, store, configured_sinks(settings, session), clock=clock)


async def check_once(settings: MonitorSettings) -> list[QueueStatus]:
    """One check with the full alert lifecycle (for cron and CI smoke tests)."""
    async with open_monitor(settings) as monitor:
        return await monitor.check()


async def run_forever(settings: MonitorSettings) -> None:
    """Check every interval until SIGTERM or SIGINT; serve /metrics and /healthz unless the port is 0."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_monitor(settings) as monitor:
        server = (
            await serve_metrics(monitor, settings.metrics_host, settings.metrics_port)
            if settings.metrics_port
            else None
        )
        log.info(
            "monitor_started",
            dlqs=monitor.dlq_names,
            interval_s=settings.interval_s,
            state=describe_location(settings.state_path),
        )
        try:
            await monitor.run(stop)
        finally:
            if server is not None:
                await server.cleanup()
