"""End-to-end latency: publish → handler start, at an offered rate, with the three consumers live.

The consumers run in a worker process; this process publishes one event per Publisher.publish call
on a fixed schedule and notes the wall-clock time just before each call. A delivery's latency is
its handler's start time (time.time() in the worker) minus that publish time.
"""

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from fanout.aws import sync_client
from fanout.bench.process import WorkerFailed, WorkerProcess
from fanout.bench.queues import purge_queues
from fanout.bench.worker import WorkerJob
from fanout.topology import AppliedTopology
from producer.demo import demo_events
from producer.publisher import Publisher

DELIVERY_TIMEOUT_S = 30.0  # after the last publish, for the stragglers


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of non-empty `values`."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class LatencyFigures:
    """Latencies in milliseconds, overall and per consumer."""

    offered_rate: float
    achieved_rate: float  # between the first and the last publish
    seconds: float
    events: int
    expected: int
    latencies_ms: dict[str, list[float]]  # consumer → one latency per delivery

    @property
    def all_ms(self) -> list[float]:
        return [value for values in self.latencies_ms.values() for value in values]

    @property
    def received(self) -> int:
        return len(self.all_ms)

    def pct(self, pct: float) -> float:
        return percentile(self.all_ms, pct)

    def as_dict(self) -> dict[str, Any]:
        def summary(values: list[float]) -> dict[str, float]:
            return {f"p{p}_ms": round(percentile(values, p), 1) for p in (50, 95, 99)} | {
                "max_ms": round(max(values), 1)
            }

        return {
            "offered_rate": self.offered_rate,
            "achieved_rate": round(self.achieved_rate, 2),
            "seconds": round(self.seconds, 2),
            "events": self.events,
            "deliveries_expected": self.expected,
            "deliveries_received": self.received,
            **summary(self.all_ms),
            "per_consumer": {name: summary(values) for name, values in self.latencies_ms.items() if values},
        }


def measure_latency(topology: AppliedTopology, rate: float, seconds: float, seed: int) -> LatencyFigures:
    """Publish rate x seconds events on schedule and collect each delivery's handler start."""
    purge_queues(sync_client("sqs"), topology)
    events = demo_events(max(1, round(rate * seconds)), seed=seed)
    fan_out = {c.name: c.event_types for c in topology.declared.consumers}
    expected = sum(event.type in types for event in events for types in fan_out.values())
    names = list(fan_out)
    job = WorkerJob(
        kind="deliveries",
        queues={name: (topology.queue_url(name), topology.dlq_url(name)) for name in names},
    )
    publisher = Publisher(topic_arn=topology.deployed.topic_arn)
    published_at: dict[str, float] = {}
    with WorkerProcess(job) as worker:
        worker.wait_ready()
        started = last = time.perf_counter()
        for index, event in enumerate(events):
            time.sleep(max(0.0, started + index / rate - time.perf_counter()))
            last = time.perf_counter()
            published_at[event.id] = time.time()
            publisher.publish(event)
        elapsed = time.perf_counter() - started
        worker.send({"expect": expected, "timeout_s": DELIVERY_TIMEOUT_S})
        deliveries = worker.result()["deliveries"]
    purge_queues(sync_client("sqs"), topology)
    if not deliveries:
        raise WorkerFailed(f"no handler started within {DELIVERY_TIMEOUT_S:.0f} s of the last publish")
    latencies: dict[str, list[float]] = defaultdict(list)
    for event_id, consumer, handler_started in deliveries:
        latencies[consumer].append((handler_started - published_at[event_id]) * 1000)
    return LatencyFigures(
        offered_rate=rate,
        achieved_rate=(len(events) - 1) / (last - started) if last > started else rate,
        seconds=elapsed,
        events=len(events),
        expected=expected,
        latencies_ms={name: latencies[name] for name in names},
    )
