"""Endpoint throughput: a worker (a ceiling loop or the consumer) drains the queue, the refiller feeds it."""

import os
from dataclasses import dataclass
from typing import Any

from fanout.aws import sync_client
from fanout.bench.client_cpu import worker_environment
from fanout.bench.process import WorkerProcess
from fanout.bench.queues import THROUGHPUT_CONSUMER, purge_queues
from fanout.bench.refill import DepthStats, Refiller
from fanout.bench.worker import Kind, WorkerJob
from fanout.topology import AppliedTopology

MAX_CHECKPOINT_EVERY = 10_000
CHECKPOINTS = 5  # RSS samples in a short run
MIN_RATE_PER_S = 10  # a worker slower than this over its whole run is considered stuck
TIMEOUT_MARGIN_S = 60.0


@dataclass(frozen=True)
class Throughput:
    """One worker's window figures and the queue depth it ran at."""

    measured: dict[str, Any]
    depth: DepthStats

    @property
    def messages_per_s(self) -> float:
        return float(self.measured["messages_per_s"])

    @property
    def cpu_s_per_1000(self) -> float:
        return float(self.measured["cpu_s_per_1000"])

    @property
    def memory(self) -> dict[str, Any]:
        memory: dict[str, Any] = self.measured["memory"]
        return memory

    def as_dict(self) -> dict[str, Any]:
        return {**self.measured, "depth": self.depth.as_dict()}


def warmup_for(depth: int) -> int:
    """Messages drained before the window opens: one queue-full, within 50..500."""
    return max(50, min(depth, 500))


def measure_throughput(kind: Kind, topology: AppliedTopology, messages: int, depth: int) -> Throughput:
    """Drain `messages` (after a warm-up) from the throughput queue kept at `depth` messages."""
    warmup = warmup_for(depth)
    total = warmup + messages
    job = WorkerJob(
        kind=kind,
        consumer=THROUGHPUT_CONSUMER,
        queue_url=topology.queue_url(THROUGHPUT_CONSUMER),
        dlq_url=topology.dlq_url(THROUGHPUT_CONSUMER),
        warmup=warmup,
        messages=messages,
        checkpoint_every=min(MAX_CHECKPOINT_EVERY, max(1, total // CHECKPOINTS)),
        timeout_s=TIMEOUT_MARGIN_S + total / MIN_RATE_PER_S,
        environment=worker_environment(os.environ["AWS_ENDPOINT_URL"]),
    )
    sqs = sync_client("sqs")
    refiller = Refiller(job.queue_url, depth)
    refiller.fill()
    try:
        with WorkerProcess(job, on_progress=refiller.drained) as worker:
            measured = worker.result()
    finally:
        depth_stats = refiller.stop()
        purge_queues(sqs, topology)
    return Throughput(measured, depth_stats)
