"""pytest fixtures: an AWS-protocol endpoint per session, a fresh topology per test.

Loaded automatically through the `pytest11` entry point when fanout and its `local` extra are
installed. `fanout_endpoint` sets AWS_ENDPOINT_URL for the session so every client the code under
test creates talks to it: a moto server started for the session, or, when `FANOUT_TEST_ENDPOINT`
holds a URL (e.g. a LocalStack started by `scripts/localstack.py`), that endpoint.

On moto each test starts from an empty endpoint (its reset API) and the resource prefix is `test`.
On an external endpoint nothing is reset: each test gets a prefix of its own instead, so tests never
see each other's topics, queues or buckets.

Tests that time visibility windows use `fanout_process_prefix`: the same, on an endpoint in a
process of its own (a moto server thread in the test process competes for the GIL).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from fanout.aws import sync_client
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology, TopologyClient, declared_topology

TEST_PREFIX = "test"
ENDPOINT_VARIABLE = "FANOUT_TEST_ENDPOINT"


def external_endpoint() -> str | None:
    """The endpoint named by FANOUT_TEST_ENDPOINT, or None to use a moto server."""
    return os.environ.get(ENDPOINT_VARIABLE, "").strip().rstrip("/") or None


@pytest.fixture(scope="session")
def fanout_endpoint() -> Iterator[str]:
    """URL of the session's endpoint (AWS_ENDPOINT_URL points at it): moto, or FANOUT_TEST_ENDPOINT."""
    from fanout.local.endpoint import LocalEndpoint, use_local_credentials

    saved = os.environ.get("AWS_ENDPOINT_URL")
    try:
        if url := external_endpoint():
            use_local_credentials()
            os.environ["AWS_ENDPOINT_URL"] = url
            yield url
        else:
            with LocalEndpoint() as endpoint:
                os.environ["AWS_ENDPOINT_URL"] = endpoint.url
                yield endpoint.url
    finally:
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = saved


def _fresh_prefix(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    if external_endpoint():
        prefix = f"t{uuid.uuid4().hex[:10]}"
    else:
        from fanout.local.endpoint import reset_endpoint

        reset_endpoint(endpoint)
        prefix = TEST_PREFIX
    monkeypatch.setenv("FANOUT_ENV", prefix)
    return prefix


@pytest.fixture
def fanout_prefix(fanout_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A resource-name prefix no other test uses on the endpoint; FANOUT_ENV is set to it.

    `test` on a freshly reset moto server; a unique one (no reset) on an external endpoint.
    """
    return _fresh_prefix(fanout_endpoint, monkeypatch)


@pytest.fixture(scope="session")
def fanout_process_endpoint() -> Iterator[str]:
    """An endpoint in its own process: FANOUT_TEST_ENDPOINT, or a moto server started as a subprocess."""
    if url := external_endpoint():
        yield url
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                    break
            except (urllib.error.URLError, OSError):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start on {url}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def fanout_process_prefix(fanout_process_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """`fanout_prefix` on `fanout_process_endpoint` (AWS_ENDPOINT_URL points at it for the test)."""
    from fanout.local.endpoint import use_local_credentials

    use_local_credentials()
    monkeypatch.setenv("AWS_ENDPOINT_URL", fanout_process_endpoint)
    return _fresh_prefix(fanout_process_endpoint, monkeypatch)


@pytest.fixture
def fanout_topology(fanout_prefix: str) -> AppliedTopology:
    """The declared topology applied under the test's own prefix (`test` on moto)."""
    declared = declared_topology(fanout_prefix)
    deployed = TopologyClient(sync_client("sns"), sync_client("sqs")).apply(declared)
    return AppliedTopology(declared, deployed)


@pytest.fixture
def handler_spy() -> HandlerSpy:
    """A fresh HandlerSpy: pass it to a Consumer's observers, then `await handler_spy.wait_for(...)`."""
    return HandlerSpy()
