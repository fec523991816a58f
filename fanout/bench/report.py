"""The run as a table of figures beside their targets, and as a JSON document.

Targets are printed, never asserted: the figures depend on the endpoint and the machine.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.table import Table

from fanout.bench.memory import FLAT_GROWTH_PCT
from fanout.bench.run import BenchResults
from fanout.bench.throughput import Throughput

THROUGHPUT_TARGET = 0.9  # consumer messages/s ≥ this x the ceiling's
CPU_TARGET = 1.5  # consumer CPU per message ≤ this x the raw loop's
BATCH_TARGET = 8.0  # batched publish ≥ this x unbatched events/s
P99_TARGET_MS = 250.0
DEFAULT_RESULTS_DIR = Path("benchmarks/results")


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure, what was measured, its target and whether it was met."""

    figure: str
    measured: str
    target: str = ""
    met: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"figure": self.figure, "measured": self.measured, "target": self.target, "met": self.met}


def _per_receive(run: Throughput) -> str:
    calls = run.measured["receive_calls"]
    return f"{run.measured['messages_per_receive']} ({calls} ReceiveMessage calls)" if calls else "n/a"


def _throughput_rows(results: BenchResults) -> list[Row]:
    rows: list[Row] = []
    ceiling, consumer = results.ceiling, results.consumer
    if ceiling is not None:
        depth = ceiling.depth
        rows += [
            Row("ceiling: raw boto3 loop", f"{ceiling.messages_per_s:,.0f} msg/s"),
            Row("ceiling: CPU", f"{ceiling.cpu_s_per_1000:.3f} s / 1k msg"),
            Row("ceiling: queue depth", f"target {depth.target}, mean {depth.mean:.0f}, max {depth.max}"),
            Row("ceiling: messages per receive", _per_receive(ceiling)),
        ]
    if consumer is not None:
        depth = consumer.depth
        speed = consumer.messages_per_s / ceiling.messages_per_s if ceiling else None
        cpu = consumer.cpu_s_per_1000 / ceiling.cpu_s_per_1000 if ceiling else None
        rows += [
            Row(
                "consumer: fanout runtime",
                f"{consumer.messages_per_s:,.0f} msg/s"
                + (f" ({speed:.2f}x ceiling)" if speed is not None else ""),
                f"≥ {THROUGHPUT_TARGET}x ceiling",
                speed >= THROUGHPUT_TARGET if speed is not None else None,
            ),
            Row(
                "consumer: CPU",
                f"{consumer.cpu_s_per_1000:.3f} s / 1k msg"
                + (f" ({cpu:.2f}x raw loop)" if cpu is not None else ""),
                f"≤ {CPU_TARGET}x raw loop",
                cpu <= CPU_TARGET if cpu is not None else None,
            ),
            Row("consumer: queue depth", f"target {depth.target}, mean {depth.mean:.0f}, max {depth.max}"),
            Row("consumer: messages per receive", _per_receive(consumer)),
        ]
    return rows


def _publish_rows(results: BenchResults) -> list[Row]:
    publish = results.publish
    if publish is None:
        return []
    return [
        Row("publish: unbatched (sns.publish)", f"{publish.rate(publish.unbatched_s):,.0f} events/s"),
        Row(
            "publish: batched, sync Publisher",
            f"{publish.rate(publish.batched_sync_s):,.0f} events/s ({publish.sync_ratio:.1f}x)",
            f"≥ {BATCH_TARGET:g}x unbatched",
            publish.sync_ratio >= BATCH_TARGET,
        ),
        Row(
            "publish: batched, AsyncPublisher",
            f"{publish.rate(publish.batched_async_s):,.0f} events/s ({publish.async_ratio:.1f}x)",
            f"≥ {BATCH_TARGET:g}x unbatched",
            publish.async_ratio >= BATCH_TARGET,
        ),
        Row(
            "publish, topic without subscriptions",
            f"{publish.rate(publish.bare_unbatched_s):,.0f} → {publish.rate(publish.bare_batched_s):,.0f} "
            f"events/s batched ({publish.bare_ratio:.1f}x)",
        ),
    ]


def _latency_rows(results: BenchResults) -> list[Row]:
    latency = results.latency
    if latency is None:
        return []
    return [
        Row(
            "latency: publish → handler start",
            f"p50 {latency.pct(50):.0f} ms, p95 {latency.pct(95):.0f} ms, p99 {latency.pct(99):.0f} ms",
            f"p99 < {P99_TARGET_MS:g} ms",
            latency.pct(99) < P99_TARGET_MS,
        ),
        Row(
            "latency: load",
            f"{latency.offered_rate:g} events/s offered ({latency.achieved_rate:.1f} achieved) "
            f"for {latency.seconds:.1f} s, {latency.received}/{latency.expected} deliveries",
        ),
    ]


def _memory_rows(results: BenchResults) -> list[Row]:
    memory = results.memory
    if memory is None:
        return []
    figures = memory.as_dict()
    trail = ", ".join(f"{point['rss_mib']:.1f}" for point in figures["checkpoints"])
    return [
        Row(
            f"memory: consumer RSS ({memory.source})",
            f"{figures['rss_start_mib']:.1f} MiB at start → {figures['rss_end_mib']:.1f} MiB "
            f"after {figures['messages'] + memory.run.measured['warmup']:,} msg",
        ),
        Row(
            "memory: RSS at checkpoints (MiB)",
            f"{trail} (growth {figures['growth_pct']:+.1f}%)",
            f"flat: ≤ {FLAT_GROWTH_PCT:g}% after first checkpoint",
            bool(figures["flat"]),
        ),
    ]


def rows(results: BenchResults) -> list[Row]:
    """Every figure of the run, with targets where the issue sets one."""
    return _throughput_rows(results) + _publish_rows(results) + _latency_rows(results) + _memory_rows(results)


def table(results: BenchResults) -> Table:
    """The figures as a rich table."""
    endpoint = results.endpoint
    title = f"fanout bench — {endpoint.url} ({endpoint.kind}), {results.seconds:.0f} s"
    grid = Table(title=title, title_justify="left")
    for column in ("figure", "measured", "target", "result"):
        grid.add_column(column, overflow="fold")
    for row in rows(results):
        result = {True: "[green]pass[/]", False: "[red]miss[/]", None: ""}[row.met]
        grid.add_row(row.figure, row.measured, row.target, result)
    return grid


def document(results: BenchResults) -> dict[str, Any]:
    """The run as a JSON-able document."""
    phases: dict[str, Any] = {}
    if results.ceiling is not None:
        phases["ceiling"] = results.ceiling.as_dict()
    if results.consumer is not None:
        phases["consumer"] = results.consumer.as_dict()
        if results.ceiling is not None:
            phases["consumer"]["ratio_to_ceiling"] = {
                "throughput": round(results.consumer.messages_per_s / results.ceiling.messages_per_s, 3),
                "cpu_per_message": round(results.consumer.cpu_s_per_1000 / results.ceiling.cpu_s_per_1000, 3),
            }
    if results.memory is not None:
        phases["memory"] = results.memory.as_dict()
    if results.publish is not None:
        phases["publish"] = results.publish.as_dict()
    if results.latency is not None:
        phases["latency"] = results.latency.as_dict()
    endpoint = results.endpoint
    return {
        "started_at": results.started_at.isoformat(),
        "seconds": round(results.seconds, 1),
        "endpoint": {"url": endpoint.url, "kind": endpoint.kind},
        "host": results.host,
        "config": results.config.as_dict(),
        "phases": phases,
        "figures": [row.as_dict() for row in rows(results)],
    }


def output_path(output: Path | None, started_at: datetime) -> Path:
    """--output as given (a directory gets the default file name), else benchmarks/results/."""
    name = f"bench-{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    if output is None:
        return DEFAULT_RESULTS_DIR / name
    return output / name if output.is_dir() else output


def write_document(results: BenchResults, output: Path | None) -> Path:
    """Write the JSON document; returns where."""
    path = output_path(output, results.started_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(results), indent=2) + "\n")
    return path
