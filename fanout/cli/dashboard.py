"""`fanout dashboard`: the on-call web page and its JSON API."""

import asyncio
import signal
from typing import Annotated

import typer

from fanout.cli.output import console


def dashboard(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (0.0.0.0 in a container).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0 picks a free one).")] = 8000,
) -> None:
    """Serve the dashboard: overview, DLQ browser, redrive and purge (with FANOUT_DASHBOARD_TOKEN), trace."""
    from fanout.dashboard.app import dashboard_app, serve_dashboard
    from fanout.dashboard.settings import DashboardSettings
    from fanout.logs import configure_logging

    settings = DashboardSettings()
    configure_logging(json=False, level="INFO")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with serve_dashboard(dashboard_app(settings), host, port) as server:
            mode = "actions need the token" if settings.token else "read-only (no FANOUT_DASHBOARD_TOKEN)"
            console.print(f"dashboard: {server.url} ({mode}); Ctrl-C stops", markup=False, highlight=False)
            await stop.wait()

    asyncio.run(run())
