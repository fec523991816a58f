"""One benchmark run: the stub phases (client CPU, publishing), then the endpoint phases.

The stub endpoint (fanout.bench.stub) runs in its own process for the `cpu` and `publish`
phases; the `throughput` and `latency` phases need a real SNS/SQS endpoint (AWS_ENDPOINT_URL, or
moto started in its own process) and only they start or import moto.
"""

import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fanout.bench.client_cpu import OWN_KINDS, ClientCpu, measure_client_cpu
from fanout.bench.endpoint import BenchEndpoint, bench_endpoint, use_dummy_credentials
from fanout.bench.instructions import Instructions, measure_instructions
from fanout.bench.latency import LatencyFigures, measure_latency
from fanout.bench.memory import MemoryStats
from fanout.bench.publish_stub import PublishOnStub, measure_publish_on_stub
from fanout.bench.queues import apply_bench_topology
from fanout.bench.samples import interleaved
from fanout.bench.stub import stub_process
from fanout.bench.throughput import Throughput, measure_throughput
from fanout.bench.worker import Kind

THROUGHPUT_KINDS: tuple[Kind, ...] = ("ceiling", "pipelined", "consumer")
VERSIONED = ("fanout", "boto3", "botocore", "aiobotocore", "pydantic", "sqs-workers", "aws-sqs-consumer")


class Phase(StrEnum):
    """The parts of a benchmark run."""

    CPU = "cpu"  # stub: client CPU per message, consumer vs raw loops (and peers)
    PUBLISH = "publish"  # stub with latency: unbatched vs batched, sync and async
    THROUGHPUT = "throughput"  # endpoint: consumer vs the serial and pipelined ceilings
    LATENCY = "latency"  # endpoint: publish → handler start, three consumers live
    MEMORY = "memory"  # consumer RSS from before the first message (a soak with --soak)
    INSTRUCTIONS = "instructions"  # stub under valgrind: instructions per message (when installed)


ENDPOINT_PHASES = frozenset({Phase.THROUGHPUT, Phase.LATENCY})
DEFAULT_PHASES = frozenset(Phase)
INSTRUCTION_KINDS = ("pipelined", "consumer")  # the judged ratio (peers join with --peers)


@dataclass(frozen=True)
class BenchConfig:
    """Sizes of a run (the CLI's flags)."""

    messages: int = 2000  # per throughput run on the endpoint (500 gave 0.76-1.14x on one run)
    depth: int = 50
    stub_messages: int = 3000  # per client-CPU run on the stub
    instruction_messages: int = 600  # the larger callgrind run (a count needs no long window)
    publish_events: int = 5000
    publish_latency_ms: float = 20.0
    rounds: int = 3
    rate: float = 20.0
    seconds: float = 10.0
    soak: int | None = None
    peers: tuple[str, ...] = ()
    phases: frozenset[Phase] = DEFAULT_PHASES
    seed: int = 7

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "depth": self.depth,
            "stub_messages": self.stub_messages,
            "instruction_messages": self.instruction_messages,
            "publish_events": self.publish_events,
            "publish_latency_ms": self.publish_latency_ms,
            "rounds": self.rounds,
            "rate": self.rate,
            "seconds": self.seconds,
            "soak": self.soak,
            "peers": list(self.peers),
            "phases": [phase.value for phase in Phase if phase in self.phases],
            "seed": self.seed,
        }


@dataclass(frozen=True)
class MemoryFigures:
    """Consumer-process RSS from before its first message: a client-CPU run's, or a soak's."""

    source: str
    messages: int
    warmup: int
    stats: MemoryStats

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "messages": self.messages,
            "warmup": self.warmup,
            **self.stats.as_dict(),
        }


@dataclass
class BenchResults:
    """Everything one run measured; a phase not run stays None."""

    config: BenchConfig
    started_at: datetime
    endpoint: BenchEndpoint | None = None
    seconds: float = 0.0
    cpu: ClientCpu | None = None
    publish: PublishOnStub | None = None
    throughput: dict[str, list[Throughput]] | None = None
    memory: MemoryFigures | None = None
    latency: LatencyFigures | None = None
    instructions: Instructions | None = None
    host: dict[str, Any] = field(default_factory=lambda: host_facts())


def host_facts() -> dict[str, Any]:
    """The machine and the versions the figures were measured with."""
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": versions,
    }


def _memory_from_cpu(cpu: ClientCpu, source: str) -> MemoryFigures:
    run = cpu.runs["consumer"][0]
    memory = run["memory"]
    mib = 1024 * 1024
    stats = MemoryStats(
        round(memory["rss_start_mib"] * mib),
        tuple((point["messages"], round(point["rss_mib"] * mib)) for point in memory["checkpoints"]),
    )
    return MemoryFigures(source, run["messages"], run["warmup"], stats)


def _stub_phases(config: BenchConfig, results: BenchResults, progress: Callable[[str], None]) -> None:
    use_dummy_credentials()
    stub_phases = {Phase.CPU, Phase.PUBLISH, Phase.INSTRUCTIONS} & config.phases
    needs_soak = Phase.MEMORY in config.phases and (config.soak is not None or Phase.CPU not in config.phases)
    if not stub_phases and not needs_soak:
        return
    with stub_process() as stub:
        progress(f"stub endpoint {stub.url} (its own process)")
        if Phase.CPU in config.phases:
            kinds = [*OWN_KINDS, *config.peers]
            results.cpu = measure_client_cpu(
                stub,
                kinds,
                config.stub_messages,
                warmup_for_stub(config.stub_messages),
                config.rounds,
                progress,
            )
        if Phase.INSTRUCTIONS in config.phases:
            results.instructions = measure_instructions(
                stub, [*INSTRUCTION_KINDS, *config.peers], config.instruction_messages, progress
            )
        if needs_soak:
            count = config.soak or config.stub_messages
            progress(f"memory: the shipped consumer over {count:,} messages on the stub")
            soak = measure_client_cpu(stub, ["consumer"], count, warmup_for_stub(count), 1, progress)
            results.memory = _memory_from_cpu(soak, "soak on the stub")
        elif results.cpu is not None and Phase.MEMORY in config.phases:
            results.memory = _memory_from_cpu(results.cpu, "first client-CPU run of the consumer")
        if Phase.PUBLISH in config.phases:
            stub.set_latency(config.publish_latency_ms)
            previous = os.environ.get("AWS_ENDPOINT_URL")
            os.environ["AWS_ENDPOINT_URL"] = stub.url
            try:
                results.publish = measure_publish_on_stub(
                    config.publish_latency_ms, config.publish_events, config.rounds, config.seed, progress
                )
            finally:
                if previous is None:
                    os.environ.pop("AWS_ENDPOINT_URL", None)
                else:
                    os.environ["AWS_ENDPOINT_URL"] = previous


def warmup_for_stub(messages: int) -> int:
    """Messages drained before a stub window opens: imports, pools and caches settle."""
    return max(100, min(500, messages // 5))


def _endpoint_phases(config: BenchConfig, results: BenchResults, progress: Callable[[str], None]) -> None:
    if not ENDPOINT_PHASES & config.phases:
        return
    with bench_endpoint() as endpoint:
        results.endpoint = endpoint
        progress(f"endpoint {endpoint.url} ({endpoint.kind}); applying the bench topology")
        topology = apply_bench_topology()
        if Phase.THROUGHPUT in config.phases:
            runs: dict[str, list[Throughput]] = {kind: [] for kind in THROUGHPUT_KINDS}
            for number, kind in interleaved(list(THROUGHPUT_KINDS), config.rounds):
                progress(
                    f"throughput: {kind}, round {number + 1} of {config.rounds}, "
                    f"{config.messages} messages at depth {config.depth}"
                )
                runs[kind].append(measure_throughput(kind, topology, config.messages, config.depth))
            results.throughput = runs
        if Phase.LATENCY in config.phases:
            progress(f"latency: {config.rate:g} events/s for {config.seconds:g} s, three consumers live")
            results.latency = measure_latency(topology, config.rate, config.seconds, config.seed + 1)


def run_bench(config: BenchConfig, progress: Callable[[str], None]) -> BenchResults:
    """Run the chosen phases; `progress` hears what runs now."""
    started = time.perf_counter()
    results = BenchResults(config, datetime.now(UTC))
    _stub_phases(config, results, progress)
    _endpoint_phases(config, results, progress)
    results.seconds = time.perf_counter() - started
    return results
