"""Keeps a queue at a bounded depth while a worker drains it, and records the depth it kept.

moto scans the whole queue on every call, so throughput depends on depth: the ceiling and the
consumer are measured against the same refiller, hence the same depth. The depth is estimated
from what was sent and what the worker reports as drained (asking the endpoint costs it a scan
per call, which would slow the very thing measured), and re-read from the endpoint now and then
to correct for drift.
"""

import statistics
import threading
import time
from dataclasses import dataclass

from fanout.aws import sync_client
from fanout.bench.queues import BATCH, message_entries
from fanout.topology.depth import read_depth

WAIT_S = 0.1  # longest wait for a progress report while the queue is full
REBASE_S = 2.0  # between depth reads from the endpoint


@dataclass(frozen=True)
class DepthStats:
    """The depth the refiller aimed for and what it kept (visible + in flight), sampled per report."""

    target: int
    mean: float
    max: int
    samples: int

    def as_dict(self) -> dict[str, float | int]:
        return {"target": self.target, "mean": round(self.mean, 1), "max": self.max, "samples": self.samples}


class Refiller:
    """A thread topping the queue up to `depth` messages until stopped; feed it `drained(count)`."""

    def __init__(self, queue_url: str, depth: int) -> None:
        self._queue_url = queue_url
        self._depth = depth
        self._sqs = sync_client("sqs")  # boto3 clients are thread-safe
        self._batches = message_entries()
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._sent = self._drained = 0
        self._base = (0, 0, 0)  # depth read from the endpoint, and sent and drained counts then
        self._next_rebase = 0.0
        self._samples: list[int] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bench-refill", daemon=True)

    def fill(self) -> None:
        """Fill to `depth` once (before the worker starts), then keep it there in the background."""
        self._top_up(self._depth)
        self._thread.start()

    def drained(self, count: int) -> None:
        """The worker has drained `count` messages in all (called from another thread)."""
        with self._changed:
            self._drained = count
            self._changed.notify()

    def stop(self) -> DepthStats:
        """Stop refilling; raises what the refilling thread failed with, if anything."""
        with self._changed:
            self._stop.set()
            self._changed.notify()
        self._thread.join()
        if self._error is not None:
            raise self._error
        samples = self._samples or [self._depth]
        return DepthStats(self._depth, statistics.fmean(samples), max(samples), len(self._samples))

    def _estimate(self) -> int:
        depth, sent, drained = self._base
        return depth + (self._sent - sent) - (self._drained - drained)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if time.monotonic() >= self._next_rebase:
                    self._rebase()
                depth = self._estimate()
                self._samples.append(depth)
                if self._depth - depth >= BATCH:
                    self._top_up(self._depth - depth)
                    continue
                with self._changed:
                    if not self._stop.is_set() and self._depth - self._estimate() < BATCH:
                        self._changed.wait(WAIT_S)
        except BaseException as error:
            self._error = error

    def _rebase(self) -> None:
        with self._changed:
            sent, drained = self._sent, self._drained
        self._base = (read_depth(self._sqs, self._queue_url).total, sent, drained)
        self._next_rebase = time.monotonic() + REBASE_S

    def _top_up(self, count: int) -> None:
        for _, entries in zip(range(count // BATCH), self._batches, strict=False):
            self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)  # type: ignore[arg-type]
            self._sent += BATCH
