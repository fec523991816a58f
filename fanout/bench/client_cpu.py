"""Client CPU per message on the stub endpoint: the consumer as shipped, the raw loops and the peers.

The stub answers at once with an endless queue, so each worker process spends its CPU on its own
client work only. Every kind runs `rounds` times, interleaved in alternating order; each round's
ratio to the raw aiobotocore loop is taken within that round, and the median and spread reported.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fanout.bench.endpoint import free_port
from fanout.bench.process import WorkerProcess
from fanout.bench.queues import BENCH_PREFIX, THROUGHPUT_CONSUMER
from fanout.bench.samples import Spread, interleaved, ratios, spread
from fanout.bench.stub import ACCOUNT, StubEndpoint
from fanout.bench.worker import Kind, WorkerJob

RAW = "pipelined"  # the reference every other kind is divided by
OWN_KINDS: tuple[str, ...] = ("pipelined", "ceiling", "consumer")
STUB_WAIT_TIME_S = 1
MIN_RATE_PER_S = 20
TIMEOUT_MARGIN_S = 60.0


def worker_environment(endpoint_url: str) -> dict[str, str]:
    """What a measured worker process gets: the endpoint, a short long-poll, a free health port."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "FANOUT_CONSUMER_WAIT_TIME_S": str(STUB_WAIT_TIME_S),
        "FANOUT_CONSUMER_HEALTH_PORT": str(free_port()),
    }


def job_for(
    kind: str, endpoint_url: str, queue_url: str, dlq_url: str, warmup: int, messages: int
) -> WorkerJob:
    """The worker job of one kind: ours ("pipelined", "ceiling", "consumer") or a peer's name."""
    total = warmup + messages
    worker_kind: Kind = "peer" if kind not in OWN_KINDS else kind  # type: ignore[assignment]
    return WorkerJob(
        kind=worker_kind,
        peer=kind if worker_kind == "peer" else "",
        consumer=THROUGHPUT_CONSUMER,
        queue_url=queue_url,
        dlq_url=dlq_url,
        warmup=warmup,
        messages=messages,
        checkpoint_every=max(1, total // 5),
        wait_time_s=STUB_WAIT_TIME_S,
        timeout_s=TIMEOUT_MARGIN_S + total / MIN_RATE_PER_S,
        environment=worker_environment(endpoint_url),
    )


@dataclass
class ClientCpu:
    """Every sample of every kind, in run order per kind."""

    kinds: tuple[str, ...]
    rounds: int
    messages: int
    warmup: int
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def cpu(self, kind: str) -> Spread:
        return spread([run["cpu_s_per_1000"] for run in self.runs[kind]])

    def rate(self, kind: str) -> Spread:
        return spread([run["messages_per_s"] for run in self.runs[kind]])

    def ratio(self, kind: str) -> Spread:
        """CPU per message of `kind` ÷ the raw aiobotocore loop's, round by round."""
        return ratios(
            [run["cpu_s_per_1000"] for run in self.runs[kind]],
            [run["cpu_s_per_1000"] for run in self.runs[RAW]],
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "messages": self.messages,
            "warmup": self.warmup,
            "reference": RAW,
            "kinds": {
                kind: {
                    "cpu_s_per_1000": self.cpu(kind).as_dict(),
                    "messages_per_s": self.rate(kind).as_dict(1),
                    "cpu_ratio_to_raw": self.ratio(kind).as_dict(3),
                    "runs": self.runs[kind],
                }
                for kind in self.kinds
            },
        }


def measure_client_cpu(
    stub: StubEndpoint,
    kinds: Sequence[str],
    messages: int,
    warmup: int,
    rounds: int,
    progress: Callable[[str], None],
) -> ClientCpu:
    """Run each kind `rounds` times against the stub (interleaved, alternating order)."""
    queue_url = f"{stub.url}/{ACCOUNT}/{BENCH_PREFIX}-{THROUGHPUT_CONSUMER}"
    figures = ClientCpu(tuple(kinds), rounds, messages, warmup, {kind: [] for kind in kinds})
    for number, kind in interleaved(list(kinds), rounds):
        progress(f"stub: {kind}, round {number + 1} of {rounds}")
        before = stub.stats()
        job = job_for(kind, stub.url, queue_url, f"{queue_url}-dlq", warmup, messages)
        with WorkerProcess(job) as worker:
            measured = worker.result()
        after = stub.stats()
        measured["round"] = number
        measured["stub"] = {key: after[key] - before[key] for key in ("received", "deleted")}
        figures.runs[kind].append(measured)
    return figures
