"""An in-process moto server on a free loopback port: the embedded SNS/SQS/S3 endpoint."""

import logging
import os
import urllib.request
from types import TracebackType
from typing import Self

from moto.server import ThreadedMotoServer

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def use_local_credentials() -> None:
    """Give boto a dummy identity when none is configured (moto accepts any)."""
    for name, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(name, value)


def reset_endpoint(url: str) -> None:
    """Forget every topic, queue and message on a moto server (its reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


class LocalEndpoint:
    """Starts moto's server in a thread; `url` is what AWS_ENDPOINT_URL should hold."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        """Start serving and return the endpoint URL."""
        use_local_credentials()
        # werkzeug logs one line per request and a traceback for every action moto lacks (a 500 the
        # client handles, e.g. StartMessageMoveTask): either would drown the `fanout dev` screen
        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def reset(self) -> None:
        """Forget every topic, queue and message."""
        reset_endpoint(self.url)

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
