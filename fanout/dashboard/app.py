"""The dashboard's aiohttp application: the page, its static assets and the JSON API."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from fanout.aws import sync_client
from fanout.dashboard.dlq import browse, find_body
from fanout.dashboard.metrics import MetricsScraper
from fanout.dashboard.openapi import openapi_document
from fanout.dashboard.overview import overview
from fanout.dashboard.redrive import redrive_all, redrive_selected
from fanout.dashboard.security import ActionRefused, check_action
from fanout.dashboard.settings import DashboardSettings
from fanout.dashboard.trace import trace
from fanout.errors import FanoutError
from fanout.topology import Topology, declared_topology
from fanout.topology.depth import read_depth
from monitor.dlq.queues import DeadLetterQueue, dead_letter_queues

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = structlog.get_logger("fanout.dashboard")

STATIC_DIR = Path(__file__).parent / "static"
MAX_SELECTED = 100
MAX_BROWSE = 1000
ACTOR_PATTERN = re.compile(r"[^\w .@-]")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class Dashboard:
    """The state behind the routes: settings, the SQS client, the resolved queues, the metrics history."""

    def __init__(self, settings: DashboardSettings, topology: Topology, state_path: Path | None) -> None:
        for name in settings.processed_events:
            topology.consumer(name)  # ConfigurationError naming the known consumers
        self.settings = settings
        self.topology = topology
        self.state_path = state_path
        self.sqs: SQSClient = sync_client("sqs")
        self.scraper = MetricsScraper(
            [str(url) for url in settings.consumer_metrics], settings.concurrency, settings.metrics_timeout_s
        )
        self._queues: list[DeadLetterQueue] | None = None

    async def queues(self) -> list[DeadLetterQueue]:
        """Every consumer's queues, resolved on the endpoint once (the topology may be applied later)."""
        if self._queues is None:
            self._queues = await asyncio.to_thread(dead_letter_queues, self.sqs, self.topology)
        return self._queues

    async def queue(self, request: web.Request) -> DeadLetterQueue:
        name = request.match_info["consumer"]
        for queue in await self.queues():
            if queue.consumer == name:
                return queue
        raise web.HTTPNotFound(text='{"error": "unknown consumer"}', content_type="application/json")

    # -- pages and reads ---------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def config(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "env": self.topology.prefix,
                "consumers": [consumer.name for consumer in self.topology.consumers],
                "actions_enabled": self.settings.token is not None,
                "refresh_s": self.settings.refresh_s,
                "metrics_configured": self.scraper.configured,
                "processed_events": sorted(self.settings.processed_events),
                "event_log": self.settings.event_log is not None,
            }
        )

    async def overview(self, request: web.Request) -> web.Response:
        document = await overview(self.sqs, await self.queues(), self.scraper, self.state_path)
        return web.json_response(document)

    async def dlq(self, request: web.Request) -> web.Response:
        queue = await self.queue(request)
        limit = request.query.get("limit", str(self.settings.browse_limit))
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_BROWSE:
            return error_response(400, f"limit must be 1 to {MAX_BROWSE}")
        document = await asyncio.to_thread(
            browse, self.sqs, queue, int(limit), self.settings.body_preview_chars
        )
        return web.json_response(document)

    async def body(self, request: web.Request) -> web.Response:
        queue = await self.queue(request)
        message_id = request.match_info["message_id"]
        body = await asyncio.to_thread(find_body, self.sqs, queue, message_id, self.settings.browse_limit)
        if body is None:
            return error_response(404, "message not found in the DLQ")
        filename = re.sub(r"[^A-Za-z0-9-]", "_", message_id)
        return web.Response(
            body=body.encode("utf-8"),
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{queue.consumer}-{filename}.json"'},
        )

    async def trace(self, request: web.Request) -> web.Response:
        key = request.match_info["id"].strip()
        if not key or len(key) > 200:
            return error_response(400, "give an event id or an order id")
        return web.json_response(
            await trace(key, self.sqs, self.topology, await self.queues(), self.settings)
        )

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi_document())

    # -- actions -----------------------------------------------------------------------------

    async def _action_body(self, request: web.Request, queue: DeadLetterQueue) -> tuple[dict[str, Any], str]:
        """The checked request body and who sent it; raises ActionRefused."""
        check_action(request, self.settings.token)
        try:
            body = await request.json()
        except ValueError:
            raise ActionRefused(400, "the body is not JSON") from None
        if not isinstance(body, dict):
            raise ActionRefused(400, "the body must be a JSON object")
        if body.get("confirm") != queue.consumer:
            raise ActionRefused(400, f'confirm the action with "confirm": "{queue.consumer}"')
        actor = ACTOR_PATTERN.sub("", str(body.get("by") or "anonymous"))[:64] or "anonymous"
        return body, f"{actor} from {request.remote or 'unknown'}"

    async def redrive(self, request: web.Request) -> web.Response:
        queue = await self.queue(request)
        body, who = await self._action_body(request, queue)
        selected = body.get("message_ids")
        if selected is not None and (
            not isinstance(selected, list)
            or not 0 < len(selected) <= MAX_SELECTED
            or not all(isinstance(item, str) and item for item in selected)
        ):
            raise ActionRefused(400, f"message_ids must be a list of 1 to {MAX_SELECTED} message ids")
        if selected is None:
            outcome = await asyncio.to_thread(redrive_all, self.sqs, queue)
        else:
            outcome = await asyncio.to_thread(redrive_selected, self.sqs, queue, selected)
        log.info(
            "dashboard_action",
            action="redrive",
            scope="all" if selected is None else "selected",
            consumer=queue.consumer,
            dlq=queue.dlq.name,
            requested=outcome.requested,
            moved=outcome.moved,
            move_task=outcome.move_task is not None,
            by=who,
        )
        return web.json_response(
            {
                "consumer": queue.consumer,
                "requested": outcome.requested,
                "moved": outcome.moved,
                "move_task": outcome.move_task,
            }
        )

    async def purge(self, request: web.Request) -> web.Response:
        queue = await self.queue(request)
        _, who = await self._action_body(request, queue)
        depth = (await asyncio.to_thread(read_depth, self.sqs, queue.dlq.url)).total
        await asyncio.to_thread(self.sqs.purge_queue, QueueUrl=queue.dlq.url)
        log.info(
            "dashboard_action",
            action="purge",
            consumer=queue.consumer,
            dlq=queue.dlq.name,
            purged=depth,
            by=who,
        )
        return web.json_response({"consumer": queue.consumer, "purged": depth})


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Security headers on every response; errors as one JSON line, never a traceback or a secret."""
    try:
        response = await handler(request)
    except web.HTTPException as error:  # returned as a plain response: aiohttp deprecates returning these
        response = web.Response(status=error.status, body=error.body, headers=error.headers)
    except FanoutError as error:
        response = error_response(503, str(error))
    except ClientError as error:
        details = error.response.get("Error", {})
        response = error_response(502, f"{error.operation_name}: {details.get('Code', 'Error')}")
    except (BotoCoreError, ResponseParserError) as error:  # the latter: a non-AWS answer (an HTML page)
        response = error_response(502, type(error).__name__)
    response.headers.update(SECURITY_HEADERS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


def dashboard_app(
    settings: DashboardSettings | None = None,
    topology: Topology | None = None,
    state_path: Path | None = None,
) -> web.Application:
    """The application; `state_path` is the monitor's state file (default FANOUT_MONITOR_STATE_PATH)."""
    dashboard = Dashboard(settings or DashboardSettings(), topology or declared_topology(), state_path)
    app = web.Application(middlewares=[guard], client_max_size=64 * 1024)
    app.router.add_get("/", dashboard.index)
    app.router.add_static("/static/", STATIC_DIR)
    app.router.add_get("/api/config", dashboard.config)
    app.router.add_get("/api/overview", dashboard.overview)
    app.router.add_get("/api/dlq/{consumer}", dashboard.dlq)
    app.router.add_get("/api/dlq/{consumer}/messages/{message_id}/body", dashboard.body)
    app.router.add_post("/api/dlq/{consumer}/redrive", dashboard.redrive)
    app.router.add_post("/api/dlq/{consumer}/purge", dashboard.purge)
    app.router.add_get("/api/trace/{id}", dashboard.trace)
    app.router.add_get("/api/openapi.json", dashboard.openapi)
    return app


@dataclass(frozen=True)
class DashboardServer:
    """A running dashboard; `url` is where to open it."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}/"


@contextlib.asynccontextmanager
async def serve_dashboard(app: web.Application, host: str, port: int) -> AsyncIterator[DashboardServer]:
    """Serve the app while the block runs; port 0 picks a free port."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield DashboardServer(host, runner.addresses[0][1])
    finally:
        await runner.cleanup()
