"""Fixtures for the monitor and DLQ tooling: FANOUT_ENV for the test topology, a webhook receiver."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from monitor_support import Receiver


@pytest.fixture
def test_env(fanout_prefix: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """FANOUT_ENV set to the test topology's prefix (restored afterwards, even if the CLI sets it)."""
    monkeypatch.setenv("FANOUT_ENV", fanout_prefix)
    yield fanout_prefix


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A real aiohttp server on a free loopback port."""
    holder: list[Receiver] = []

    async def record(request: web.Request) -> web.Response:
        receiver = holder[0]
        body = json.loads(await request.text())
        receiver.requests.setdefault(request.path, []).append(body)
        if request.path in receiver.hanging:
            await asyncio.sleep(3600)  # a sink that never answers
        status = receiver.statuses.get(request.path, 202)
        if status < 300:
            receiver.accepted.setdefault(request.path, []).append(body)
        return web.json_response({"status": "ok"}, status=status)

    app = web.Application()
    app.router.add_post("/{path:.*}", record)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    holder.append(Receiver(url=str(server.make_url("")).rstrip("/")))
    try:
        yield holder[0]
    finally:
        await server.close()
