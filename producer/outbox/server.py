"""The relay's HTTP side: /healthz (200 while the database answers) and Prometheus /metrics."""

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from producer.outbox.service import RelayService


def relay_app(service: RelayService) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        healthy = service.healthy()
        return web.json_response({"healthy": healthy}, status=200 if healthy else 503)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(service.metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(service: RelayService, host: str, port: int) -> web.AppRunner:
    """Start serving; call `cleanup()` on the result to stop."""
    runner = web.AppRunner(relay_app(service), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
