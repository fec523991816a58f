"""HTTP endpoints of the monitor container: Prometheus /metrics and /healthz."""

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor.service import Monitor


def metrics_app(monitor: Monitor) -> web.Application:
    """/metrics: the monitor's registry; /healthz: 200 while checks succeed, else 503."""

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(monitor.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def healthz(request: web.Request) -> web.Response:
        healthy = monitor.healthy()
        return web.json_response({"healthy": healthy}, status=200 if healthy else 503)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app


async def serve_metrics(monitor: Monitor, host: str, port: int) -> web.AppRunner:
    """Start serving; call `cleanup()` on the result to stop."""
    runner = web.AppRunner(metrics_app(monitor), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
