"""The consumer's HTTP side: /healthz (liveness), /readyz (readiness) and /metrics (Prometheus).

async with serve_health(consumer, port=8080) as server:
    await consumer.run()
"""

import contextlib
import errno
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from fanout.errors import ConfigurationError


class Readiness(Protocol):
    """Anything that can say whether it is ready to take work (a Consumer)."""

    async def ready(self) -> bool: ...


@dataclass(frozen=True)
class HealthServer:
    """The running server; `port` is the bound one (useful with port 0)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"


def health_app(consumer: Readiness) -> web.Application:
    """The aiohttp application behind `serve_health`."""

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")  # answering at all proves the event loop runs

    async def readyz(request: web.Request) -> web.Response:
        try:
            ready = await consumer.ready()
        except Exception as error:  # a failing check means not ready, never a 500
            return web.Response(status=503, text=f"not ready: {str(error) or type(error).__name__}\n")
        return web.Response(text="ready\n") if ready else web.Response(status=503, text="not ready\n")

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


@contextlib.asynccontextmanager
async def serve_health(consumer: Readiness, port: int, host: str = "0.0.0.0") -> AsyncIterator[HealthServer]:
    """Serve /healthz, /readyz and /metrics while the block runs; port 0 picks a free port."""
    runner = web.AppRunner(health_app(consumer), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            raise ConfigurationError(
                f"health port {port} is in use (another consumer on this host?): set "
                "FANOUT_CONSUMER_HEALTH_PORT to a free port, or 0 to turn the health server off"
            ) from error
        bound_port = runner.addresses[0][1]
        yield HealthServer(host=host, port=bound_port)
    finally:
        await runner.cleanup()
