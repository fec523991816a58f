"""Other Python SQS consumers, each with a no-op handler, drained the way its documentation shows.

Installed with the `bench-peers` extra; each runs in its own worker process (`fanout bench --peers`)
against the same stub endpoint as the raw loop and fanout's consumer, asking for every attribute:

- sqs-workers: a RawQueue with a raw processor, `process_batch` in a loop (boto3; it deletes each
  message with its own DeleteMessageBatch call).
- aws-sqs-consumer: a Consumer with batch_size 10 and `handle_message_batch` (boto3; one
  DeleteMessageBatch per receive).

Neither validates the events: they hand the handler the raw message.
"""

import importlib
import importlib.util
import time
from collections.abc import Callable
from typing import Any

from fanout.bench.window import Window, WindowResult, WorkerTimeout
from fanout.errors import ConfigurationError

WAIT_TIME_S = 1
PEER_MODULES = {"sqs-workers": "sqs_workers", "aws-sqs-consumer": "aws_sqs_consumer"}
PEERS = tuple(PEER_MODULES)


def installed_peers() -> list[str]:
    """The peers whose library is importable here (the `bench-peers` extra)."""
    return [name for name, module in PEER_MODULES.items() if importlib.util.find_spec(module) is not None]


def _sqs_workers(queue_url: str, window: Window, deadline: float) -> None:
    import boto3

    library: Any = importlib.import_module("sqs_workers")  # untyped, and optional
    env = library.SQSEnv(session=boto3.session.Session())
    queue = env.queue(queue_url.rstrip("/").rsplit("/", 1)[-1], library.RawQueue)

    def process(message: Any) -> None:
        window.add(1)

    queue.connect_raw_processor(process)
    while not window.done:
        _check(deadline, "sqs-workers")
        queue.process_batch(wait_seconds=WAIT_TIME_S)
        window.received()


def _aws_sqs_consumer(queue_url: str, window: Window, deadline: float) -> None:
    library: Any = importlib.import_module("aws_sqs_consumer")  # untyped, and optional

    def handle_message_batch(self: Any, messages: list[Any]) -> None:
        window.received()
        if window.add(len(messages)) or time.monotonic() > deadline:
            self.stop()

    no_op = type("NoOp", (library.Consumer,), {"handle_message_batch": handle_message_batch})
    no_op(
        queue_url=queue_url,
        attribute_names=["All"],
        message_attribute_names=["All"],
        batch_size=10,
        wait_time_seconds=WAIT_TIME_S,
    ).start()
    _check(deadline, "aws-sqs-consumer")


def _check(deadline: float, peer: str) -> None:
    if time.monotonic() > deadline:
        raise WorkerTimeout(f"{peer}: window incomplete")


RUNNERS: dict[str, Callable[[str, Window, float], None]] = {
    "sqs-workers": _sqs_workers,
    "aws-sqs-consumer": _aws_sqs_consumer,
}


def run_peer(peer: str, queue_url: str, window: Window, timeout_s: float) -> WindowResult:
    """Drain with `peer` until the window is complete."""
    if peer not in RUNNERS:
        raise ConfigurationError(f"unknown peer {peer!r} (known: {', '.join(RUNNERS)})")
    RUNNERS[peer](queue_url, window, time.monotonic() + timeout_s)
    return window.result()
