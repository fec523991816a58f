"""One benchmark run: the endpoint, the bench topology, then each chosen phase in turn."""

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fanout.bench.endpoint import BenchEndpoint, bench_endpoint
from fanout.bench.latency import LatencyFigures, measure_latency
from fanout.bench.publish import PublishFigures, measure_publish
from fanout.bench.queues import apply_bench_topology
from fanout.bench.throughput import Throughput, measure_throughput


class Phase(StrEnum):
    """The parts of a benchmark run, in the order they run."""

    CEILING = "ceiling"
    CONSUMER = "consumer"
    MEMORY = "memory"
    PUBLISH = "publish"
    LATENCY = "latency"


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of a run (the CLI's flags)."""

    messages: int = 500
    depth: int = 50
    rate: float = 20.0
    seconds: float = 10.0
    soak: int | None = None
    phases: frozenset[Phase] = frozenset(Phase)
    seed: int = 7

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "depth": self.depth,
            "rate": self.rate,
            "seconds": self.seconds,
            "soak": self.soak,
            "phases": [phase.value for phase in Phase if phase in self.phases],
            "seed": self.seed,
        }


@dataclass(frozen=True)
class MemoryFigures:
    """Consumer-process RSS over a run: the consumer phase's own, or a separate --soak run."""

    source: str
    run: Throughput

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "messages": self.run.measured["messages"], **self.run.memory}


@dataclass
class BenchResults:
    """Everything one run measured; a phase not run stays None."""

    config: BenchConfig
    endpoint: BenchEndpoint
    started_at: datetime
    seconds: float = 0.0
    ceiling: Throughput | None = None
    consumer: Throughput | None = None
    memory: MemoryFigures | None = None
    publish: PublishFigures | None = None
    latency: LatencyFigures | None = None
    host: dict[str, Any] = field(
        default_factory=lambda: {"cpus": os.cpu_count(), "python": platform.python_version()}
    )


def run_bench(config: BenchConfig, progress: Callable[[str], None]) -> BenchResults:
    """Run the chosen phases against the benchmark endpoint; `progress` hears what runs now."""
    started = time.perf_counter()
    with bench_endpoint() as endpoint:
        progress(f"endpoint {endpoint.url} ({endpoint.kind}); applying the bench topology")
        topology = apply_bench_topology()
        results = BenchResults(config, endpoint, datetime.now(UTC))
        phases = config.phases
        if Phase.CEILING in phases:
            progress(f"ceiling: raw boto3 loop, {config.messages} messages at depth {config.depth}")
            results.ceiling = measure_throughput("ceiling", topology, config.messages, config.depth)
        if Phase.CONSUMER in phases:
            progress(f"consumer: fanout runtime, {config.messages} messages at depth {config.depth}")
            results.consumer = measure_throughput("consumer", topology, config.messages, config.depth)
        if Phase.MEMORY in phases:
            if results.consumer is not None and config.soak is None:
                results.memory = MemoryFigures("consumer phase", results.consumer)
            else:
                count = config.soak or config.messages
                progress(f"memory: consumer soak, {count} messages at depth {config.depth}")
                run = measure_throughput("consumer", topology, count, config.depth)
                results.memory = MemoryFigures("soak" if config.soak else "own run", run)
        if Phase.PUBLISH in phases:
            progress(f"publish: {config.messages} events unbatched, batched sync, batched async")
            results.publish = measure_publish(topology, config.messages, config.depth, config.seed)
        if Phase.LATENCY in phases:
            progress(f"latency: {config.rate:g} events/s for {config.seconds:g} s, three consumers live")
            results.latency = measure_latency(topology, config.rate, config.seconds, config.seed + 1)
    results.seconds = time.perf_counter() - started
    return results
