"""The endpoint a benchmark runs against: AWS_ENDPOINT_URL if set, else moto in its own process.

Moto runs in a separate process so that the process being measured (a worker) is charged for
its own CPU only. `python -m fanout.bench.endpoint PORT` is that process: moto's threaded server
without per-request logging, serving until terminated.
"""

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

from fanout.bench.parent import exit_with_parent
from fanout.errors import FanoutError

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
MOTO_ENVIRONMENT = {"MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false"}  # purge between phases
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class EndpointUnavailable(FanoutError):
    """The benchmark's endpoint could not be started or reached."""


@dataclass(frozen=True)
class BenchEndpoint:
    """Where the benchmark sends its calls, and whether it started that endpoint itself."""

    url: str
    kind: str  # "moto-process" (started here) or "external" (AWS_ENDPOINT_URL)
    pid: int | None = None


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on (right now)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EndpointUnavailable(f"moto server exited with status {process.returncode} at start-up")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    raise EndpointUnavailable(f"moto server did not answer on {url} within {START_TIMEOUT_S:.0f} s")


def use_dummy_credentials() -> None:
    """Give boto a dummy identity when none is configured (moto and the stub accept any)."""
    for name, value in DUMMY_CREDENTIALS.items():
        os.environ.setdefault(name, value)


@contextlib.contextmanager
def moto_process() -> Iterator[BenchEndpoint]:
    """Start moto in a child process on a free loopback port; terminate it on exit."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fanout.bench.endpoint", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **MOTO_ENVIRONMENT},
    )
    url = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_serving(url, process)
        yield BenchEndpoint(url=url, kind="moto-process", pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def bench_endpoint() -> Iterator[BenchEndpoint]:
    """AWS_ENDPOINT_URL when set, else a moto process; AWS_ENDPOINT_URL names it inside the block."""
    external = os.environ.get("AWS_ENDPOINT_URL")
    if external:
        yield BenchEndpoint(url=external, kind="external")
        return
    use_dummy_credentials()
    with moto_process() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint.url
        try:
            yield endpoint
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)


def serve(port: int) -> None:
    """Serve moto on the loopback port until SIGTERM (the child side of `moto_process`)."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    server.stop()


if __name__ == "__main__":
    exit_with_parent()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    serve(int(sys.argv[1]))
