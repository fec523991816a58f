"""A TCP proxy in front of the endpoint that can simulate an outage (stdlib asyncio, own thread).

    with FlakyProxy("127.0.0.1", 4566) as proxy:     # clients use proxy.url
        proxy.go_down()      # open connections are reset; new ones are accepted and reset at once
        proxy.come_back()

Every connection is counted, so a test can tell a client that backs off from one that hammers a
dead endpoint: `attempts_while_down` counts connections made during the outage.
"""

import asyncio
import contextlib
import socket
import struct
import threading
import time
from types import TracebackType
from typing import Self

CHUNK = 64 * 1024


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a crashed or firewalled endpoint looks to a client."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FlakyProxy:
    """Forwards 127.0.0.1:<port> to an upstream host:port until told to go down."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="flaky-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._down = False
        self._lock = threading.Lock()
        self.connections = 0
        self.attempts_while_down = 0
        self.down_since: float | None = None
        self.downtime_s = 0.0
        self.url = ""

    # --- control, from any thread ---------------------------------------------------------------

    def start(self) -> str:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def go_down(self) -> None:
        """From now on every connection is reset: the open ones, and each new one as it arrives."""
        with self._lock:
            self._down = True
            self.down_since = time.monotonic()
        asyncio.run_coroutine_threadsafe(self._cut_all(), self._loop).result(timeout=10)

    def come_back(self) -> None:
        with self._lock:
            self._down = False
            if self.down_since is not None:
                self.downtime_s += time.monotonic() - self.down_since
            self.down_since = None

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- the proxy, on its own loop ----------------------------------------------------------------

    async def _listen(self) -> asyncio.Server:
        return await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def _close(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._cut_all()
        await self._server.wait_closed()

    async def _cut_all(self) -> None:
        for writer in list(self._open):
            _reset(writer)
        self._open.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
            down = self._down
            if down:
                self.attempts_while_down += 1
        if down:
            _reset(client_writer)
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
        except OSError:
            _reset(client_writer)
            return
        pair = {client_writer, upstream_writer}
        self._open |= pair
        try:
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer),
                self._pipe(upstream_reader, client_writer),
            )
        finally:
            self._open -= pair
            for writer in pair:
                writer.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
