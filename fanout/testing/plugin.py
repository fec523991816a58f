"""pytest fixtures: a moto endpoint per session, a fresh topology per test.

Loaded automatically through the `pytest11` entry point when fanout and its `local` extra are
installed. `fanout_endpoint` sets AWS_ENDPOINT_URL for the session so every client the code under
test creates talks to it.
"""

import os
from collections.abc import Iterator

import pytest

from fanout.aws import sync_client
from fanout.testing.spy import HandlerSpy
from fanout.topology import AppliedTopology, TopologyClient, declared_topology

TEST_PREFIX = "test"


@pytest.fixture(scope="session")
def fanout_endpoint() -> Iterator[str]:
    """URL of a moto server started for the test session (AWS_ENDPOINT_URL points at it)."""
    from fanout.local.endpoint import LocalEndpoint

    saved = os.environ.get("AWS_ENDPOINT_URL")
    with LocalEndpoint() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint.url
        try:
            yield endpoint.url
        finally:
            if saved is None:
                os.environ.pop("AWS_ENDPOINT_URL", None)
            else:
                os.environ["AWS_ENDPOINT_URL"] = saved


@pytest.fixture
def fanout_topology(fanout_endpoint: str) -> AppliedTopology:
    """An empty endpoint with the declared topology applied (prefix `test`)."""
    from fanout.local.endpoint import reset_endpoint

    reset_endpoint(fanout_endpoint)
    declared = declared_topology(TEST_PREFIX)
    deployed = TopologyClient(sync_client("sns"), sync_client("sqs")).apply(declared)
    return AppliedTopology(declared, deployed)


@pytest.fixture
def handler_spy() -> HandlerSpy:
    """A fresh HandlerSpy: pass it to a Consumer's observers, then `await handler_spy.wait_for(...)`."""
    return HandlerSpy()
