"""The dev run's web side: the consumers' /metrics and the on-call dashboard, wired to the run's state."""

import json
import os
from contextlib import AsyncExitStack

from consumers.runtime.consumer import Consumer
from consumers.runtime.health import serve_health
from fanout.dashboard.app import dashboard_app, serve_dashboard
from fanout.dashboard.settings import DashboardSettings
from fanout.dev.environment import DevEnvironment

LOOPBACK = "127.0.0.1"


async def start_dashboard(stack: AsyncExitStack, env: DevEnvironment, consumer: Consumer, port: int) -> str:
    """Serve /metrics (every consumer of this process) and the dashboard reading it; the dashboard's URL.

    Settings the user exported win; the run fills in its metrics URL, idempotency stores and the
    analytics database as the dashboard's processed-events stores and event log.
    """
    metrics = await stack.enter_async_context(serve_health(consumer, 0, host=LOOPBACK))
    defaults = {
        "FANOUT_DASHBOARD_CONSUMER_METRICS": json.dumps([f"{metrics.url}/metrics"]),
        "FANOUT_DASHBOARD_PROCESSED_EVENTS": json.dumps(
            {name: env.idempotency_url(name) for name in env.topology.deployed.consumers}
        ),
        "FANOUT_DASHBOARD_EVENT_LOG": os.environ.get("FANOUT_ANALYTICS_DATABASE_URL", ""),
        "FANOUT_DASHBOARD_REFRESH_S": "2",
    }
    for name, value in defaults.items():
        if value:
            os.environ.setdefault(name, value)
    app = dashboard_app(DashboardSettings(), env.topology.declared)
    server = await stack.enter_async_context(serve_dashboard(app, LOOPBACK, port))
    return server.url
